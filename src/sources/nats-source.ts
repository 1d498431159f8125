/**
 * The NATS JetStream source: a durable pull consumer shared by every replica
 * (JetStream hands each message to one of them). Each message body is one
 * event, an array of events, or {"events": [...]}, validated exactly like
 * HTTP input and committed through the same writer, so it shares group
 * commits with HTTP requests.
 *
 * Acknowledgement policy — the message is the producer's retry:
 * - ack only after the writer resolved, i.e. after the commit. A crash before
 *   the ack means redelivery, and a redelivery is answered as a duplicate;
 * - invalid message (not JSON, not events, any invalid event, too large):
 *   counted in the lifetime `rejected` counter, then `term` — never redelivered;
 * - not committed (writer overloaded or shutting down, store unavailable):
 *   `nak` with a growing delay, so it comes back later, to this or another replica.
 *
 * Messages are handled concurrently up to a window, so one commit carries
 * many of them; the window bounds memory and what a crash leaves to redeliver.
 *
 * Outages: the connection reconnects forever (an outage pauses consumption,
 * it never stops it) and `state` says whether NATS is reachable, for /readyz.
 * Messages taken before an outage still commit. The client discards what it
 * would send while disconnected, so the acks of messages committed meanwhile
 * are held here and sent once it has reconnected; an ack lost anyway (sent
 * just as the connection broke) means a redelivery, answered as a duplicate.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConsumerMessages, connect, Events, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Limits } from '../config/limits.js';
import type { NatsConfig } from '../config/nats-options.js';
import { redactUrl } from '../config/redact-url.js';
import { admit } from '../ingest/admission.js';
import type { Writer } from '../ingest/writer.js';
import { ensureConsumer, ensureStream } from './jetstream-setup.js';

interface NatsSourceOptions {
  readonly config: NatsConfig;
  readonly writer: Writer;
  readonly limits: Limits;
  readonly logger: Logger;
  /** The connection's name as the NATS server shows it (the instance id). */
  readonly name: string;
}

/** Messages pulled per request; the client refills as they are taken. */
const pullBatch = 256;
/** Messages being validated or committed at once. */
const window = 2048;
/** How long stop() waits for messages already submitted to be committed and acknowledged. */
const stopGraceMs = 10_000;

/** Whether the source can reach NATS: `unreachable` from a lost connection until it is back. */
export type NatsState = 'ok' | 'unreachable';

export class NatsSource {
  readonly #options: NatsSourceOptions;
  readonly #nc: NatsConnection;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<void>>();
  #inFlightEvents = 0;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #stopping = false;
  #connected = true;
  /** Committed while disconnected: acknowledged on reconnect (an ack sent now would be dropped). */
  #heldAcks: JsMsg[] = [];

  private constructor(options: NatsSourceOptions, nc: NatsConnection) {
    this.#options = options;
    this.#nc = nc;
    this.#logger = options.logger.child({ source: 'nats' });
  }

  get state(): NatsState {
    return this.#connected ? 'ok' : 'unreachable';
  }

