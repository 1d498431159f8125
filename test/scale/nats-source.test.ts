/**
 * The JetStream source with real NATS and real PostgreSQL: replicas share one
 * durable consumer, acknowledge only after commit, survive kill -9 with
 * exactly the unique events stored and nothing left unacknowledged, count
 * and terminate invalid messages, and nak (not lose) what could not commit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamManager } from 'nats';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { ensureConsumer, ensureStream } from '../../src/sources/jetstream-setup.js';
import { allEventsOver, assertInvariant, event } from '../support/harness.js';
import { keyCounts, sharedStats, startReplica, statsOf } from '../support/replicas.js';
import {
  allowConnections,
  freshDatabase,
  freshStream,
  lifo,
  natsGate,
  postgresGate,
  queryDatabase,
} from '../support/services.js';

const pg = await postgresGate();
const nats = await natsGate();
const skip = pg.skip || nats.skip;

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 100,
) {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await sleep(everyMs)) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
  }
}

async function settled(jsm: JetStreamManager, stream: string, durable: string) {
  const info = await jsm.consumers.info(stream, durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** Invalid messages and how many deliveries each counts as `rejected`. */
const invalid: [body: string, rejected: number][] = [
  ['not json', 1],
  ['{"events": 5}', 1],
  [JSON.stringify({ ...event(900_001), timestamp: 'yesterday' }), 1],
  // All or nothing, as over HTTP: the valid event of this batch is not stored either.
  [JSON.stringify([event(900_002, { topic: 'never' }), { ...event(900_003), payload: [] }]), 2],
  ['', 1],
];

test('JetStream: 10,000 messages (20 % copies), 2 replicas, one killed and restarted: exactly the unique events, nothing unacked', {
  skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  // An operator-made consumer with a short ack wait, so the killed replica's messages come back quickly.
  const s = await freshStream(c, nats, 3_000);
  const expectedRejected = invalid.reduce((n, [, r]) => n + r, 0);
  for (const [body] of invalid) await s.js.publish(`${s.prefix}.bad`, body);

  const plan = new LoadPlan({ events: 10_000, dupRate: 0.2, batch: 1, topics: 5, runId: 'js' });
  for (let k = 0; k < plan.batches; k += 500) {
    const chunk = Array.from({ length: Math.min(500, plan.batches - k) }, (_, i) => k + i);
    await Promise.all(chunk.map((p) => s.js.publish(`${s.prefix}.${p % 5}`, plan.body(p))));
  }

  // Replica b starts alone and is killed right after its first commits, with a window of
  // messages delivered to it but not acknowledged; then a and a new b share the rest.
  const b = await startReplica(c, db, 'js-b', s.flags);
  const bCounted = async () => {
    const [row] = await queryDatabase<{ n: string | null }>(
      db,
      "SELECT sum(received) AS n FROM agg_counters WHERE instance_id = 'js-b'",
    );
    return Number(row.n) > 0;
  };
  await until(bCounted, 'replica b commits', 60_000, 5);
  // The invalid messages are the stream's first five: b counts and terminates them before anything else.
  const invalidDone = async () =>
    (await s.jsm.consumers.info(s.stream, s.durable)).ack_floor.stream_seq >= invalid.length;
  await until(invalidDone, 'the invalid messages are terminated', 60_000, 5);
  assert.equal(await b.stop('SIGKILL'), 'SIGKILL');
  const atKill = await statsOf(b.url).catch(() => undefined);
  assert.equal(atKill, undefined, 'b is gone');
  const [a, b2] = await Promise.all([
    startReplica(c, db, 'js-a', s.flags),
    startReplica(c, db, 'js-b', s.flags),
  ]);
  const killedAt = await queryDatabase<{ n: string }>(db, 'SELECT count(*) AS n FROM agg_events');
  assert.ok(Number(killedAt[0].n) < plan.unique, 'killed mid-way');

  await until(async () => await settled(s.jsm, s.stream, s.durable), 'every message is acknowledged');
  const stats = await sharedStats(a.url);
  assert.equal(stats.unique_processed, plan.unique, 'exactly the unique events');
  assert.ok(stats.received >= plan.options.events, 'redeliveries after the kill are counted as duplicates');
  assertInvariant(stats, assert);
  assert.equal(stats.rejected, expectedRejected);
  assert.deepEqual(await sharedStats(b2.url), stats);
  const rows = await allEventsOver(a.url);
  assert.equal(rows.length, plan.unique);
  assert.ok(
    [...keyCounts(rows).values()].every((n) => n === 1),
    'no event stored twice',
  );
  assert.ok(!rows.some((r) => r.topic === 'never'), 'nothing of an invalid message is stored');
  // Both replicas took messages from the one durable consumer (counter rows are per instance).
  const perInstance = await queryDatabase<{ instance_id: string }>(
    db,
    'SELECT instance_id FROM agg_counters GROUP BY instance_id HAVING sum(received) > 0 ORDER BY 1',
  );
  assert.deepEqual(
    perInstance.map((r) => r.instance_id),
    ['js-a', 'js-b'],
  );
  t.diagnostic(
    `b killed at ${killedAt[0].n} stored; ${stats.received - plan.options.events} redeliveries answered as duplicates`,
  );

  // Terminated messages never come back: after more than an ack wait, nothing moved.
  await sleep(3_500);
  assert.ok(await settled(s.jsm, s.stream, s.durable));
  assert.deepEqual(await sharedStats(a.url), stats);
});

