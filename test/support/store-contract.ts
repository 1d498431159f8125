/**
 * The store contract: what every EventStore must do, run against each
 * implementation (test/store/sqlite-store.test.ts, test/store/postgres-store.test.ts).
 * Outcomes, counters, conflicts, rejected, pagination, verbatim fields and
 * restart — through the store interface only.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Event, PreparedEvent } from '../../src/domain/event.js';
import type { EventStore } from '../../src/store/event-store.js';
import { event, prepared } from './harness.js';

export interface StoreFixture {
  /** Opens a store on this test's data (again after close: a restart); `instance` names the process. */
  open(instance?: string): Promise<EventStore>;
}

export interface ContractOptions {
  readonly skip?: string | false;
  /** A fixture on fresh, empty storage that goes away when test `t` ends. */
  readonly fixture: (t: TestContext) => Promise<StoreFixture>;
}

const prep = (events: Event[]): PreparedEvent[] => prepared(events);
const at = Date.parse('2026-11-25T12:00:00Z');

export function storeContract(name: string, options: ContractOptions): void {
  /** Opens a store on fresh storage; closed when the test ends. */
  async function fresh(t: TestContext): Promise<{ store: EventStore; fixture: StoreFixture }> {
    const fixture = await options.fixture(t);
    const store = await fixture.open();
    t.after(() => store.close());
    return { store, fixture };
  }
  const insert = (store: EventStore, events: Event[], rejected = 0) =>
    store.insertBatch({ events: prep(events), receivedAt: at, rejected });

  describe(`store contract: ${name}`, { skip: options.skip }, () => {
    test('new keys are stored, repeats are duplicates, a different body is a conflict; first write wins', async (t) => {
      const { store } = await fresh(t);
      const first = await insert(store, [event(1), event(2)]);
      assert.deepEqual(first.outcomes, ['stored', 'stored']);
      const changed = (i: number) => event(i, { payload: { changed: true } });
      const second = await insert(store, [event(1), changed(2), event(3), event(3), event(4), changed(4)]);
      assert.deepEqual(second.outcomes, [
        'duplicate',
        'conflict',
        'stored',
        'duplicate',
        'stored',
        'conflict',
      ]);
      const rows = await store.list({ after: 0, limit: 100 });
      assert.deepEqual(
        rows.map((r) => r.event_id),
        ['evt-1', 'evt-2', 'evt-3', 'evt-4'],
      );
      assert.deepEqual(JSON.parse(rows[1].payload), event(2).payload, 'the first body stays');
      assert.deepEqual(JSON.parse(rows[3].payload), event(4).payload);
    });

    test('a body equal as JSON (another key order) is a duplicate, not a conflict', async (t) => {
      const { store } = await fresh(t);
      const a = event(1, { payload: { a: 1, b: { c: [1, 2] } } });
      const reordered = event(1, { payload: { b: { c: [1, 2] }, a: 1 } });
      const b = event(2, { payload: { x: 'y', z: 0 } });
      const bReordered = event(2, { payload: { z: 0, x: 'y' } });
      assert.deepEqual((await insert(store, [a, b, bReordered])).outcomes, ['stored', 'stored', 'duplicate']);
      assert.deepEqual((await insert(store, [reordered])).outcomes, ['duplicate']);
      const other = event(1, { source: 'another' });
      assert.deepEqual((await insert(store, [other])).outcomes, ['conflict']);
      assert.equal((await store.stats()).conflicts, 1);
    });

    test('lifetime counters per topic, in the same transaction, and the invariant', async (t) => {
      const { store } = await fresh(t);
      await insert(store, [event(1, { topic: 'b' }), event(2, { topic: 'a' }), event(3, { topic: 'B' })]);
      await insert(store, [
        event(1, { topic: 'b' }),
        event(1, { topic: 'b', source: 'x' }),
        event(4, { topic: 'a' }),
      ]);
      const s = await store.stats();
      assert.deepEqual(
        [s.received, s.unique_processed, s.duplicate_dropped, s.conflicts, s.rejected],
        [6, 4, 2, 1, 0],
      );
      assert.deepEqual(
        s.topics.map((x) => x.topic),
        ['B', 'a', 'b'],
        'sorted by code point',
      );
      assert.deepEqual(s.topics[2], {
        topic: 'b',
        received: 3,
        unique_processed: 1,
        duplicate_dropped: 2,
        conflicts: 1,
      });
      assert.equal(s.received, s.unique_processed + s.duplicate_dropped);
      const rows = await store.list({ after: 0, limit: 100 });
      assert.equal(rows.length, s.unique_processed);
      assert.equal(s.last_seq, rows.at(-1)?.seq);
    });

    test('rejected deliveries are counted, also in a batch without events', async (t) => {
      const { store } = await fresh(t);
      await insert(store, [], 3);
      await insert(store, [event(1)], 2);
      const s = await store.stats();
      assert.deepEqual([s.rejected, s.received, s.unique_processed], [5, 1, 1]);
    });

    test('an empty batch stores nothing and reports the current last seq', async (t) => {
      const { store } = await fresh(t);
      assert.deepEqual(await insert(store, []), { outcomes: [], lastSeq: 0 });
      const stored = await insert(store, [event(1), event(2)]);
      assert.deepEqual(await insert(store, []), { outcomes: [], lastSeq: stored.lastSeq });
      assert.deepEqual(await insert(store, [event(1)]), { outcomes: ['duplicate'], lastSeq: stored.lastSeq });
    });

    test('list pages in seq order, by topic, after a cursor, up to a limit', async (t) => {
      const { store } = await fresh(t);
      for (let b = 0; b < 4; b++) {
        await insert(
          store,
          Array.from({ length: 25 }, (_, i) =>
            event(b * 25 + i, { topic: (b * 25 + i) % 2 ? 'odd' : 'even' }),
          ),
        );
      }
      const all = await store.list({ after: 0, limit: 1000 });
      assert.equal(all.length, 100);
      assert.ok(all.every((r, i) => i === 0 || r.seq > all[i - 1].seq));
      const paged = [];
      for (let after = 0; ; ) {
        const page = await store.list({ after, limit: 7 });
        if (page.length === 0) break;
        paged.push(...page);
        after = page[page.length - 1].seq;
      }
      assert.deepEqual(paged, all);
      const odd = await store.list({ topic: 'odd', after: all[10].seq, limit: 1000 });
      assert.deepEqual(
        odd.map((r) => r.event_id),
        all.filter((r, i) => i > 10 && r.topic === 'odd').map((r) => r.event_id),
      );
      assert.deepEqual(await store.list({ topic: 'none', after: 0, limit: 10 }), []);
      assert.equal((await store.list({ after: all[99].seq, limit: 10 })).length, 0);
    });

    test('totals are the sums of stats, with the topic count, without per-topic rows', async (t) => {
      const { store } = await fresh(t);
      assert.deepEqual(await store.totals(), {
        topic_count: 0,
        received: 0,
        unique_processed: 0,
        duplicate_dropped: 0,
        conflicts: 0,
        rejected: 0,
        last_seq: 0,
      });
      await insert(store, [event(1, { topic: 'a' }), event(2, { topic: 'b' }), event(3, { topic: 'c' })], 2);
      await insert(store, [event(1, { topic: 'a' }), event(2, { topic: 'b', payload: { other: 1 } })]);
      const stats = await store.stats();
      assert.deepEqual(await store.totals(), {
        topic_count: 3,
        received: stats.received,
        unique_processed: stats.unique_processed,
        duplicate_dropped: stats.duplicate_dropped,
        conflicts: stats.conflicts,
        rejected: 2,
        last_seq: stats.last_seq,
      });
      assert.equal(stats.received, 5);
      assert.equal(stats.conflicts, 1);
    });

    test('listNewest reads newest first, by topic, before a cursor, up to a limit', async (t) => {
      const { store } = await fresh(t);
      // An old topic buried under newer events of another.
      await insert(
        store,
        Array.from({ length: 5 }, (_, i) => event(i, { topic: 'old' })),
      );
      for (let b = 0; b < 3; b++) {
        await insert(
          store,
          Array.from({ length: 40 }, (_, i) => event(b * 40 + i, { topic: 'new' })),
        );
      }
      const all = await store.list({ after: 0, limit: 1000 });
      const newest = await store.listNewest({ limit: 1000 });
      assert.deepEqual(newest, [...all].reverse());
      const paged = [];
      for (let before: number | undefined; ; ) {
        const page = await store.listNewest({ before, limit: 7 });
        if (page.length === 0) break;
        paged.push(...page);
        before = page[page.length - 1].seq;
      }
      assert.deepEqual(paged, newest);
      const old = await store.listNewest({ topic: 'old', limit: 3 });
      assert.deepEqual(
        old.map((r) => r.event_id),
        ['evt-4', 'evt-3', 'evt-2'],
      );
      assert.deepEqual(
        (await store.listNewest({ topic: 'old', before: old[2].seq, limit: 10 })).map((r) => r.event_id),
        ['evt-1', 'evt-0'],
      );
      assert.deepEqual(await store.listNewest({ topic: 'none', limit: 10 }), []);
      assert.deepEqual(await store.listNewest({ before: all[0].seq, limit: 10 }), []);
    });

    test('stored events come back exactly as sent, with received_at from the batch', async (t) => {
      const { store } = await fresh(t);
      const odd = ['NULL', 'a,b', 'x"y', 'back\\slash', '{brace}', ' spaced ', 'ünï 😀', "it's"];
      const events = odd.map((id, i) =>
        event(i, { event_id: id, topic: `t ${id}`, source: id, timestamp: '2026-11-25T10:00:00.5+07:00' }),
      );
      const prepared = prep(events);
      await store.insertBatch({ events: prepared, receivedAt: at, rejected: 0 });
      const rows = await store.list({ after: 0, limit: 100 });
      assert.deepEqual(
        rows.map(({ seq: _, ...r }) => r),
        prepared.map((e) => ({
          topic: e.topic,
          event_id: e.event_id,
          timestamp: e.timestamp,
          source: e.source,
          payload: e.payload,
          received_at: at,
        })),
      );
      assert.deepEqual((await insert(store, events)).outcomes, Array(odd.length).fill('duplicate'));
    });

    test('a large batch with repeats inside it: exact outcomes and counts', async (t) => {
      const { store } = await fresh(t);
      const events = Array.from({ length: 5000 }, (_, i) => event(i % 4000, { topic: `t${(i % 4000) % 7}` }));
      const { outcomes, lastSeq } = await insert(store, events);
      assert.equal(outcomes.filter((o) => o === 'stored').length, 4000);
      assert.ok(outcomes.slice(0, 4000).every((o) => o === 'stored'));
      assert.ok(outcomes.slice(4000).every((o) => o === 'duplicate'));
      const s = await store.stats();
      assert.deepEqual([s.received, s.unique_processed, s.duplicate_dropped], [5000, 4000, 1000]);
      assert.equal(s.last_seq, lastSeq);
    });

    test('reopening keeps events, counters and dedup; seq keeps growing', async (t) => {
      const { store, fixture } = await fresh(t);
      await insert(store, [event(1), event(2), event(2, { source: 'x' })], 4);
      const before = await store.stats();
      const rows = await store.list({ after: 0, limit: 10 });
      await store.close();

      const again = await fixture.open('another-instance');
      t.after(() => again.close());
      assert.deepEqual(await again.stats(), before);
      assert.deepEqual(await again.list({ after: 0, limit: 10 }), rows);
      const next = await insert(again, [event(1), event(3)]);
      assert.deepEqual(next.outcomes, ['duplicate', 'stored']);
      assert.ok(next.lastSeq > before.last_seq);
      const s = await again.stats();
      assert.deepEqual(
        [s.received, s.unique_processed, s.duplicate_dropped, s.conflicts, s.rejected],
        [5, 3, 2, 1, 4],
      );
      await again.ping();
    });
  });
}
