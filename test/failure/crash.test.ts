/**
 * kill -9 under load: every event of every acknowledged request is stored
 * exactly once after a restart, the counters agree with the rows, and a full
 * resend ends with exactly the planned unique count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { keysOf, runAckedLoad } from '../support/acked-load.js';
import { allEventsOver, assertInvariant, tempDir } from '../support/harness.js';

const statsOf = async (url: string) => (await (await request(`${url}/stats`)).body.json()) as StatsBody;

test('SIGKILL mid-run loses no acknowledged event and doubles none', async (t) => {
  const dir = tempDir(t);
  const plan = new LoadPlan({ events: 40_000, dupRate: 0.25, batch: 20, topics: 4, runId: 'crash' });
  const first = await startServer(['--data-dir', dir]);
  t.after(() => first.stop('SIGKILL'));
  const load = runAckedLoad(first.url, plan, 8);
  await load.ackedAtLeast(200);
  assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
  await load.done;
  const acked = new Set(load.acked);
  assert.ok(
    acked.size >= 200 && acked.size < plan.batches,
    `acked ${acked.size} of ${plan.batches}: killed mid-run`,
  );

  const second = await startServer(['--data-dir', dir]);
  t.after(() => second.stop('SIGKILL'));
  assert.ok(second.logs.some((l) => /loaded state: [\d,]+ unique events in \d+ topics/.test(l)));
  const rows = await allEventsOver(second.url);
  const stored = new Map<string, number>();
  for (const r of rows)
    stored.set(`${r.topic}/${r.event_id}`, (stored.get(`${r.topic}/${r.event_id}`) ?? 0) + 1);
  for (const key of keysOf(plan, acked)) assert.equal(stored.get(key), 1, `acknowledged ${key} stored once`);
  assert.ok(
    [...stored.values()].every((n) => n === 1),
    'no event stored twice',
  );
  const s = await statsOf(second.url);
  assert.equal(s.unique_processed, rows.length, 'counter matches the rows');
  assertInvariant(s, assert);

  // The producer resends everything (acknowledged or not): exactly the planned unique count remains.
  await send({ url: second.url, concurrency: 8, batches: plan.batches, body: (k) => plan.body(k) });
  const final = await statsOf(second.url);
  assert.equal(final.unique_processed, plan.unique);
  assertInvariant(final, assert);
  assert.equal((await allEventsOver(second.url)).length, plan.unique);
});
