/**
 * GET /subscribe (SSE): live delivery in commit order, resume with
 * Last-Event-ID with no gap and no repeat, topic filter, heartbeat, the
 * subscriber cap, a slow subscriber that does not make the server read ahead,
 * and shutdown with open streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import type { EventStore, ListQuery } from '../../src/store/event-store.js';
import { event, type Harness, publish, startApp, tempDir } from '../support/harness.js';
import { SseClient, type SseEvent } from '../support/sse-client.js';

async function listening(t: { after: (fn: () => unknown) => void }, flags: string[] = []) {
  const h = await startApp(tempDir(t), flags);
  t.after(() => h.close());
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return { h, url };
}

const seqs = (events: readonly SseEvent[]) => events.map((e) => Number(e.id));
const ids = (events: readonly SseEvent[]) => events.map((e) => JSON.parse(e.data).event_id as string);

test('a subscriber sees events published after it connected, in commit order, ids increasing', async (t) => {
  const { h, url } = await listening(t);
  const sub = await SseClient.connect(`${url}/subscribe`);
  t.after(() => sub.close());
  assert.match(String(sub.headers['content-type']), /^text\/event-stream/);

  for (let batch = 0; batch < 5; batch++) {
    const events = Array.from({ length: 20 }, (_, i) => event(batch * 20 + i, { topic: `t${i % 3}` }));
    assert.equal((await publish(h.app, events)).status, 200);
  }
  const got = await sub.waitFor(100);
  assert.equal(got.length, 100);
  assert.deepEqual(
    ids(got),
    Array.from({ length: 100 }, (_, i) => `evt-${i}`),
    'in publish (= commit) order',
  );
  const s = seqs(got);
  assert.ok(
    s.every((seq, i) => i === 0 || seq > s[i - 1]),
    'ids strictly increase',
  );
  // data is the stored event exactly as GET /events returns it.
  const listed = (await (await request(`${url}/events?limit=100`)).body.json()) as object[];
  assert.deepEqual(
    got.map((e) => JSON.parse(e.data)),
    listed,
  );
});

test('reconnecting with Last-Event-ID resumes with no gap and no repeat', async (t) => {
  const { h, url } = await listening(t);
  await publish(
    h.app,
    Array.from({ length: 30 }, (_, i) => event(i)),
  );
  const first = await SseClient.connect(`${url}/subscribe`);
  const before = await first.waitFor(30);
  first.close();
  const lastId = before.at(-1)?.id;
  assert.equal(lastId, '30');

  // Published while nobody was connected.
  await publish(
    h.app,
    Array.from({ length: 25 }, (_, i) => event(30 + i)),
  );
  // ?after=0 is what the original URL carried; Last-Event-ID wins, as on an EventSource reconnect.
  const second = await SseClient.connect(`${url}/subscribe?after=0`, { 'last-event-id': String(lastId) });
  t.after(() => second.close());
  await publish(
    h.app,
    Array.from({ length: 5 }, (_, i) => event(55 + i)),
  );
  const after = await second.waitFor(30);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(second.events.length, 30, 'nothing repeated, nothing extra');
  const all = [...before, ...after];
  assert.deepEqual(
    seqs(all),
    Array.from({ length: 60 }, (_, i) => i + 1),
    'no gap, no repeat',
  );
  assert.deepEqual(
    ids(all),
    Array.from({ length: 60 }, (_, i) => `evt-${i}`),
  );
});

test('?after= starts after a seq; ?topic= filters; bad Last-Event-ID is a 400', async (t) => {
  const { h, url } = await listening(t);
  await publish(
    h.app,
    Array.from({ length: 10 }, (_, i) => event(i, { topic: i % 2 ? 'odd' : 'even' })),
  );
  const after = await SseClient.connect(`${url}/subscribe?after=7`);
  t.after(() => after.close());
  assert.deepEqual(seqs(await after.waitFor(3)), [8, 9, 10]);

  const odd = await SseClient.connect(`${url}/subscribe?topic=odd`);
  t.after(() => odd.close());
  await odd.waitFor(5);
  await publish(h.app, [event(10, { topic: 'even' }), event(11, { topic: 'odd' })]);
  const got = await odd.waitFor(6);
  assert.deepEqual(ids(got), ['evt-1', 'evt-3', 'evt-5', 'evt-7', 'evt-9', 'evt-11']);

  await assert.rejects(
    SseClient.connect(`${url}/subscribe`, { 'last-event-id': 'yesterday' }),
    (err: { status: number; body: string }) => {
      assert.equal(err.status, 400);
      assert.equal(JSON.parse(err.body).error, 'AGG_ERR_BAD_REQUEST');
      return true;
    },
  );
  await assert.rejects(SseClient.connect(`${url}/subscribe?after=-1`), { status: 400 });
});

test('an idle stream gets heartbeat comments', async (t) => {
  const { url } = await listening(t, ['--sse-heartbeat-ms', '50']);
  const sub = await SseClient.connect(`${url}/subscribe`);
  t.after(() => sub.close());
  await sub.waitUntil(
    () => sub.comments.length >= 2,
    () => 'two heartbeats',
    5_000,
  );
  assert.equal(sub.events.length, 0);
});

test('past --max-subscribers a new stream gets 503 + Retry-After; a freed slot is reusable', async (t) => {
  const { h, url } = await listening(t, ['--max-subscribers', '2']);
  const a = await SseClient.connect(`${url}/subscribe`);
  const b = await SseClient.connect(`${url}/subscribe`);
  t.after(() => b.close());
  await assert.rejects(
    SseClient.connect(`${url}/subscribe`),
    (err: { status: number; headers: Record<string, string>; body: string }) => {
      assert.equal(err.status, 503);
      assert.ok(Number(err.headers['retry-after']) > 0);
      assert.equal(JSON.parse(err.body).error, 'AGG_ERR_OVERLOADED');
      return true;
    },
  );
  a.close();
  await waitFor(() => subscribers(h) === 1);
  const c = await SseClient.connect(`${url}/subscribe`);
  c.close();
});

test('a slow subscriber does not make the server read ahead; it still gets everything in order', async (t) => {
  const dir = tempDir(t);
  const h = await startApp(dir);
  t.after(() => h.close());
  const rowsRead = countReads(h.store);
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });

  const sub = await SseClient.connect(`${url}/subscribe`);
  t.after(() => sub.close());
  sub.pause();
  const total = 12_000;
  const filler = 'x'.repeat(2_000);
  for (let i = 0; i < total; i += 1_000) {
    const events = Array.from({ length: 1_000 }, (_, j) => event(i + j, { payload: { filler } }));
    assert.equal((await publish(h.app, events)).status, 200);
  }
  // Let the stream run into the full socket, then check it stopped reading.
  await new Promise((r) => setTimeout(r, 500));
  const readWhilePaused = rowsRead.count;
  t.diagnostic(`rows read while the client was paused: ${readWhilePaused} of ${total}`);
  assert.ok(
    readWhilePaused < total,
    `read ${readWhilePaused} of ${total} rows (~${Math.round((readWhilePaused * 2.2) / 1024)} MiB) while the client read nothing`,
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(rowsRead.count, readWhilePaused, 'no more reads while the socket stays full');

  sub.resume();
  const got = await sub.waitFor(total, 30_000);
  assert.deepEqual(
    seqs(got),
    Array.from({ length: total }, (_, i) => i + 1),
  );
});

test('closing the app with live subscribers ends their streams and completes promptly', async (t) => {
  const { h, url } = await listening(t);
  const subs = await Promise.all([1, 2, 3].map(() => SseClient.connect(`${url}/subscribe`)));
  await publish(h.app, [event(1)]);
  await Promise.all(subs.map((s) => s.waitFor(1)));
  const started = Date.now();
  await h.close();
  const took = Date.now() - started;
  assert.ok(took < 2_000, `close took ${took} ms`);
  await Promise.all(subs.map((s) => s.ended));
  assert.equal(subscribers(h), 0);
});

const subscribers = (h: Harness) => h.app.sse.size;

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Counts rows the store hands out through list(): what the server has read (and may hold). */
function countReads(store: EventStore): { count: number } {
  const counter = { count: 0 };
  const list = store.list.bind(store);
  store.list = async (query: ListQuery) => {
    const rows = await list(query);
    counter.count += rows.length;
    return rows;
  };
  return counter;
}
