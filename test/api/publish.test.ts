/**
 * POST /publish end to end on a real SQLite store: every body form, per-request
 * outcomes, dedup inside a request / across requests / across a restart,
 * conflicts, and ack-after-commit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertInvariant, event, getJson, publish, startApp, stats, tempDir } from '../support/harness.js';

test('accepts one event, an array, {"events": [...]} and NDJSON', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  assert.equal((await publish(h.app, event(1))).body.unique_processed, 1);
  assert.equal((await publish(h.app, [event(2), event(3)])).body.unique_processed, 2);
  assert.equal((await publish(h.app, { events: [event(4), event(5)] })).body.unique_processed, 2);
  const ndjson = `${JSON.stringify(event(6))}\n${JSON.stringify(event(7))}\r\n\n`;
  assert.equal((await publish(h.app, ndjson, 'application/x-ndjson')).body.unique_processed, 2);
  const s = await stats(h.app);
  assert.equal(s.unique_processed, 7);
  assertInvariant(s, assert);
});

test('the answer names duplicates and conflicts by index; repeats inside one request are duplicates', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(h.app, [event(1), event(2)]);
  const res = await publish(h.app, [
    event(3), // new
    event(1), // duplicate of an earlier request, same body
    event(2, { payload: { changed: true } }), // duplicate with a different body: conflict
    event(3), // repeat inside this request
    event(4),
  ]);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    received: 5,
    unique_processed: 2,
    duplicate_dropped: 3,
    duplicates: [1, 2, 3],
    conflicts: [2],
  });
  const s = await stats(h.app);
  assert.deepEqual([s.received, s.unique_processed, s.duplicate_dropped, s.conflicts], [7, 4, 3, 1]);
  assertInvariant(s, assert);
});

test('first write wins: a conflicting redelivery never replaces the stored body', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(h.app, event(1, { source: 'first', payload: { v: 1 } }));
  await publish(h.app, event(1, { source: 'second', payload: { v: 2 } }));
  const [stored] = await getJson<{ source: string; payload: unknown }[]>(h.app, '/events');
  assert.equal(stored.source, 'first');
  assert.deepEqual(stored.payload, { v: 1 });
});

test('the same JSON value with another key order is a duplicate, not a conflict', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(h.app, event(1, { payload: { a: 1, b: { c: [1, 2], d: 'x' } } }));
  const res = await publish(h.app, event(1, { payload: { b: { d: 'x', c: [1, 2] }, a: 1.0 } }));
  assert.deepEqual(res.body.conflicts, []);
  assert.deepEqual(res.body.duplicates, [0]);
});

test('the same event_id in two topics is two events', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const res = await publish(h.app, [event(1, { topic: 'a' }), event(1, { topic: 'b' })]);
  assert.equal(res.body.unique_processed, 2);
  assert.deepEqual((await stats(h.app)).topics, ['a', 'b']);
});

test('ack after commit: right after a 2xx the events are readable, fields exactly as sent', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const sent = event(42, {
    timestamp: '2026-11-25T10:00:00.500+07:00',
    payload: { nested: { list: [1, 'two', null] } },
  });
  const res = await publish(h.app, sent);
  assert.equal(res.status, 200);
  // No sleep: the 200 was sent after the transaction committed.
  const rows = await getJson<Record<string, unknown>[]>(h.app, '/events');
  assert.equal(rows.length, 1);
  const { seq, received_at, ...fields } = rows[0];
  assert.deepEqual(fields, sent);
  assert.equal(seq, 1);
  assert.ok(!Number.isNaN(Date.parse(String(received_at))));
});

test('dedup survives a restart; counters and events are reloaded from disk', async (t) => {
  const dir = tempDir(t);
  const first = await startApp(dir);
  await publish(first.app, [event(1), event(2), event(3)]);
  await publish(first.app, [event(1)]);
  await first.close();

  const second = await startApp(dir);
  t.after(() => second.close());
  const before = await stats(second.app);
  assert.deepEqual([before.received, before.unique_processed, before.duplicate_dropped], [4, 3, 1]);
  const res = await publish(second.app, [event(2), event(3), event(4)]);
  assert.deepEqual(res.body.duplicates, [0, 1]);
  const after = await stats(second.app);
  assert.deepEqual([after.received, after.unique_processed, after.duplicate_dropped], [7, 4, 3]);
  assertInvariant(after, assert);
  // New events continue the sequence; nothing was renumbered.
  const rows = await getJson<{ seq: number; event_id: string }[]>(second.app, '/events');
  assert.deepEqual(
    rows.map((r) => [r.seq, r.event_id]),
    [
      [1, 'evt-1'],
      [2, 'evt-2'],
      [3, 'evt-3'],
      [4, 'evt-4'],
    ],
  );
});
