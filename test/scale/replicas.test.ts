/**
 * Several aggregator processes on one PostgreSQL database, as behind a load
 * balancer: dedup across them is exact, they all report the same /stats and
 * /events, and losing one (kill -9) loses nothing it acknowledged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { keysOf, runAckedLoad } from '../support/acked-load.js';
import { allEventsOver, assertInvariant } from '../support/harness.js';
import { keyCounts, sharedStats, startReplicas } from '../support/replicas.js';
import { freshDatabase, lifo, postgresGate } from '../support/services.js';

const pg = await postgresGate();

test('3 replicas, 16 clients, overlapping events: exact counts and identical /stats and /events everywhere', {
  skip: pg.skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  const replicas = await startReplicas(c, db, 3);
  // Every client sends the same 1,000 events at once, each to its replica...
  const same = new LoadPlan({ events: 1000, dupRate: 0, batch: 100, topics: 3, runId: 'same' });
  // ...and its share of a load with 25 % re-sends of earlier events, also spread over the replicas.
  const mixed = new LoadPlan({ events: 20_000, dupRate: 0.25, batch: 100, topics: 5, runId: 'mixed' });
  const clients = 16;
  const reports = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const url = replicas[i % 3].url;
      const share = Math.ceil((mixed.batches - i) / clients);
      return Promise.all([
        send({ url, concurrency: 1, batches: same.batches, body: (k) => same.body(k) }),
        send({ url, concurrency: 1, batches: share, body: (k) => mixed.body(i + clients * k) }),
      ]);
    }),
  );
  const all = reports.flat();
  assert.ok(
    all.every((r) => Object.keys(r.retries).length === 0),
    'no request had to be repeated, so every delivery was counted once',
  );
  const sum = (pick: (r: (typeof all)[number]) => number) => all.reduce((n, r) => n + pick(r), 0);
  assert.equal(
    reports.reduce((n, [s]) => n + s.stored, 0),
    1000,
    'each of the same 1,000 events was stored by exactly one request on one replica',
  );
  assert.equal(
    sum((r) => r.stored),
    1000 + mixed.unique,
  );
  assert.equal(
    sum((r) => r.duplicates),
    15 * 1000 + mixed.duplicates,
  );

  const stats = await Promise.all(replicas.map((r) => sharedStats(r.url)));
  assert.deepEqual(
    [stats[0].received, stats[0].unique_processed, stats[0].duplicate_dropped],
    [16 * 1000 + 20_000, 1000 + mixed.unique, 15 * 1000 + mixed.duplicates],
  );
  assertInvariant(stats[0], assert);
  assert.deepEqual(stats[1], stats[0], 'replica 1 reports what replica 0 reports');
  assert.deepEqual(stats[2], stats[0], 'replica 2 reports what replica 0 reports');

  const lists = await Promise.all(replicas.map((r) => allEventsOver(r.url)));
  assert.equal(lists[0].length, 1000 + mixed.unique);
  assert.ok(
    [...keyCounts(lists[0]).values()].every((n) => n === 1),
    'no event stored twice',
  );
  assert.ok(
    lists[0].every((e, i) => i === 0 || e.seq > lists[0][i - 1].seq),
    'in seq order',
  );
  assert.deepEqual(lists[1], lists[0]);
  assert.deepEqual(lists[2], lists[0]);
});

test('SIGKILL one of 3 replicas mid-run: every acknowledged event is stored once, the others keep serving', {
  skip: pg.skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  const replicas = await startReplicas(c, db, 3);
  const plans = replicas.map(
    (_, i) => new LoadPlan({ events: 16_000, dupRate: 0.25, batch: 20, topics: 4, runId: `kill-${i}` }),
  );
  const loads = replicas.map((r, i) => runAckedLoad(r.url, plans[i], 5));
  await loads[0].ackedAtLeast(100);
  assert.equal(await replicas[0].stop('SIGKILL'), 'SIGKILL');
  await Promise.all(loads.map((l) => l.done));

  assert.ok(loads[0].acked.size < plans[0].batches, 'replica 0 died mid-run');
  assert.equal(loads[1].acked.size, plans[1].batches, 'replica 1 acknowledged every request');
  assert.equal(loads[2].acked.size, plans[2].batches, 'replica 2 acknowledged every request');

  const counts = keyCounts(await allEventsOver(replicas[1].url));
  for (const [i, load] of loads.entries()) {
    for (const key of keysOf(plans[i], load.acked)) {
      assert.equal(counts.get(key), 1, `${key}, acknowledged by replica ${i}, is stored once`);
    }
  }
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    'no event stored twice',
  );

  // The producer of replica 0 resends everything to a survivor: exactly the planned events remain.
  await send({
    url: replicas[2].url,
    concurrency: 4,
    batches: plans[0].batches,
    body: (k) => plans[0].body(k),
  });
  const [s1, s2] = await Promise.all([sharedStats(replicas[1].url), sharedStats(replicas[2].url)]);
  assert.equal(s1.unique_processed, plans[0].unique + plans[1].unique + plans[2].unique);
  assertInvariant(s1, assert);
  assert.deepEqual(s2, s1);
});
