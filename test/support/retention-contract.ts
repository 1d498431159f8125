/**
 * The retention contract: what every store that can prune must do, run
 * against each (test/store/sqlite-retention.test.ts, postgres-retention).
 * Time is the batch's `received_at`, so old and new events are made by
 * stamping them, not by waiting.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Event } from '../../src/domain/event.js';
import type { EventStore, PruneRequest } from '../../src/store/event-store.js';
import { event, prepared } from './harness.js';
import type { StoreFixture } from './store-contract.js';

export interface RetentionContractOptions {
  readonly skip?: string | false;
  /** Whether the store prunes by size (`maxBytes`); PostgreSQL does not. */
  readonly bySize: boolean;
  readonly fixture: (t: TestContext) => Promise<StoreFixture>;
}

const DAY = 86_400_000;
const now = Date.parse('2026-11-29T12:00:00Z');
const old = now - 10 * DAY;

/** The bytes retention reports for an event: UTF-8 of its fields as stored. */
export function eventBytes(e: Event): number {
  const payload = prepared([e])[0].payload;
  return [e.topic, e.event_id, e.timestamp, e.source, payload].reduce((n, s) => n + Buffer.byteLength(s), 0);
}

/** Prunes until nothing more is due; returns how many events went. */
export async function pruneAll(store: EventStore, request: Omit<PruneRequest, 'maxEvents'>, step = 7) {
  const prune = store.prune?.bind(store);
  assert.ok(prune, 'the store can prune');
  let total = 0;
  for (;;) {
    const r = await prune({ ...request, maxEvents: step });
    total += r.pruned;
    if (!r.more) return total;
  }
}

export function retentionContract(name: string, options: RetentionContractOptions): void {
  async function fresh(t: TestContext) {
    const fixture = await options.fixture(t);
    const store = await fixture.open();
    t.after(() => store.close());
    return { store, fixture };
  }
  /**
   * Inserts, then waits until the store serves what it stored: PostgreSQL serves a row only once
   * every older transaction on the server has ended (postgres-commit.ts), and other sessions'
   * transactions may still be running.
   */
  const insert = async (store: EventStore, events: Event[], receivedAt: number) => {
    const result = await store.insertBatch({ events: prepared(events), receivedAt, rejected: 0 });
    // Seqs here are contiguous from 1, so every stored row is served once last_seq reaches the count.
    for (let i = 0; i < 1000; i++) {
      const s = await store.stats();
      if (s.last_seq >= s.unique_processed) break;
      await sleep(10);
    }
    return result;
  };

  describe(`retention contract: ${name}`, { skip: options.skip }, () => {
    test('bodies past retention go, newer ones stay; exact counters; a re-send after pruning is a duplicate', async (t) => {
      const { store } = await fresh(t);
      const olds = Array.from({ length: 30 }, (_, i) => event(i, { topic: i % 2 ? 'odd' : 'even' }));
      const news = Array.from({ length: 10 }, (_, i) => event(100 + i, { topic: i % 2 ? 'odd' : 'even' }));
      await insert(store, olds.slice(0, 20), old);
      await insert(store, olds.slice(20), old + DAY);
      await insert(store, news, now);
      const before = await store.stats();
      const lastSeq = before.last_seq;

      assert.equal(await pruneAll(store, { receivedBefore: now - DAY }), 30);
      const rows = await store.list({ after: 0, limit: 100 });
      assert.deepEqual(
        rows.map((r) => r.event_id),
        news.map((e) => e.event_id),
        'only the newer events remain, in seq order',
      );
      const s = await store.stats();
      assert.deepEqual(s.retention, {
        events_pruned: 30,
        bytes_reclaimed: olds.reduce((n, e) => n + eventBytes(e), 0),
        keys_kept: 30,
        pruned_through_seq: rows[0].seq - 1,
      });
      // PostgreSQL's last_seq may lag behind other sessions' transactions; the counters may not.
      const counters = (x: typeof s) => [
        x.received,
        x.unique_processed,
        x.duplicate_dropped,
        x.conflicts,
        x.topics,
      ];
      assert.deepEqual(
        counters(s),
        counters(before),
        'lifetime counters stay: unique_processed is "ever stored"',
      );

      // Re-sends of pruned events — same body or not — are duplicates; new keys are stored.
      const resend = await insert(
        store,
        [olds[0], event(5, { topic: 'odd', payload: { changed: 1 } }), event(999)],
        now,
      );
      assert.deepEqual(resend.outcomes, ['duplicate', 'duplicate', 'stored']);
      assert.equal((await store.stats()).last_seq, lastSeq + 1, 'seqs keep growing');
      const after = await store.stats();
      assert.equal(after.duplicate_dropped, before.duplicate_dropped + 2);
      assert.equal(after.received, after.unique_processed + after.duplicate_dropped);
    });

    test('paging and topic reads start at the oldest event kept', async (t) => {
      const { store } = await fresh(t);
      await insert(
        store,
        Array.from({ length: 12 }, (_, i) => event(i, { topic: i % 3 ? 'a' : 'b' })),
        old,
      );
      await insert(
        store,
        Array.from({ length: 6 }, (_, i) => event(50 + i, { topic: i % 3 ? 'a' : 'b' })),
        now,
      );
      await pruneAll(store, { receivedBefore: now - DAY });
      const all = await store.list({ after: 0, limit: 100 });
      assert.equal(all.length, 6);
      assert.deepEqual(await store.list({ after: 3, limit: 100 }), all, 'a cursor inside the pruned range');
      const b = await store.list({ topic: 'b', after: 0, limit: 100 });
      assert.deepEqual(
        b.map((r) => r.event_id),
        ['evt-50', 'evt-53'],
      );
    });

    test('nothing due, nothing pruned; the byte limit prunes oldest first', async (t) => {
      const { store } = await fresh(t);
      await insert(
        store,
        Array.from({ length: 20 }, (_, i) => event(i)),
        now,
      );
      assert.equal(await pruneAll(store, { receivedBefore: now - DAY }), 0);
      assert.equal(await pruneAll(store, {}), 0, 'no limit given: nothing is due');
      assert.equal((await store.stats()).retention.events_pruned, 0);
      if (!options.bySize) return;
      // A byte limit no store can meet prunes every body, oldest first.
      assert.equal(await pruneAll(store, { maxBytes: 1 }), 20);
      assert.deepEqual(await store.list({ after: 0, limit: 10 }), []);
      assert.deepEqual((await insert(store, [event(0), event(19), event(20)], now)).outcomes, [
        'duplicate',
        'duplicate',
        'stored',
      ]);
    });

    test('after a restart: pruned keys are still duplicates and seqs are not reused', async (t) => {
      const { store, fixture } = await fresh(t);
      await insert(
        store,
        Array.from({ length: 25 }, (_, i) => event(i)),
        old,
      );
      const lastSeq = 25;
      await pruneAll(store, { receivedBefore: now });
      const before = await store.stats();
      await store.close();

      const again = await fixture.open('after-restart');
      t.after(() => again.close());
      assert.deepEqual(await again.stats(), before);
      assert.equal(before.last_seq, lastSeq, 'the last seq survives its row');
      const r = await insert(again, [event(3), event(24), event(25)], now);
      assert.deepEqual(r.outcomes, ['duplicate', 'duplicate', 'stored']);
      assert.equal((await again.stats()).last_seq, lastSeq + 1);
    });
  });
}
