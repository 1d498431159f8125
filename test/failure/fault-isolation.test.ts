/**
 * A fault tied to one request never fails, rolls back or delays the other
 * requests that shared its group commit — through the SQLite writer thread
 * the server runs (the error crosses the thread boundary and the writer
 * retries each request of the failed group alone).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PreparedEvent } from '../../src/domain/event.js';
import { type CommitInfo, Writer } from '../../src/ingest/writer.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-sqlite-store.js';
import { event, prepared as prepare, tempDir } from '../support/harness.js';

const prepared = (from: number, n: number) => prepare(Array.from({ length: n }, (_, i) => event(from + i)));

test('through the writer thread: a request that breaks its transaction fails alone', async (t) => {
  const store = await ThreadedSqliteStore.open({ dataDir: tempDir(t), sync: 'full' });
  t.after(() => store.close());
  const writer = new Writer(store, { queueEvents: 1000, batchEvents: 1000, clock: Date.now });
  const commits: CommitInfo[] = [];
  writer.onCommit((c) => commits.push(c));

  // Bypasses validation on purpose, as if a bug let it through: SQLite cannot bind an object.
  const broken = [{ ...prepared(50, 1)[0], topic: {} as unknown as string }] as PreparedEvent[];
  const results = await Promise.allSettled([
    writer.submit(prepared(0, 3)),
    writer.submit(broken),
    writer.submit(prepared(3, 3)),
    writer.submit([...prepared(6, 2), ...prepared(0, 1)]),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  assert.deepEqual((results[3] as PromiseFulfilledResult<string[]>).value, ['stored', 'stored', 'duplicate']);
  const s = await store.stats();
  assert.deepEqual([s.received, s.unique_processed, s.duplicate_dropped], [9, 8, 1]);
  assert.equal(
    commits.reduce((n, c) => n + c.requests, 0),
    3,
    'the good requests committed, each exactly once',
  );
  assert.equal(writer.healthy, true, 'the last commit succeeded');

  // The thread survived the fault and keeps committing.
  assert.deepEqual(await writer.submit(prepared(100, 1)), ['stored']);
  await writer.close();
});
