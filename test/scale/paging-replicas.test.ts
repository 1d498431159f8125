/**
 * Replicas commit concurrently on PostgreSQL; a reader paging through
 * `GET /events?after=` meanwhile must see every event exactly once, in seq
 * order — also across a replica killed (kill -9) mid-commit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { keysOf, runAckedLoad } from '../support/acked-load.js';
import { allEventsOver, assertInvariant } from '../support/harness.js';
import { keyCounts, sharedStats, startReplicas } from '../support/replicas.js';
import { freshDatabase, lifo, postgresGate } from '../support/services.js';

const pg = await postgresGate();

type Row = { seq: number; topic: string; event_id: string };

/** Pages by after= until stopped and then caught up (two empty pages in a row). */
function pager(url: string) {
  const seen: Row[] = [];
  let stopping = false;
  const done = (async () => {
    let after = 0;
    for (let idle = 0; idle < 2; ) {
      const res = await request(`${url}/events?after=${after}&limit=700`);
      assert.equal(res.statusCode, 200);
      const page = (await res.body.json()) as Row[];
      if (page.length === 0) {
        if (stopping) idle++;
        await sleep(5);
        continue;
      }
      idle = 0;
      seen.push(...page);
      after = page[page.length - 1].seq;
    }
  })();
  return {
    seen,
    finish: () => {
      stopping = true;
      return done;
    },
  };
}

test('a reader paging by after= while 3 replicas commit and one is killed: no skip, no repeat, counters exact', {
  skip: pg.skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  const replicas = await startReplicas(c, db, 3);
  const plans = replicas.map(
    (_, i) => new LoadPlan({ events: 12_000, dupRate: 0.25, batch: 50, topics: 4, runId: `page-${i}` }),
  );
  const reader = pager(replicas[1].url);
  const loads = replicas.map((r, i) => runAckedLoad(r.url, plans[i], 4));
  await loads[0].ackedAtLeast(40);
  assert.equal(await replicas[0].stop('SIGKILL'), 'SIGKILL');
  await Promise.all(loads.map((l) => l.done));
  assert.ok(loads[0].acked.size < plans[0].batches, 'replica 0 died mid-run');
  await reader.finish();

  const stored = await allEventsOver(replicas[2].url);
  assert.deepEqual(
    reader.seen.map((r) => r.seq),
    stored.map((r) => r.seq),
    'the reader saw exactly what is stored, each once, in seq order',
  );
  assert.ok(
    stored.every((r, i) => i === 0 || r.seq > stored[i - 1].seq),
    'seq increases along /events',
  );
  const counts = keyCounts(stored);
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    'no event stored twice',
  );
  for (const [i, load] of loads.entries()) {
    for (const key of keysOf(plans[i], load.acked)) {
      assert.equal(counts.get(key), 1, `${key}, acknowledged by replica ${i}, is stored once`);
    }
  }
  const s = await sharedStats(replicas[1].url);
  assert.equal(s.unique_processed, stored.length, 'counters match the stored events exactly');
  assertInvariant(s, assert);

  // Replica 0's producer resends its whole plan to a survivor: exactly the planned events remain.
  await send({
    url: replicas[2].url,
    concurrency: 4,
    batches: plans[0].batches,
    body: (k) => plans[0].body(k),
  });
  const after = await sharedStats(replicas[1].url);
  assert.equal(after.unique_processed, plans[0].unique + plans[1].unique + plans[2].unique);
  assertInvariant(after, assert);
  assert.deepEqual(await sharedStats(replicas[2].url), after);
});
