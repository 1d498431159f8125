/**
 * Same input, same answer on both stores. NUL (U+0000) and unpaired
 * surrogates are where they differ underneath — PostgreSQL's text cannot hold
 * NUL, its jsonb (which decides "same body") neither of them; SQLite holds
 * both — so each case runs against the real app on SQLite and on PostgreSQL
 * and must give the same status, the same named field, and the same stored
 * event.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Event } from '../../src/domain/event.js';
import { event, getJson, type Harness, publish, startApp, tempDir } from '../support/harness.js';
import { untilServed } from '../support/served.js';
import { freshDatabase, postgresGate } from '../support/services.js';

const pg = await postgresGate();

const stores: { name: string; skip: string | false; start: (t: test.TestContext) => Promise<Harness> }[] = [
  { name: 'SQLite', skip: false, start: (t) => startApp(tempDir(t)) },
  {
    name: 'PostgreSQL',
    skip: pg.skip,
    start: async (t) => {
      const db = await freshDatabase(t, pg);
      return startApp(tempDir(t), ['--store', 'postgres', '--database-url', db.url]);
    },
  },
];

/** Refused: 422 naming the field, on every store. */
const refused: [string, Partial<Event>, string][] = [
  ['NUL in source', { source: 'checkout\u0000svc' }, 'source'],
  ['NUL in topic', { topic: 'orders\u0000created' }, 'topic'],
  ['NUL in event_id', { event_id: 'e\u0000' }, 'event_id'],
  ['NUL in timestamp', { timestamp: '2026-11-25T10:00:00Z\u0000' }, 'timestamp'],
  // PostgreSQL compares payloads as jsonb, which holds neither: a resend in another key order would be a conflict there.
  ['NUL in a payload string', { payload: { note: 'a\u0000b', deep: { list: ['\u0000'] } } }, 'payload'],
  ['NUL in a payload key', { payload: { 'k\u0000': 1 } }, 'payload'],
  ['a lone surrogate in a payload string', { payload: { a: 'x\uD800' } }, 'payload'],
];

/** Stored verbatim on every store. */
const stored: [string, Partial<Event>][] = [
  ['other control characters in source', { source: 'bell\u0007 tab\t nl\n c1\u0085' }],
  ['other control characters in the payload', { payload: { a: 'x\u0001\u001f\u007f', 'k\u0002': 1 } }],
  ['a backslash before "u0000" (not a NUL)', { payload: { path: 'C:\\u0000', list: ['\\', '\\\\u0000'] } }],
  ['paired surrogates (an emoji)', { payload: { emoji: '😀', key: { '😀': true } } }],
];

for (const store of stores) {
  describe(`NUL characters on ${store.name}`, { skip: store.skip }, () => {
    test('refused with 422 naming the field; nothing stored, no counter moved', async (t) => {
      const h = await store.start(t);
      t.after(() => h.close());
      for (const [what, override, field] of refused) {
        const res = await publish(h.app, [event(1), event(2, override)]);
        assert.equal(res.status, 422, what);
        assert.equal(res.body.error, 'AGG_ERR_VALIDATION', what);
        assert.deepEqual(
          res.body.details.map((d: { index: number; field: string }) => [d.index, d.field]),
          [[1, field]],
          what,
        );
      }
      const s = await getJson<{ received: number; rejected: number }>(h.app, '/stats');
      assert.equal(s.received, 0);
      assert.deepEqual(await getJson(h.app, '/events'), []);
    });

    test('stored exactly as sent; a resend, also in another key order, is a duplicate, not a conflict', async (t) => {
      const h = await store.start(t);
      t.after(() => h.close());
      const events = stored.map(([, override], i) => event(100 + i, override));
      const first = await publish(h.app, events);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.unique_processed, events.length);
      const again = await publish(h.app, events);
      assert.deepEqual([again.body.duplicate_dropped, again.body.conflicts], [events.length, []]);
      const reversed = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
      const reordered = await publish(
        h.app,
        events.map((e) => ({ ...e, payload: reversed(e.payload) })),
      );
      assert.deepEqual([reordered.body.duplicate_dropped, reordered.body.conflicts], [events.length, []]);
      const rows = await untilServed(
        () => getJson<(Event & { seq: number })[]>(h.app, '/events'),
        events.length,
      );
      assert.deepEqual(
        rows.map(({ topic, event_id, timestamp, source, payload }) => ({
          topic,
          event_id,
          timestamp,
          source,
          payload,
        })),
        events,
        stored.map(([what]) => what).join(', '),
      );
    });
  });
}
