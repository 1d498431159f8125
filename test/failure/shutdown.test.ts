/**
 * SIGTERM under load: drains, commits what was accepted, refuses new work
 * with 503 in the JSON format, exits 0; every acknowledged event is present
 * exactly once.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { keysOf, runAckedLoad } from '../support/acked-load.js';
import { allEventsOver, assertInvariant, event, startApp, tempDir } from '../support/harness.js';

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
  const rows = await allEventsOver(second.url);
  const stored = new Set(rows.map((r) => `${r.topic}/${r.event_id}`));
  assert.equal(stored.size, rows.length, 'every stored event exactly once');
  for (const key of keysOf(plan, acked)) assert.ok(stored.has(key), `acknowledged ${key} present`);
  // Whatever was answered and not acknowledged was refused as shutting down (the rest saw the socket close).
  t.diagnostic(`answers by status: ${JSON.stringify([...load.statuses])}, acknowledged ${acked.size}`);
  for (const status of load.statuses.keys()) assert.ok(status === 200 || status === 503, `status ${status}`);
  for (const code of load.errorCodes) assert.equal(code, 'AGG_ERR_SHUTTING_DOWN');
  const s = (await (await request(`${second.url}/stats`)).body.json()) as StatsBody;
  assert.equal(s.unique_processed, stored.size);
  assertInvariant(s, assert);
  assert.equal(await second.stop('SIGINT'), 0, 'SIGINT also drains and exits 0');
});

test('a request arriving on an open connection while draining gets 503 AGG_ERR_SHUTTING_DOWN; the one in flight is committed', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as { port: number };
  const first = JSON.stringify(event(1));
  const second = JSON.stringify(event(2));
  const post = (body: string) =>
    `POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => {
    answer += chunk.toString();
  });
  const closed = new Promise((resolve) => socket.on('close', resolve));
  await new Promise((resolve) => socket.on('connect', resolve));
  // The first request is inside (headers read) when the shutdown starts; its body follows,
  // with a second request pipelined behind it on the same connection.
  socket.write(`${post(first)}${first.slice(0, 10)}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closing = h.app.close();
  socket.write(`${first.slice(10)}${post(second)}${second}`);
  await closed;
  await closing;

  const responses = answer.split(/(?=HTTP\/1\.1 )/);
  assert.equal(responses.length, 2, answer);
  assert.match(responses[0], /^HTTP\/1\.1 200 /);
  assert.match(responses[1], /^HTTP\/1\.1 503 /);
  assert.match(responses[1], /retry-after: 1/i);
  assert.match(responses[1], /connection: close/i);
  assert.match(responses[1], /"error":"AGG_ERR_SHUTTING_DOWN"/);

  const reopened = await startApp(h.config.dataDir);
  t.after(() => reopened.close());
  const s = await reopened.store.stats();
  assert.deepEqual(
    [s.received, s.unique_processed],
    [1, 1],
    'the first was committed, the second never taken',
  );
});
