/**
 * /metrics across replicas on PostgreSQL: each replica exports what it
 * committed itself, so summing a counter over the replicas (what
 * `sum(rate(…))` does) gives the cluster's total of /stats — not a multiple
 * of it — while each replica's store gauges equal /stats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { parsePrometheus } from '../support/prometheus.js';
import { sharedStats, startReplicas } from '../support/replicas.js';
import { freshDatabase, lifo, postgresGate } from '../support/services.js';

const pg = await postgresGate();

async function scrape(url: string) {
  const res = await request(`${url}/metrics`);
  assert.equal(res.statusCode, 200);
  return parsePrometheus(await res.body.text());
}

/** This process's counter, the store's total (label `counter`), and the /stats field they match. */
const counts = [
  ['aggregator_events_received_total', 'received', 'received'],
  ['aggregator_events_stored_total', 'stored', 'unique_processed'],
  ['aggregator_events_duplicates_total', 'duplicates', 'duplicate_dropped'],
  ['aggregator_events_conflicts_total', 'conflicts', 'conflicts'],
  ['aggregator_events_rejected_total', 'rejected', 'rejected'],
] as const;

test('2 replicas: the sum of their own counters is the cluster total of /stats', {
  skip: pg.skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  const replicas = await startReplicas(c, db, 2);

  // Overlapping loads (the same run id: both replicas receive the same events, plus re-sends),
  // unequal in size so a "sum" that counted one replica twice would not come out right.
  const plan = new LoadPlan({ events: 6000, dupRate: 0.25, batch: 100, topics: 3, runId: 'metrics' });
  await Promise.all([
    send({ url: replicas[0].url, concurrency: 4, batches: plan.batches, body: (k) => plan.body(k) }),
    send({ url: replicas[1].url, concurrency: 4, batches: 20, body: (k) => plan.body(k) }),
  ]);
  // A conflict through replica 1, and refused deliveries on both (3 on replica 0, 1 on replica 1).
  const first = JSON.parse(plan.body(0))[0];
  const post = (url: string, body: string) =>
    request(`${url}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const changed = { ...first, payload: { changed: true } };
  assert.equal((await post(replicas[1].url, JSON.stringify(changed))).statusCode, 200);
  assert.equal((await post(replicas[0].url, JSON.stringify([first, first, { topic: '' }]))).statusCode, 422);
  assert.equal((await post(replicas[1].url, '{"topic": ')).statusCode, 400);

  const expected = {
    received: 6000 + 20 * 100 + 1,
    unique_processed: plan.unique,
    duplicate_dropped: plan.duplicates + 20 * 100 + 1,
    conflicts: 1,
    rejected: 4,
  };
  // The refused count rides each replica's next commit; wait for both to land.
  let stats = await sharedStats(replicas[0].url);
  for (let i = 0; i < 200 && stats.rejected < expected.rejected; i++) {
    await sleep(25);
    stats = await sharedStats(replicas[0].url);
  }
  for (const field of Object.keys(expected) as (keyof typeof expected)[]) {
    assert.equal(stats[field], expected[field], `/stats ${field}`);
  }

  const [m0, m1] = await Promise.all(replicas.map((r) => scrape(r.url)));
  for (const [metric, counter, field] of counts) {
    const own = [m0.value(metric) ?? Number.NaN, m1.value(metric) ?? Number.NaN];
    assert.equal(own[0] + own[1], stats[field], `sum over replicas of ${metric} == /stats ${field}`);
    for (const m of [m0, m1]) {
      assert.equal(m.value('aggregator_store_events', { counter }), stats[field], `store total ${counter}`);
    }
  }
  assert.equal(m0.value('aggregator_events_rejected_total'), 3);
  assert.equal(m1.value('aggregator_events_rejected_total'), 1);
  assert.equal(m1.value('aggregator_events_conflicts_total'), 1);
  assert.ok(
    (m1.value('aggregator_events_received_total') ?? 0) >= 20 * 100,
    'replica 1 counts its own share',
  );
});
