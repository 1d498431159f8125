/**
 * The two-level dedup index under the SQLite store: exact through merges,
 * reopen, hash collisions and rolled-back transactions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PreparedEvent } from '../../src/domain/event.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import { event, prepared as prepare, tempDir } from '../support/harness.js';

const prepared = (ids: number[], topic = 'orders.created') => prepare(ids.map((i) => event(i, { topic })));
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const insert = (store: SqliteStore, events: PreparedEvent[]) =>
  store.insertBatch({ events, receivedAt: Date.now(), rejected: 0 });
const count = (outcomes: string[], o: string) => outcomes.filter((x) => x === o).length;

function open(dir: string, extra: Partial<SqliteStoreOptions> = {}) {
  // Tiny merge threshold: many merges, each split into hash-range chunks.
  return new SqliteStore({ dataDir: dir, sync: 'full', keyIndex: { mergeAt: 50, chunks: 4 }, ...extra });
}

test('keys stay deduplicated while they move from memory to the on-disk index, and after reopening', async (t) => {
  const dir = tempDir(t);
  const store = open(dir);
  for (let b = 0; b < 20; b++) await insert(store, prepared(range(b * 37, 37)));
  const again = await insert(store, prepared(range(0, 740)));
  assert.equal(count(again.outcomes, 'duplicate'), 740);
  await store.close();

  const reopened = open(dir);
  t.after(() => reopened.close());
  const third = await insert(reopened, prepared(range(700, 80)));
  assert.equal(count(third.outcomes, 'duplicate'), 40);
  assert.equal(count(third.outcomes, 'stored'), 40);
  const s = await reopened.stats();
  assert.deepEqual([s.unique_processed, s.duplicate_dropped], [780, 780]);
});

test('dedup is exact even when every key hashes to the same value', async (t) => {
  const store = open(tempDir(t), { hashKey: () => 42 });
  t.after(() => store.close());
  const first = await insert(store, [...prepared(range(0, 60), 'a'), ...prepared(range(0, 60), 'b')]);
  assert.equal(count(first.outcomes, 'stored'), 120, 'same event_id in two topics, same hash: two events');
  // Merge everything into the on-disk index, then check again from both levels.
  for (let i = 0; i < 10; i++) store.maintain();
  const second = await insert(store, [...prepared(range(30, 60), 'a'), ...prepared(range(0, 10), 'c')]);
  assert.equal(count(second.outcomes, 'duplicate'), 30);
  assert.equal(count(second.outcomes, 'stored'), 40);
});

test('a rolled-back transaction leaves no key behind in the index', async (t) => {
  const store = open(tempDir(t));
  t.after(() => store.close());
  const good = prepared([1, 2, 3]);
  const broken = { ...prepared([4])[0], topic: {} as unknown as string };
  await assert.rejects(insert(store, [...good, broken]));
  const retry = await insert(store, good);
  assert.deepEqual(
    retry.outcomes,
    ['stored', 'stored', 'stored'],
    'nothing of the failed batch counts as stored',
  );
  assert.equal((await store.stats()).received, 3);
});

test('half-way through a merge every key is found, in a merged hash range or one still in memory', async (t) => {
  const store = open(tempDir(t));
  t.after(() => store.close());
  const ids = range(0, 200);
  // One batch past mergeAt: its insert starts the merge and moves the first of 4 ranges to disk.
  await insert(store, prepared(ids));
  for (let step = 0; step < 4; step++) {
    const again = await insert(store, prepared(ids));
    assert.equal(count(again.outcomes, 'duplicate'), 200, `after merge step ${step + 1}`);
  }
  const fresh = await insert(store, prepared(range(200, 10)));
  assert.equal(count(fresh.outcomes, 'stored'), 10);
});
