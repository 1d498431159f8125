/**
 * Makes sure the stream and the durable consumer the source reads exist.
 * Both are created only when missing — an operator's own stream or consumer
 * (retention, replicas, ack wait, limits) is used as it is, never changed.
 * Several replicas may start at once: creating an identical consumer twice is
 * idempotent in JetStream, and a lost race to create the stream is settled by
 * looking it up again.
 */
import { AckPolicy, type ConsumerInfo, type JetStreamManager, type NatsError } from 'nats';
import type { NatsConfig } from '../config/nats-options.js';

/** How long a delivered message may stay unacknowledged before JetStream redelivers it (consumer default). */
const defaultAckWaitMs = 30_000;
/** Delivered-but-unacknowledged messages across all replicas before JetStream pauses delivery. */
const defaultMaxAckPending = 20_000;

const notFound = (err: unknown) => (err as NatsError).code === '404';

export async function ensureStream(jsm: JetStreamManager, config: NatsConfig): Promise<void> {
  try {
    await jsm.streams.info(config.stream);
    return;
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  try {
    await jsm.streams.add({ name: config.stream, subjects: [config.subject] });
  } catch (err) {
    // Another replica may have created it a moment ago; if it still does not exist, report the original error.
    await jsm.streams.info(config.stream).catch(() => {
      throw err;
    });
  }
}

export async function ensureConsumer(jsm: JetStreamManager, config: NatsConfig): Promise<ConsumerInfo> {
  try {
    return await jsm.consumers.info(config.stream, config.durable);
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  const { subjects } = (await jsm.streams.info(config.stream)).config;
  // A filter that selects the whole stream is left out: nats-server 2.9 takes a much slower
  // path for a filtered consumer on a stream of several subjects (measured: about 5x; see README).
  const wholeStream = subjects?.length === 1 && subjects[0] === config.subject;
  return jsm.consumers.add(config.stream, {
    durable_name: config.durable,
    // Explicit: each message is acknowledged on its own, after its commit.
    ack_policy: AckPolicy.Explicit,
    ...(wholeStream ? {} : { filter_subject: config.subject }),
    ack_wait: defaultAckWaitMs * 1_000_000,
    max_ack_pending: defaultMaxAckPending,
    // Unlimited redelivery: a message is never dropped because the store was down.
    // Invalid messages are terminated instead, so nothing loops forever.
    max_deliver: -1,
  });
}
