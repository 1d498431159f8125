/** Many producers, one key space: dedup stays exact under concurrency. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { assertInvariant, tempDir } from '../support/harness.js';

const statsOf = async (url: string) => (await (await request(`${url}/stats`)).body.json()) as StatsBody;

test('16 clients sending the same 1,000 events at once store exactly 1,000', async (t) => {
  const server = await startServer(['--data-dir', tempDir(t)]);
  t.after(() => server.stop());
  const plan = new LoadPlan({ events: 1000, dupRate: 0, batch: 100, topics: 3, runId: 'same' });
  const clients = Array.from({ length: 16 }, () =>
    send({ url: server.url, concurrency: 1, batches: plan.batches, body: (k) => plan.body(k) }),
  );
  const reports = await Promise.all(clients);
  assert.equal(
    reports.reduce((n, r) => n + r.stored, 0),
    1000,
    'the per-request answers agree: each event stored once',
  );
  const s = await statsOf(server.url);
  assert.deepEqual([s.unique_processed, s.duplicate_dropped, s.received], [1000, 15_000, 16_000]);
  assertInvariant(s, assert);
});
