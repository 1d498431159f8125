/**
 * GET /stats: the SPEC's lifetime counters and the original service's aliases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { event, getJson, publish, startApp, tempDir } from '../support/harness.js';

test('/stats carries the SPEC names and the original service aliases', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(h.app, [event(1, { topic: 'z' }), event(2, { topic: 'a' }), event(2, { topic: 'a' })]);
  const s = await getJson<Record<string, unknown>>(h.app, '/stats');
  assert.equal(s.received, 3);
  assert.equal(s.unique_processed, 2);
  assert.equal(s.duplicate_dropped, 1);
  assert.equal(s.conflicts, 0);
  assert.deepEqual(s.topics, ['a', 'z']);
  assert.equal(s.received_events, 3);
  assert.equal(s.unique_events, 2);
  assert.equal(s.duplicates, 1);
  assert.equal(typeof s.uptime_seconds, 'number');
  assert.ok(!Number.isNaN(Date.parse(String(s.started_at))));
});
