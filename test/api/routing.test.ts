/**
 * Unknown routes and wrong methods: JSON 404 / 405 in the error format, never a stack trace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApp, tempDir } from '../support/harness.js';

test('JSON 404 / 405 without stack traces; 405 names the allowed methods', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const missing = await h.app.inject({ method: 'GET', url: '/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error, 'AGG_ERR_NOT_FOUND');
  const wrong = await h.app.inject({ method: 'PUT', url: '/publish' });
  assert.equal(wrong.statusCode, 405);
  assert.equal(wrong.json().error, 'AGG_ERR_METHOD_NOT_ALLOWED');
  assert.equal(wrong.headers.allow, 'POST');
  assert.doesNotMatch(wrong.body + missing.body, /at .*\.js/);
});
