/**
 * Retention on SQLite: the contract on the inline and the threaded store,
 * then what only this store's key index has — pruned keys that were still in
 * memory (L0), a merge in progress, and colliding key hashes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../../src/domain/event.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-sqlite-store.js';
import { event, prepared, tempDir } from '../support/harness.js';
import { pruneAll, retentionContract } from '../support/retention-contract.js';

retentionContract('SqliteStore', {
  bySize: true,
  fixture: async (t) => {
    const dataDir = tempDir(t);
    return { open: async () => new SqliteStore({ dataDir, sync: 'full' }) };
  },
});

retentionContract('ThreadedSqliteStore', {
  bySize: true,
  fixture: async (t) => {
    const dataDir = tempDir(t);
    return { open: () => ThreadedSqliteStore.open({ dataDir, sync: 'full' }) };
  },
});

const at = Date.parse('2026-11-29T12:00:00Z');
const batch = (events: Event[]) => ({ events: prepared(events), receivedAt: at, rejected: 0 });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => event(from + i));

test('keys pruned from memory, from disk and during a merge stay duplicates, also after reopening', async (t) => {
  const dataDir = tempDir(t);
  // A tiny L0 so merges happen: keys 0..39 end up in L1, later ones in memory, some mid-merge.
  const open = () => new SqliteStore({ dataDir, sync: 'full', keyIndex: { mergeAt: 20, chunks: 4 } });
  let store = open();
  for (let b = 0; b < 6; b++) {
    await store.insertBatch(batch(range(b * 10, 10)));
    // One merge chunk per commit, as the writer thread would run them: a merge is often in progress.
    store.maintain();
  }
  const pruned = await pruneAll(store, { maxBytes: 1 }, 3);
  assert.ok(pruned > 0 && pruned <= 60);
  while (store.maintain());
  await pruneAll(store, { maxBytes: 1 }, 3);
  assert.equal((await store.stats()).retention.events_pruned, 60, 'all pruned once no merge is in progress');
  const again = await store.insertBatch(batch(range(0, 61)));
  assert.deepEqual(again.outcomes, [...Array(60).fill('duplicate'), 'stored']);
  await store.close();

  store = open();
  t.after(() => store.close());
  assert.deepEqual((await store.insertBatch(batch(range(0, 62)))).outcomes, [
    ...Array(61).fill('duplicate'),
    'stored',
  ]);
});

test('with every key hash colliding, a pruned key matches only itself', async (t) => {
  const dataDir = tempDir(t);
  const store = new SqliteStore({ dataDir, sync: 'full', hashKey: () => 42 });
  t.after(() => store.close());
  await store.insertBatch(batch(range(0, 5)));
  await pruneAll(store, { maxBytes: 1 });
  const r = await store.insertBatch(batch([...range(0, 5), ...range(5, 3)]));
  assert.deepEqual(r.outcomes, [...Array(5).fill('duplicate'), ...Array(3).fill('stored')]);
});