test('JetStream: batch messages commit whole; while the store is down messages are nak-ed, then delivered', {
  skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  const s = await freshStream(c, nats);
  const server = await startReplica(c, db, 'js-one', s.flags);
  // The aggregator created the durable consumer itself.
  assert.equal((await s.jsm.consumers.info(s.stream, s.durable)).config.ack_policy, 'explicit');

  await s.js.publish(`${s.prefix}.a`, JSON.stringify([event(1), event(2), event(1)]));
  await s.js.publish(`${s.prefix}.a`, JSON.stringify({ events: [event(3), event(2)] }));
  await until(async () => await settled(s.jsm, s.stream, s.durable), 'both messages are acknowledged');
  let stats = await statsOf(server.url);
  assert.deepEqual([stats.received, stats.unique_processed, stats.duplicate_dropped], [5, 3, 2]);

  await allowConnections(db, false);
  await s.js.publish(`${s.prefix}.b`, JSON.stringify(event(4)));
  await s.js.publish(`${s.prefix}.b`, JSON.stringify(event(5)));
  await sleep(1_500);
  const pending = await s.jsm.consumers.info(s.stream, s.durable);
  assert.equal(
    pending.num_pending + pending.num_ack_pending,
    2,
    'not acknowledged while nothing is committed',
  );
  await allowConnections(db, true);

  await until(
    async () => await settled(s.jsm, s.stream, s.durable),
    'they are redelivered and acknowledged',
    30_000,
  );
  stats = await statsOf(server.url);
  assert.deepEqual([stats.received, stats.unique_processed], [7, 5]);
  assert.equal(await server.stop('SIGTERM'), 0, 'a clean stop while consuming');
});

test('JetStream setup: the consumer filters only when the subject is narrower than the stream', {
  skip,
}, async (t) => {
  const c = lifo(t);
  const s = await freshStream(c, nats);
  const whole = { url: '', stream: s.stream, subject: `${s.prefix}.>`, durable: `${s.durable}-whole` };
  const part = { ...whole, subject: `${s.prefix}.orders.>`, durable: `${s.durable}-part` };
  assert.equal((await ensureConsumer(s.jsm, whole)).config.filter_subject, undefined);
  assert.equal((await ensureConsumer(s.jsm, part)).config.filter_subject, `${s.prefix}.orders.>`);
  // Idempotent, as when several replicas start at once.
  await Promise.all([ensureConsumer(s.jsm, part), ensureConsumer(s.jsm, part)]);
  // A missing stream is created with the configured subject.
  const created = { ...whole, stream: `${s.stream}_NEW`, subject: `${s.prefix}-new.>` };
  c.after(() => s.jsm.streams.delete(created.stream).then(() => {}));
  await Promise.all([ensureStream(s.jsm, created), ensureStream(s.jsm, created)]);
  assert.deepEqual((await s.jsm.streams.info(created.stream)).config.subjects, [`${s.prefix}-new.>`]);
});