  /** Connects, creates the stream and consumer if missing, and starts consuming; rejects if NATS cannot be used. */
  static async start(options: NatsSourceOptions): Promise<NatsSource> {
    const { config } = options;
    // Reconnects forever once connected: an outage pauses consumption, it never stops it.
    const nc = await connect({
      servers: config.url,
      name: options.name,
      timeout: 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
    try {
      const jsm = await nc.jetstreamManager();
      await ensureStream(jsm, config);
      await ensureConsumer(jsm, config);
    } catch (err) {
      await nc.close();
      throw err;
    }
    const source = new NatsSource(options, nc);
    void source.#watchConnection();
    source.#loop = source.#consume();
    source.#logger.info(
      { stream: config.stream, subject: config.subject, durable: config.durable },
      `consuming JetStream stream ${config.stream} (${config.subject}) as durable ${config.durable}`,
    );
    return source;
  }

  /** Stops pulling, lets what was submitted commit and be acknowledged, then closes the connection. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#messages?.close();
    await this.#loop;
    const settled = Promise.allSettled(this.#inFlight);
    if ((await Promise.race([settled.then(() => true), sleep(stopGraceMs, false)])) === false) {
      this.#logger.warn(
        `${this.#inFlight.size} messages not settled after ${stopGraceMs} ms; JetStream will redeliver them`,
      );
    }
    // drain() flushes the acknowledgements still buffered before closing.
    await this.#nc.drain().catch(() => {});
  }

  /** Follows the connection's status events until it closes: one line when NATS goes away, one when it is back. */
  async #watchConnection(): Promise<void> {
    const where = redactUrl(this.#options.config.url);
    for await (const status of this.#nc.status()) {
      if (status.type === Events.Disconnect && this.#connected) {
        this.#connected = false;
        if (!this.#stopping)
          this.#logger.warn(`NATS at ${where} unreachable; consumption paused, reconnecting`);
      } else if (status.type === Events.Reconnect && !this.#connected) {
        this.#connected = true;
        const held = this.#heldAcks;
        this.#heldAcks = [];
        for (const msg of held) msg.ack();
        this.#logger.info(`NATS reconnected at ${where}; consuming again`);
      }
    }
  }

  async #consume(): Promise<void> {
    const { stream, durable } = this.#options.config;
    const js = this.#nc.jetstream();
    while (!this.#stopping) {
      try {
        // Again on every round: the consumer may have been deleted and must be recreated.
        await ensureConsumer(await this.#nc.jetstreamManager(), this.#options.config);
        const consumer = await js.consumers.get(stream, durable);
        this.#messages = await consumer.consume({ max_messages: pullBatch, expires: 5_000 });
        for await (const msg of this.#messages) {
          if (this.#stopping) {
            msg.nak(); // hand it to another replica now rather than after the ack wait
            continue;
          }
          this.#track(msg);
          while (!this.#stopping && this.#full()) await new Promise<void>((r) => (this.#wake = r));
        }
      } catch (err) {
        // While NATS is unreachable every attempt fails; the outage is logged once, by #watchConnection.
        if (!this.#stopping && this.#connected)
          this.#logger.warn({ err }, 'JetStream consumer interrupted; resuming');
      }
      if (!this.#stopping) await sleep(1_000);
    }
  }

  #full(): boolean {
    return this.#inFlight.size >= window || this.#inFlightEvents >= this.#options.limits.queueEvents / 2;
  }

  #track(msg: JsMsg): void {
    let events = 0;
    const done = this.#handle(msg, (n) => {
      events = n;
      this.#inFlightEvents += n;
    }).finally(() => {
      this.#inFlight.delete(done);
      this.#inFlightEvents -= events;
      this.#wake?.();
    });
    this.#inFlight.add(done);
  }

  async #handle(msg: JsMsg, started: (events: number) => void): Promise<void> {
    const { writer, limits } = this.#options;
    const { events, refusal } = admit({ format: 'json', text: msg.string(), bytes: msg.data.length }, limits);
    if (refusal !== undefined) {
      this.#logger.warn(
        { stream_seq: msg.seq, subject: msg.subject, reason: refusal.message },
        'invalid message: counted as rejected and terminated',
      );
      // Terminated only once its count is committed: a crash in between may count it twice, never zero times.
      await writer.countRefused(refusal.deliveries);
      msg.term();
      return;
    }
    started(events.length);
    try {
      await writer.submit(events);
    } catch (err) {
      const delayMs = Math.min(30_000, 500 * 2 ** Math.min(msg.info.redeliveryCount, 6));
      this.#logger.debug({ err, stream_seq: msg.seq, delayMs }, 'not committed; redelivery requested');
      msg.nak(delayMs);
      return;
    }
    if (this.#connected) msg.ack();
    else this.#heldAcks.push(msg);
  }
}
