/** Overload: a full write queue answers 503 + Retry-After; memory stays bounded and an at-least-once publisher still gets everything in. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { assertInvariant, tempDir } from '../support/harness.js';

const statsOf = async (url: string) => (await (await request(`${url}/stats`)).body.json()) as StatsBody;

test('overload: a tiny queue answers 503 with Retry-After, and the publisher still gets everything in', async (t) => {
  const server = await startServer(['--data-dir', tempDir(t), '--queue-limit', '1']);
  t.after(() => server.stop());
  const plan = new LoadPlan({ events: 6400, dupRate: 0.25, batch: 100, topics: 3, runId: 'busy' });

  // A burst of 64 requests at once over already-open connections: all but what fits the queue are refused.
  const pool = new Pool(server.url, { connections: 64 });
  const burst = () =>
    Promise.all(
      Array.from({ length: 64 }, async (_, k) => {
        const res = await pool.request({
          method: 'POST',
          path: '/publish',
          headers: { 'content-type': 'application/json' },
          body: plan.body(k),
        });
        const body = (await res.body.json()) as { error?: string };
        return { status: res.statusCode, retryAfter: res.headers['retry-after'], error: body.error };
      }),
    );
  let answers: Awaited<ReturnType<typeof burst>> = [];
  for (let attempt = 0; attempt < 5 && !answers.some((a) => a.status === 503); attempt++) {
    // Open every connection first, so the burst's requests leave in the same tick.
    await Promise.all(
      Array.from({ length: 64 }, () =>
        pool.request({ method: 'GET', path: '/healthz' }).then((r) => r.body.dump()),
      ),
    );
    answers = await burst();
  }
  await pool.close();
  const refused = answers.filter((a) => a.status === 503);
  assert.ok(refused.length > 0, 'some requests were refused');
  assert.ok(refused.every((a) => a.retryAfter === '1' && a.error === 'AGG_ERR_OVERLOADED'));
  assert.ok(answers.every((a) => a.status === 200 || a.status === 503));

  // The at-least-once publisher resends until acknowledged: the exact unique count arrives.
  const report = await send({
    url: server.url,
    concurrency: 16,
    batches: plan.batches,
    body: (k) => plan.body(k),
    backoffMs: 5,
  });
  assert.ok((report.retries['503'] ?? 0) > 0, 'the publisher met 503s and retried');
  const s = await statsOf(server.url);
  assert.equal(s.unique_processed, plan.unique);
  assertInvariant(s, assert);
});
