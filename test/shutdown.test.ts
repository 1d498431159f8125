/** SIGTERM under load: drains, commits what was accepted, exits 0; nothing acknowledged is lost. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { startServer } from '../src/loadgen/server-process.js';
import { keysOf, runAckedLoad } from './support/acked-load.js';
import { allEventsOver, assertInvariant, type StatsBody, tempDir } from './support/harness.js';

test('graceful stop under load loses nothing acknowledged and exits 0', async (t) => {
  const dir = tempDir(t);
  const plan = new LoadPlan({ events: 40_000, dupRate: 0.25, batch: 20, topics: 4, runId: 'term' });
  const first = await startServer(['--data-dir', dir]);
  t.after(() => first.stop('SIGKILL'));
  const load = runAckedLoad(first.url, plan, 8);
  await load.ackedAtLeast(150);
  assert.equal(await first.stop('SIGTERM'), 0);
  await load.done;
  assert.ok(first.logs.some((l) => l.includes('stopped cleanly')));
  const acked = new Set(load.acked);

  const second = await startServer(['--data-dir', dir]);
  t.after(() => second.stop('SIGKILL'));
  const stored = new Set((await allEventsOver(second.url)).map((r) => `${r.topic}/${r.event_id}`));
  for (const key of keysOf(plan, acked)) assert.ok(stored.has(key), `acknowledged ${key} present`);
  const s = (await (await request(`${second.url}/stats`)).body.json()) as StatsBody;
  assert.equal(s.unique_processed, stored.size);
  assertInvariant(s, assert);
  assert.equal(await second.stop('SIGINT'), 0, 'SIGINT also drains and exits 0');
});
