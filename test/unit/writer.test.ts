/**
 * The writer on a real SQLite store: group commit, the queue bound, draining
 * on close, and isolation of a failing request from the others in its group.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PreparedEvent } from '../../src/domain/event.js';
import { type CommitInfo, Writer } from '../../src/ingest/writer.js';
import { OverloadedError, ShuttingDownError } from '../../src/ingest/writer-errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { event, prepared as prepare, tempDir } from '../support/harness.js';

const prepared = (from: number, n: number) => prepare(Array.from({ length: n }, (_, i) => event(from + i)));

function open(t: Parameters<typeof tempDir>[0], queueEvents = 1000, batchEvents = 1000) {
  const store = new SqliteStore({ dataDir: tempDir(t), sync: 'full' });
  const writer = new Writer(store, { queueEvents, batchEvents, clock: Date.now });
  const commits: CommitInfo[] = [];
  writer.onCommit((c) => commits.push(c));
  return { store, writer, commits };
}

test('requests submitted in the same tick share one transaction', async (t) => {
  const { store, writer, commits } = open(t);
  t.after(() => store.close());
  const results = await Promise.all([
    writer.submit(prepared(0, 3)),
    writer.submit(prepared(3, 2)),
    writer.submit(prepared(0, 1)),
  ]);
  assert.deepEqual(results, [['stored', 'stored', 'stored'], ['stored', 'stored'], ['duplicate']]);
  assert.equal(commits.length, 1);
  assert.equal(commits[0].requests, 3);
  assert.equal(commits[0].lastSeq, 5);
});

test('the batch cap splits a large group into several transactions', async (t) => {
  const { store, writer, commits } = open(t, 1000, 4);
  t.after(() => store.close());
  await Promise.all([
    writer.submit(prepared(0, 3)),
    writer.submit(prepared(3, 3)),
    writer.submit(prepared(6, 3)),
  ]);
  assert.deepEqual(
    commits.map((c) => c.events),
    [3, 3, 3],
  );
  assert.equal((await store.stats()).unique_processed, 9);
});

test('a full queue refuses with OverloadedError and stores nothing of the refused request', async (t) => {
  const { store, writer } = open(t, 10);
  t.after(() => store.close());
  const a = writer.submit(prepared(0, 6));
  const b = writer.submit(prepared(100, 5)); // 6 + 5 > 10
  const c = writer.submit(prepared(200, 4)); // 6 + 4 fits
  await assert.rejects(b, OverloadedError);
  await Promise.all([a, c]);
  const s = await store.stats();
  assert.equal(s.unique_processed, 10);
  assert.equal(s.received, 10);
  // A request larger than the bound still gets in when nothing waits.
  assert.equal((await writer.submit(prepared(300, 50))).length, 50);
});

test('close() commits everything accepted, then refuses new work', async (t) => {
  const { store, writer } = open(t);
  t.after(() => store.close());
  const pending = writer.submit(prepared(0, 100));
  await writer.close();
  assert.equal((await pending).length, 100);
  await assert.rejects(writer.submit(prepared(100, 1)), ShuttingDownError);
  assert.equal((await store.stats()).unique_processed, 100);
  assert.equal(writer.healthy, false);
});

test('a request that breaks its transaction does not fail the requests grouped with it', async (t) => {
  const { store, writer } = open(t);
  t.after(() => store.close());
  // Bypasses validation on purpose: the store cannot bind an object, as if a bug slipped through.
  const broken = [{ ...prepared(50, 1)[0], topic: {} as unknown as string }] as PreparedEvent[];
  const [good1, bad, good2] = await Promise.allSettled([
    writer.submit(prepared(0, 3)),
    writer.submit(broken),
    writer.submit(prepared(3, 3)),
  ]);
  assert.equal(good1.status, 'fulfilled');
  assert.equal(bad.status, 'rejected');
  assert.equal(good2.status, 'fulfilled');
  const s = await store.stats();
  assert.deepEqual([s.received, s.unique_processed], [6, 6]);
  assert.equal(writer.healthy, true, 'the last commit succeeded');
});

test('rejected deliveries are counted in the store even with no events to commit', async (t) => {
  const { store, writer } = open(t);
  t.after(() => store.close());
  writer.countRefused(3);
  writer.countRefused(2);
  await writer.close();
  const s = await store.stats();
  assert.equal(s.rejected, 5);
  assert.equal(s.received, 0);
});

test('countRefused() resolves once the count is committed (a broker source terminates the message only then)', async (t) => {
  const { store, writer } = open(t);
  t.after(() => store.close());
  await writer.countRefused(2);
  assert.equal((await store.stats()).rejected, 2);
  await Promise.all([writer.countRefused(1), writer.submit(prepared(0, 1)), writer.countRefused(3)]);
  assert.equal((await store.stats()).rejected, 6);
});

test('with splitAbove, a heavy group is split in halves so commits can overlap with parsing', async (t) => {
  const store = new SqliteStore({ dataDir: tempDir(t), sync: 'full' });
  t.after(() => store.close());
  const writer = new Writer(store, {
    queueEvents: 1000,
    batchEvents: 1000,
    clock: Date.now,
    tuning: { splitAbove: 5, pipeline: 1 },
  });
  const commits: CommitInfo[] = [];
  writer.onCommit((c) => commits.push(c));
  await Promise.all([0, 10, 20, 30].map((from) => writer.submit(prepared(from, 10))));
  assert.deepEqual(
    commits.map((c) => c.requests),
    [2, 1, 1],
    '40 waiting → a group of ~20, then 20 waiting → ~10, then the last',
  );
  // Light load is not split: one small request commits alone, at once.
  await writer.submit(prepared(100, 3));
  assert.equal(commits.at(-1)?.events, 3);
});
