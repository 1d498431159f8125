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

test('/stats/summary has the totals of /stats and a size that does not grow with the topics', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(h.app, [event(1, { topic: 'a' }), event(1, { topic: 'a' })]);
  const small = await h.app.inject({ method: 'GET', url: '/stats/summary' });
  await publish(
    h.app,
    Array.from({ length: 500 }, (_, i) => event(i, { topic: `topic-with-a-long-name-${i}` })),
  );
  const large = await h.app.inject({ method: 'GET', url: '/stats/summary' });
  assert.ok(large.body.length - small.body.length < 20, `${small.body.length} → ${large.body.length} bytes`);

  const summary = large.json();
  const stats = await getJson<Record<string, unknown>>(h.app, '/stats');
  for (const key of [
    'received',
    'unique_processed',
    'duplicate_dropped',
    'conflicts',
    'rejected',
    'last_seq',
  ]) {
    assert.equal(summary[key], stats[key], key);
  }
  assert.equal(summary.topic_count, 501);
  assert.equal(summary.started_at, stats.started_at);
  assert.equal(summary.store, 'sqlite');
  assert.equal(summary.per_topic, undefined);
});

test('/stats/history serves per-second counts of complete seconds, for at most the last hour', async (t) => {
  let now = 1_800_000_000_000;
  const s0 = now / 1000;
  const h = await startApp(tempDir(t), [], () => now);
  t.after(() => h.close());
  const history = (query = '') => getJson<Record<string, unknown>>(h.app, `/stats/history${query}`);

  await publish(h.app, [event(1), event(2), event(1)]);
  assert.deepEqual(await history(), { from: s0, step_seconds: 1, received: [], duplicates: [] });
  now += 1000;
  await publish(h.app, [event(3), event(4)]);
  now += 2500;
  assert.deepEqual(await history(), {
    from: s0,
    step_seconds: 1,
    received: [3, 2, 0],
    duplicates: [1, 0, 0],
  });
  assert.deepEqual(await history(`?after=${s0}`), {
    from: s0 + 1,
    step_seconds: 1,
    received: [2, 0],
    duplicates: [0, 0],
  });
  assert.deepEqual((await history('?seconds=1')).received, [0]);

  // Two hours later: the last hour, all quiet, and no old bucket leaks back in.
  now += 2 * 3600 * 1000;
  const late = await history();
  assert.equal(late.from, Math.floor(now / 1000) - 3600);
  assert.equal((late.received as number[]).length, 3600);
  assert.ok((late.received as number[]).every((n) => n === 0));

  const bad = await h.app.inject({ method: 'GET', url: '/stats/history?seconds=0' });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().details[0].field, 'seconds');
});
