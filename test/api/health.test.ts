/**
 * GET /healthz and GET /readyz: liveness, and readiness that follows the store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getJson, startApp, tempDir } from '../support/harness.js';

test('health and readiness answer ok on a working store', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  assert.deepEqual(await getJson(h.app, '/healthz'), { status: 'ok' });
  assert.deepEqual(await getJson(h.app, '/readyz'), { ready: true, store: 'ok', writer: 'ok' });
});

test('readiness turns false when the store is gone', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await h.store.close();
  const res = await h.app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.json().ready, false);
});
