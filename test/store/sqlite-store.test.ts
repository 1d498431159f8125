/** The store contract on the embedded SQLite store, inline and with its writer thread. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Event } from '../../src/domain/event.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-sqlite-store.js';
import { event, prepared, tempDir } from '../support/harness.js';
import { storeContract } from '../support/store-contract.js';

storeContract('SqliteStore', {
  fixture: async (t) => {
    const dataDir = tempDir(t);
    return { open: async () => new SqliteStore({ dataDir, sync: 'full' }) };
  },
});

storeContract('ThreadedSqliteStore', {
  fixture: async (t) => {
    const dataDir = tempDir(t);
    return { open: () => ThreadedSqliteStore.open({ dataDir, sync: 'full' }) };
  },
});

/**
 * The writer thread commits every batch that waits in ONE transaction (one fsync);
 * each batch must still be decided in order as if it had been committed alone.
 */
describe('several batches in one SQLite transaction', () => {
  const at = Date.parse('2026-11-29T12:00:00Z');
  const batch = (events: Event[], receivedAt: number, rejected = 0) => ({
    events: prepared(events),
    receivedAt,
    rejected,
  });

  test('each batch decided in order as if alone: outcomes, seqs, received_at, counters, rejected', async (t) => {
    const store = new SqliteStore({ dataDir: tempDir(t), sync: 'full' });
    t.after(() => store.close());
    store.insertBatchSync(batch([event(0, { topic: 'a' })], at));
    const results = store.insertBatchesSync([
      batch([event(1, { topic: 'a' }), event(0, { topic: 'a' })], at + 1, 2),
      batch([event(1, { topic: 'a' }), event(2, { topic: 'b' })], at + 2),
      batch([event(2, { topic: 'b', source: 'changed' }), event(3, { topic: 'b' })], at + 3, 1),
    ]);
    assert.deepEqual(results, [
      { outcomes: ['stored', 'duplicate'], lastSeq: 2 },
      { outcomes: ['duplicate', 'stored'], lastSeq: 3 },
      { outcomes: ['conflict', 'stored'], lastSeq: 4 },
    ]);
    const rows = await store.list({ after: 0, limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.seq, r.topic, r.event_id, r.received_at]),
      [
        [1, 'a', event(0).event_id, at],
        [2, 'a', event(1).event_id, at + 1],
        [3, 'b', event(2).event_id, at + 2],
        [4, 'b', event(3).event_id, at + 3],
      ],
    );
    const s = await store.stats();
    assert.deepEqual(
      [s.received, s.unique_processed, s.duplicate_dropped, s.conflicts, s.rejected],
      [7, 4, 3, 1, 3],
    );
  });

  test('single-event requests sent at once through the writer thread: exact outcomes and counters', async (t) => {
    const store = await ThreadedSqliteStore.open({ dataDir: tempDir(t), sync: 'full' });
    t.after(() => store.close());
    // 200 requests of one event each, in flight together: 150 keys, 50 of them sent twice.
    const keys = Array.from({ length: 200 }, (_, i) => (i < 150 ? i : i - 150));
    const results = await Promise.all(keys.map((k) => store.insertBatch(batch([event(k)], at))));
    const outcomes = results.map((r) => r.outcomes[0]);
    assert.deepEqual(outcomes.slice(0, 150), Array(150).fill('stored'));
    assert.deepEqual(outcomes.slice(150), Array(50).fill('duplicate'));
    const s = await store.stats();
    assert.deepEqual([s.received, s.unique_processed, s.duplicate_dropped, s.last_seq], [200, 150, 50, 150]);
    assert.equal((await store.list({ after: 0, limit: 1000 })).length, 150);
  });
});

describe('SQLite schema version', () => {
  const setVersion = (dataDir: string, version: number) => {
    const db = new Database(join(dataDir, 'aggregator.db'));
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(version);
    db.close();
  };

  test('a version 2 file (before retention) opens with its events and becomes version 3', async (t) => {
    const dataDir = tempDir(t);
    const old = new SqliteStore({ dataDir, sync: 'full' });
    old.insertBatchSync({ events: prepared([event(1)]), receivedAt: 0, rejected: 0 });
    await old.close();
    setVersion(dataDir, 2);
    const store = new SqliteStore({ dataDir, sync: 'full' });
    t.after(() => store.close());
    assert.equal((await store.stats()).unique_processed, 1);
    assert.deepEqual(
      store.insertBatchSync({ events: prepared([event(1)]), receivedAt: 0, rejected: 0 }).outcomes,
      ['duplicate'],
    );
    const db = new Database(join(dataDir, 'aggregator.db'), { readonly: true });
    t.after(() => db.close());
    assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), 3);
  });

  test('a file of a newer build is refused, naming both versions, and left as it was', async (t) => {
    const dataDir = tempDir(t);
    await new SqliteStore({ dataDir, sync: 'full' }).close();
    setVersion(dataDir, 4);
    assert.throws(() => new SqliteStore({ dataDir, sync: 'full' }), /schema version 4; this build reads 3/);
    const db = new Database(join(dataDir, 'aggregator.db'), { readonly: true });
    t.after(() => db.close());
    assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), 4);
  });
});
