/**
 * PostgreSQL goes away under two replicas: first its connections are killed
 * again and again under load (pg_terminate_backend, as on a failover), then
 * it refuses connections altogether. Meanwhile requests get 503 with
 * Retry-After (never a 500), /readyz says not ready, nothing acknowledged is
 * lost, and both replicas recover by themselves — /readyz too, with no traffic
 * to prove it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { send } from '../../src/loadgen/sender.js';
import { keysOf } from '../support/acked-load.js';
import { allEventsOver, assertInvariant } from '../support/harness.js';
import { keyCounts, sharedStats, startReplicas } from '../support/replicas.js';
import {
  allowConnections,
  freshDatabase,
  lifo,
  postgresGate,
  terminateConnections,
} from '../support/services.js';

const pg = await postgresGate();

/** Clients POSTing the plan's batches in turn, each once, until stopped; records what was acknowledged. */
function steadyLoad(urls: string[], plan: LoadPlan, clientsPerUrl: number) {
  const acked = new Set<number>();
  const failures: { status: number; error?: string; retryAfter?: string }[] = [];
  let next = 0;
  let stopped = false;
  const pools = urls.map((u) => new Pool(u, { connections: clientsPerUrl }));
  const client = async (pool: Pool) => {
    while (!stopped && next < plan.batches) {
      const k = next++;
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/publish',
          headers: { 'content-type': 'application/json' },
          body: plan.body(k),
        });
        const body = (await res.body.json()) as { error?: string };
        if (res.statusCode === 200) {
          acked.add(k);
          continue;
        }
        const retryAfter = String(res.headers['retry-after']);
        failures.push({ status: res.statusCode, error: body.error, retryAfter });
      } catch (err) {
        failures.push({ status: 0, error: String(err) }); // the replica is gone: a failure, not a hang
      }
      await sleep(20);
    }
  };
  const done = Promise.all(pools.flatMap((p) => Array.from({ length: clientsPerUrl }, () => client(p))));
  let closed: Promise<void> | undefined;
  return {
    acked,
    failures,
    sent: () => next,
    stop() {
      stopped = true;
      closed ??= done.then(() => Promise.all(pools.map((p) => p.close()))).then(() => {});
      return closed;
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await sleep(50)) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
  }
}

async function readyz(url: string) {
  const res = await request(`${url}/readyz`);
  return { status: res.statusCode, body: (await res.body.json()) as { ready: boolean; store: string } };
}

test('PostgreSQL connections killed, then refused: 503s meanwhile, nothing acknowledged lost, recovery by itself', {
  skip: pg.skip,
}, async (t) => {
  const c = lifo(t);
  const db = await freshDatabase(c, pg);
  const replicas = await startReplicas(c, db, 2);
  const urls = replicas.map((r) => r.url);
  const plan = new LoadPlan({ events: 200_000, dupRate: 0.25, batch: 20, topics: 4, runId: 'outage' });
  const load = steadyLoad(urls, plan, 4);
  t.after(() => load.stop());

  await until(() => load.acked.size >= 50, 'requests are acknowledged');
  // A storm of terminations under load, for a couple of seconds.
  for (const end = Date.now() + 2500; Date.now() < end; ) {
    await terminateConnections(db);
    await sleep(100);
  }
  const afterStorm = load.acked.size;
  await until(() => load.acked.size >= afterStorm + 50, 'it recovers under load by itself');
  await load.stop();
  assert.ok(
    load.failures.every(
      (f) => f.status === 503 && f.error === 'AGG_ERR_STORE_UNAVAILABLE' && f.retryAfter === '1',
    ),
    `every failure is a 503 with Retry-After: ${JSON.stringify(load.failures.slice(0, 5))}`,
  );
  t.diagnostic(`storm: ${load.failures.length} requests answered 503, ${load.acked.size} acknowledged`);
  assert.ok(load.failures.length > 0, 'commits cut off by the storm were answered 503');

  // Now the database refuses connections altogether.
  await allowConnections(db, false);
  for (const url of urls) {
    const res = await request(`${url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: plan.body(plan.batches - 1),
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(((await res.body.json()) as { error: string }).error, 'AGG_ERR_STORE_UNAVAILABLE');
    const ready = await readyz(url);
    assert.equal(ready.status, 503);
    assert.deepEqual([ready.body.ready, ready.body.store], [false, 'unreachable']);
  }
  await sleep(500);

  // It comes back: both replicas are ready again without a restart and without traffic.
  await allowConnections(db, true);
  for (const url of urls)
    await until(async () => (await readyz(url)).status === 200, `${url} is ready again`);

  const counts = keyCounts(await allEventsOver(urls[0]));
  for (const key of keysOf(plan, load.acked))
    assert.equal(counts.get(key), 1, `acknowledged ${key} stored once`);
  assert.ok(
    [...counts.values()].every((n) => n === 1),
    'no event stored twice',
  );

  // The producers resend everything they sent (acknowledged or not): exactly those events are stored.
  const sent = load.sent();
  await send({ url: urls[1], concurrency: 4, batches: sent, body: (k) => plan.body(k) });
  const expected = keysOf(
    plan,
    Array.from({ length: sent }, (_, k) => k),
  ).size;
  const [s0, s1] = await Promise.all(urls.map(sharedStats));
  assert.equal(s0.unique_processed, expected);
  assertInvariant(s0, assert);
  assert.deepEqual(s1, s0);
});
