/**
 * Retention through the API (--retain-days, with the app's clock moved past
 * it): pruned events leave /events and /subscribe cleanly, /stats and
 * /metrics count them exactly, and a re-send of a pruned event is still a
 * duplicate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { assertInvariant, event, getJson, publish, startApp, stats, tempDir } from '../support/harness.js';
import { parsePrometheus } from '../support/prometheus.js';
import { eventBytes } from '../support/retention-contract.js';
import { SseClient } from '../support/sse-client.js';

const DAY = 86_400_000;

/** Polls /stats until `done` holds (the pruner runs in the background); fails after ~20 s. */
async function statsWhen(app: Parameters<typeof stats>[0], done: (s: StatsBody) => boolean) {
  for (let i = 0; i < 1000; i++) {
    const s = await stats(app);
    if (done(s)) return s;
    await sleep(20);
  }
  throw new Error(`never: ${JSON.stringify((await stats(app)).retention)}`);
}

test('events past --retain-days are pruned: reads skip them, counters are exact, re-sends stay duplicates', async (t) => {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const h = await startApp(tempDir(t), ['--retain-days', '1'], () => now);
  t.after(() => h.close());
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });

  const olds = Array.from({ length: 30 }, (_, i) => event(i, { topic: i % 2 ? 'odd' : 'even' }));
  assert.equal((await publish(h.app, olds)).status, 200);
  now += 2 * DAY;
  const news = Array.from({ length: 5 }, (_, i) => event(100 + i, { topic: i % 2 ? 'odd' : 'even' }));
  assert.equal((await publish(h.app, news)).status, 200);

  const s = await statsWhen(h.app, (x) => x.retention.events_pruned === 30);
  assert.deepEqual(s.retention, {
    events_pruned: 30,
    bytes_reclaimed: olds.reduce((n, e) => n + eventBytes(e), 0),
    keys_kept: 30,
    pruned_through_seq: 30,
  });
  assert.deepEqual([s.received, s.unique_processed, s.last_seq], [35, 35, 35], 'lifetime counters stay');

  // GET /events and /subscribe start at the oldest event kept, whatever the cursor.
  const listed = await getJson<{ seq: number; event_id: string }[]>(h.app, '/events?after=0');
  assert.deepEqual(
    listed.map((e) => e.seq),
    [31, 32, 33, 34, 35],
  );
  assert.deepEqual(await getJson(h.app, '/events?after=12'), listed);
  const odd = await getJson<{ event_id: string }[]>(h.app, '/events?topic=odd');
  assert.deepEqual(
    odd.map((e) => e.event_id),
    ['evt-101', 'evt-103'],
  );
  const sub = await SseClient.connect(`${url}/subscribe`, { 'last-event-id': '10' });
  t.after(() => sub.close());
  assert.deepEqual(
    (await sub.waitFor(5)).map((e) => Number(e.id)),
    [31, 32, 33, 34, 35],
  );

  // Re-sends: pruned (same or other body) are duplicates; the answer says so per index.
  const resend = await publish(h.app, [
    olds[0],
    event(1, { topic: 'odd', payload: { other: true } }),
    event(200),
  ]);
  assert.equal(resend.status, 200);
  assert.deepEqual(resend.body.duplicates, [0, 1]);
  assert.equal(resend.body.unique_processed, 1);
  const after = await stats(h.app);
  assert.deepEqual([after.received, after.unique_processed, after.duplicate_dropped], [38, 36, 2]);
  assertInvariant(after, assert);

  const res = await request(`${url}/metrics`);
  const m = parsePrometheus(await res.body.text());
  assert.equal(m.value('aggregator_store_events', { counter: 'pruned' }), 30);
  assert.equal(m.value('aggregator_store_pruned_bytes'), s.retention.bytes_reclaimed);
  assert.equal(m.value('aggregator_store_kept_keys'), 30);
});

test('retention off: nothing is pruned and /stats says zeros', async (t) => {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const h = await startApp(tempDir(t), [], () => now);
  t.after(() => h.close());
  await publish(h.app, [event(1), event(2)]);
  now += 1000 * DAY;
  await publish(h.app, [event(3)]);
  const s = await stats(h.app);
  assert.deepEqual(s.retention, {
    events_pruned: 0,
    bytes_reclaimed: 0,
    keys_kept: 0,
    pruned_through_seq: 0,
  });
  assert.equal((await getJson<unknown[]>(h.app, '/events')).length, 3);
});
