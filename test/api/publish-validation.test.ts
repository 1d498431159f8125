/**
 * The SPEC's validation table, case by case: each bad request gets a precise
 * 4xx with a JSON error naming the field, stores nothing and moves no counter,
 * and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  event,
  getJson,
  type Harness,
  makeTempDir,
  publish,
  removeDir,
  startApp,
  stats,
  tempDir,
} from '../support/harness.js';

const long = (n: number) => 'x'.repeat(n);
/** An object nested `depth` levels deep (`{}` is 1). */
const nested = (depth: number): Record<string, unknown> => (depth <= 1 ? {} : { a: nested(depth - 1) });
const deepText = (open: string, close: string, n: number) => `${open.repeat(n)}${close.repeat(n)}`;

/** [name, event overrides or whole body, expected status, expected field] */
const badEvents: [string, Record<string, unknown>, string][] = [
  ['missing topic', { topic: undefined }, 'topic'],
  ['empty topic', { topic: '' }, 'topic'],
  ['topic of 256 chars', { topic: long(256) }, 'topic'],
  ['topic with a newline', { topic: 'a\nb' }, 'topic'],
  ['topic with a C1 control', { topic: 'a\u0085b' }, 'topic'],
  ['topic not a string', { topic: 7 }, 'topic'],
  ['missing event_id', { event_id: undefined }, 'event_id'],
  ['empty event_id', { event_id: '' }, 'event_id'],
  ['event_id of 256 chars', { event_id: long(256) }, 'event_id'],
  ['event_id with a tab', { event_id: 'a\tb' }, 'event_id'],
  ['event_id with NUL', { event_id: 'a\u0000b' }, 'event_id'],
  ['missing timestamp', { timestamp: undefined }, 'timestamp'],
  ['timestamp without zone', { timestamp: '2026-11-25T10:00:00' }, 'timestamp'],
  ['timestamp not a real date', { timestamp: '2026-02-30T10:00:00Z' }, 'timestamp'],
  ['timestamp with month 13', { timestamp: '2026-13-01T10:00:00Z' }, 'timestamp'],
  ['timestamp as a number', { timestamp: 1764064800 }, 'timestamp'],
  ['timestamp free text', { timestamp: 'yesterday' }, 'timestamp'],
  ['missing source', { source: undefined }, 'source'],
  ['empty source', { source: '' }, 'source'],
  ['source of 256 chars', { source: long(256) }, 'source'],
  ['source with NUL', { source: 'a\u0000b' }, 'source'],
  ['missing payload', { payload: undefined }, 'payload'],
  ['payload an array', { payload: [1, 2] }, 'payload'],
  ['payload null', { payload: null }, 'payload'],
  ['payload a string', { payload: 'text' }, 'payload'],
  ['payload over 64 KiB', { payload: { blob: long(64 * 1024) } }, 'payload'],
  ['an unknown field', { priority: 'high' }, 'priority'],
  ['topic with a lone surrogate', { topic: 'a\uD800' }, 'topic'],
  ['event_id with a lone surrogate', { event_id: 'x\uDC00' }, 'event_id'],
  ['source with a lone surrogate', { source: '\uD83D' }, 'source'],
  ['payload nested 33 levels deep', { payload: nested(33) }, 'payload'],
  ['payload with NUL in a string', { payload: { note: 'a\u0000b' } }, 'payload'],
  ['payload with NUL in a key', { payload: { deep: { 'k\u0000': 1 } } }, 'payload'],
  ['payload with a lone surrogate', { payload: { list: ['x\uDC00'] } }, 'payload'],
];

