/**
 * A drop-in for the original service's clients (the Python service this
 * project replaces): its test suite (`tests/test_main.py`), `stress_test.py`
 * and `publisher.py`, replayed without Python — the same requests over real
 * HTTP (bodies as Python's `datetime.now(timezone.utc).isoformat()` writes
 * timestamps, `{"events": [...]}` batches, ten requests at a time) and the
 * same checks, against `serve --accepted-status 202` (and ACCEPTED_STATUS).
 * The original answered 202 before storing anything; we answer 202 after
 * commit, so its sleeps before reading /stats are no longer needed, and none
 * is made here.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { request } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { startApp, tempDir } from '../support/harness.js';

/** `datetime.now(timezone.utc).isoformat()`: microseconds and `+00:00`. */
const pythonNow = () => new Date().toISOString().replace('Z', '000+00:00');

/** A fresh server, as the original's fixture reset its state before every test. */
async function original(t: TestContext) {
  const h = await startApp(tempDir(t), ['--accepted-status', '202']);
  t.after(() => h.close());
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const post = async (body: unknown) => {
    const res = await request(`${base}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };
  const get = async (path: string) => {
    const res = await request(`${base}${path}`);
    assert.equal(res.statusCode, 200);
    return (await res.body.json()) as Record<string, unknown> & unknown[];
  };
  return { post, get };
}

const ev = (topic: string, eventId: string, source: string, payload: object = {}) => ({
  topic,
  event_id: eventId,
  timestamp: pythonNow(),
  source,
  payload,
});

test('test_main.py: initial stats are zero', async (t) => {
  const { get } = await original(t);
  const s = await get('/stats');
  assert.deepEqual([s.received_events, s.unique_events, s.duplicates], [0, 0, 0]);
});

test('test_main.py: one event → 202 with queued_count 1, then 1 received, 1 unique', async (t) => {
  const { post, get } = await original(t);
  const res = await post(ev('test.topic', 'ev-001', 'pytest', { data: 123 }));
  assert.equal(res.status, 202);
  assert.equal(res.body.queued_count, 1);
  const s = await get('/stats');
  assert.deepEqual([s.received_events, s.unique_events, s.duplicates], [1, 1, 0]);
});

test('test_main.py: the same event three times → 3 received, 1 unique, 2 duplicates', async (t) => {
  const { post, get } = await original(t);
  const event = ev('dedup.test', 'ev-dedup-001', 'pytest');
  for (let i = 0; i < 3; i++) assert.equal((await post(event)).status, 202);
  const s = await get('/stats');
  assert.deepEqual([s.received_events, s.unique_events, s.duplicates], [3, 1, 2]);
});

test('test_main.py: a {"events": [...]} batch of 2 → 202 with queued_count 2', async (t) => {
  const { post, get } = await original(t);
  const res = await post({
    events: [
      ev('batch.test', 'ev-batch-001', 'pytest-batch'),
      ev('batch.test', 'ev-batch-002', 'pytest-batch'),
    ],
  });
  assert.equal(res.status, 202);
  assert.equal(res.body.queued_count, 2);
  const s = await get('/stats');
  assert.deepEqual([s.received_events, s.unique_events], [2, 2]);
});

test('test_main.py: GET /events is an array, filtered by ?topic=', async (t) => {
  const { post, get } = await original(t);
  await post(ev('topic.a', 'ev-a1', 'p'));
  await post(ev('topic.b', 'ev-b1', 'p'));
  assert.equal((await get('/events')).length, 2);
  const filtered = await get('/events?topic=topic.a');
  assert.equal(filtered.length, 1);
  assert.equal((filtered[0] as { event_id: string }).event_id, 'ev-a1');
});

test('stress_test.py: 5,000 events, 25 % duplicates, batches of 100, ten at a time: no failure line', async (t) => {
  const { post, get } = await original(t);
  const total = 5000;
  const unique = Array.from({ length: total * 0.75 }, () =>
    ev('stress.test', `evt-${randomUUID().slice(0, 8)}`, 'stress_tester', {
      random: Math.floor(Math.random() * 1001),
    }),
  );
  const all = [
    ...unique,
    ...Array.from({ length: total - unique.length }, () => unique[Math.floor(Math.random() * unique.length)]),
  ];
  all.sort(() => Math.random() - 0.5);
  const failures: string[] = [];
  const batches = Array.from({ length: total / 100 }, (_, i) => all.slice(i * 100, i * 100 + 100));
  for (let i = 0; i < batches.length; i += 10) {
    await Promise.all(
      batches.slice(i, i + 10).map(async (batch, j) => {
        const res = await post({ events: batch });
        // stress_test.py prints "Gagal batch N: <status>" for anything but 202.
        if (res.status !== 202) failures.push(`batch ${i + j}: ${res.status}`);
      }),
    );
  }
  assert.deepEqual(failures, []);
  // Its polling loop ends on the first read: everything acknowledged is already counted.
  const s = await get('/stats');
  assert.ok((s.received_events as number) >= total * 0.9, 'Terlalu sedikit event diterima!');
  assert.ok((s.duplicates as number) > 0, 'Tidak ada duplikasi yang terdeteksi!');
  assert.equal(s.received_events, total);
  assert.equal(s.unique_events, new Set(unique.map((e) => e.event_id)).size);
  assert.equal(s.duplicates, total - (s.unique_events as number));
});

test('publisher.py: 150 events drawn from 100 ids in one request → 202', async (t) => {
  const { post, get } = await original(t);
  const ids = Array.from({ length: 100 }, () => randomUUID());
  const events = Array.from({ length: 150 }, () =>
    ev('compose.test', ids[Math.floor(Math.random() * ids.length)], 'compose-publisher'),
  );
  const res = await post({ events });
  assert.equal(res.status, 202);
  assert.equal(res.body.queued_count, 150);
  const s = await get('/stats');
  assert.equal(s.unique_events, new Set(events.map((e) => e.event_id)).size);
});

test('ACCEPTED_STATUS=202 in the environment does the same; the default stays 200 without queued_count', async (t) => {
  assert.equal(loadConfig([], { ACCEPTED_STATUS: '202' }).acceptedStatus, 202);
  assert.equal(loadConfig([], {}).acceptedStatus, 200);
  assert.throws(
    () => loadConfig(['--accepted-status', '201'], {}),
    /--accepted-status \/ ACCEPTED_STATUS must be one of 200, 202/,
  );
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const res = await h.app.inject({ method: 'POST', url: '/publish', payload: ev('a', 'b', 'c') });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().queued_count, undefined);
});
