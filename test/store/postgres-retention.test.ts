/**
 * Retention on PostgreSQL: the contract, then what only a shared database
 * has — a re-send racing a pruning step from another replica.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { event, prepared } from '../support/harness.js';
import { pruneAll, retentionContract } from '../support/retention-contract.js';
import { freshDatabase, postgresGate } from '../support/services.js';

const pg = await postgresGate();

retentionContract('PostgresStore', {
  skip: pg.skip,
  bySize: false,
  fixture: async (t) => {
    const db = await freshDatabase(t, pg);
    return { open: (instance = 'retention') => PostgresStore.open({ url: db.url, instanceId: instance }) };
  },
});

test('re-sends racing pruning steps on another replica are all duplicates', { skip: pg.skip }, async (t) => {
  pg.require();
  const db = await freshDatabase(t, pg);
  const [a, b] = await Promise.all(
    ['a', 'b'].map((instanceId) => PostgresStore.open({ url: db.url, instanceId })),
  );
  t.after(() => Promise.all([a.close(), b.close()]));
  const old = Date.parse('2026-11-01T00:00:00Z');
  const events = Array.from({ length: 2000 }, (_, i) => event(i, { topic: `t${i % 4}` }));
  for (let i = 0; i < events.length; i += 200) {
    await a.insertBatch({ events: prepared(events.slice(i, i + 200)), receivedAt: old, rejected: 0 });
  }
  // Replica b prunes in small steps while replica a re-sends everything in batches.
  const pruning = pruneAll(b, { receivedBefore: old + 1 }, 50);
  const outcomes: string[] = [];
  for (let i = 0; i < events.length; i += 100) {
    const r = await a.insertBatch({
      events: prepared(events.slice(i, i + 100)),
      receivedAt: old,
      rejected: 0,
    });
    outcomes.push(...r.outcomes);
  }
  assert.equal(await pruning, 2000);
  assert.ok(
    outcomes.every((o) => o === 'duplicate'),
    'every re-send is a duplicate, pruned or not',
  );
  const s = await a.stats();
  assert.deepEqual([s.unique_processed, s.duplicate_dropped, s.retention.keys_kept], [2000, 2000, 2000]);
  assert.deepEqual(await a.list({ after: 0, limit: 10 }), []);
});