describe('validation', () => {
  let h: Harness;
  const dir = makeTempDir();
  before(async () => {
    h = await startApp(dir);
    // One stored event, so "nothing changed" is checked against real data.
    assert.equal((await publish(h.app, event(0))).status, 200);
  });
  after(async () => {
    await h.close();
    removeDir(dir);
  });

  async function assertNothingChanged() {
    const s = await stats(h.app);
    assert.deepEqual([s.received, s.unique_processed, s.duplicate_dropped], [1, 1, 0]);
    const rows = await h.store.list({ after: 0, limit: 10 });
    assert.equal(rows.length, 1);
  }

  for (const [name, overrides, field] of badEvents) {
    test(`${name} → 422 naming ${field}, nothing stored`, async () => {
      // The bad event sits between two good ones: all or nothing per request.
      const bad = { ...event(1000), ...overrides };
      const res = await publish(h.app, [event(1001), bad, event(1002)]);
      assert.equal(res.status, 422);
      assert.equal(res.body.error, 'AGG_ERR_VALIDATION');
      assert.ok(
        res.body.details.some((d: { index: number; field: string }) => d.index === 1 && d.field === field),
        JSON.stringify(res.body.details),
      );
      assert.equal(typeof res.body.message, 'string');
      await assertNothingChanged();
    });
  }

  test('a timestamp with an offset and fractions is accepted and kept verbatim', async (t) => {
    const h2 = await startApp(tempDir(t));
    t.after(() => h2.close());
    const ts = '2026-11-25T17:00:00.123456+07:00';
    assert.equal((await publish(h2.app, event(1, { timestamp: ts }))).status, 200);
    assert.equal((await h2.store.list({ after: 0, limit: 1 }))[0].timestamp, ts);
  });

  test('errors name every bad event by index', async () => {
    const res = await publish(h.app, [
      { ...event(2000), topic: '' },
      event(2001),
      { ...event(2002), source: 5 },
    ]);
    assert.equal(res.status, 422);
    assert.deepEqual(
      res.body.details.map((d: { index: number; field: string }) => [d.index, d.field]),
      [
        [0, 'topic'],
        [2, 'source'],
      ],
    );
    assert.match(res.body.message, /2 of 3 events invalid/);
    await assertNothingChanged();
  });

  const badBodies: [string, string, string, number, string][] = [
    ['malformed JSON', '{"topic": ', 'application/json', 400, 'AGG_ERR_BAD_JSON'],
    ['empty JSON body', '', 'application/json', 400, 'AGG_ERR_BAD_JSON'],
    ['a bare number', '42', 'application/json', 400, 'AGG_ERR_BAD_REQUEST'],
    ['null', 'null', 'application/json', 400, 'AGG_ERR_BAD_REQUEST'],
    [
      'batch object with an extra key',
      '{"events": [], "more": 1}',
      'application/json',
      400,
      'AGG_ERR_BAD_REQUEST',
    ],
    ['events not an array', '{"events": {}}', 'application/json', 400, 'AGG_ERR_BAD_REQUEST'],
    ['a __proto__ key', '{"__proto__": {"polluted": 1}}', 'application/json', 400, 'AGG_ERR_BAD_JSON'],
    ['text/plain', 'hello', 'text/plain', 415, 'AGG_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['form data', 'a=1', 'application/x-www-form-urlencoded', 415, 'AGG_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['100,000 nested arrays', deepText('[', ']', 100_000), 'application/json', 400, 'AGG_ERR_BAD_JSON'],
    [
      '100,000 nested objects',
      `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`,
      'application/json',
      400,
      'AGG_ERR_BAD_JSON',
    ],
    [
      'an NDJSON line nested 100,000 deep',
      `${JSON.stringify(event(3003))}\n${deepText('[', ']', 100_000)}`,
      'application/x-ndjson',
      400,
      'AGG_ERR_BAD_JSON',
    ],
    ['an unclosed 1,000,000 [', '['.repeat(1_000_000), 'application/json', 400, 'AGG_ERR_BAD_JSON'],
    [
      'a payload number beyond a double (1e400 would be stored as null)',
      JSON.stringify(event(3004)).replace('"payload":{', '"payload":{"big":1e400,'),
      'application/json',
      422,
      'AGG_ERR_VALIDATION',
    ],
    [
      'a broken NDJSON line',
      `${JSON.stringify(event(3000))}\n{oops\n`,
      'application/x-ndjson',
      400,
      'AGG_ERR_BAD_JSON',
    ],
  ];
  for (const [name, body, type, status, code] of badBodies) {
    test(`${name} → ${status} ${code}, nothing stored`, async () => {
      const res = await publish(h.app, body, type);
      assert.equal(res.status, status);
      assert.equal(res.body.error, code);
      await assertNothingChanged();
    });
  }

  test('the NDJSON error names the line', async () => {
    const res = await publish(h.app, `${JSON.stringify(event(3001))}\n\n{oops\n`, 'application/x-ndjson');
    assert.match(res.body.message, /line 3/);
  });

  test('an NDJSON line that is a valid JSON but not an event is a 422 with its index', async () => {
    const res = await publish(h.app, `${JSON.stringify(event(3002))}\n[1]\n`, 'application/x-ndjson');
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.details[0], { index: 1, field: 'event', message: 'must be a JSON object' });
    await assertNothingChanged();
  });

  test('a prototype-polluting payload key is refused and pollutes nothing', async () => {
    const body = `[${JSON.stringify(event(4000)).replace('"payload":{', '"payload":{"__proto__":{"admin":true},')}]`;
    const res = await publish(h.app, body);
    assert.equal(res.status, 400);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
    await assertNothingChanged();
  });

  test('refused deliveries are counted as rejected, apart from received', async (t) => {
    const h2 = await startApp(tempDir(t));
    t.after(() => h2.close());
    await publish(h2.app, [event(1), { ...event(2), topic: '' }, event(3)]);
    await publish(h2.app, '{"oops', 'application/json');
    // The count rides the next commit; a valid request makes one.
    await publish(h2.app, event(4));
    const s = await getJson<{ rejected: number; received: number }>(h2.app, '/stats');
    assert.equal(s.rejected, 4);
    assert.equal(s.received, 1);
  });

  test('after all of that a good request still works', async () => {
    const res = await publish(h.app, event(5000));
    assert.equal(res.status, 200);
    assert.equal(res.body.unique_processed, 1);
    const s = await stats(h.app);
    assert.equal(s.unique_processed, 2);
  });
});
