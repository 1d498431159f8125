/**
 * Admission, the one step HTTP and JetStream deliveries pass: prepared events
 * or a refusal value (never an exception), how many deliveries each refusal
 * counts, and the one table that answers refusals and faults over HTTP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLimits } from '../../src/config/limits.js';
import { faultAnswer, refusalAnswer } from '../../src/http/errors.js';
import { admit } from '../../src/ingest/admission.js';
import { OverloadedError, ShuttingDownError } from '../../src/ingest/writer-errors.js';
import { StorageFullError, StoreUnavailableError } from '../../src/store/event-store.js';
import { deserializeError, serializeError } from '../../src/store/sqlite/worker-protocol.js';
import { event } from '../support/harness.js';

const json = (body: unknown) => ({ format: 'json' as const, text: JSON.stringify(body) });

test('a valid body becomes prepared events, in request order', () => {
  const { events, refusal } = admit(json([event(1), event(2)]), defaultLimits);
  assert.equal(refusal, undefined);
  assert.deepEqual(
    events?.map((e) => e.event_id),
    ['evt-1', 'evt-2'],
  );
  const ndjson = admit(
    { format: 'ndjson', text: `${JSON.stringify(event(3))}\n\n${JSON.stringify(event(4))}\r\n` },
    defaultLimits,
  );
  assert.equal(ndjson.events?.length, 2);
});

test('each refusal is a value with its code, HTTP answer and the deliveries it counts', () => {
  const invalid = { ...event(7), timestamp: 'yesterday' };
  const cases: [string, Parameters<typeof admit>[0], string, number, string][] = [
    ['not JSON', { format: 'json', text: '{"topic": ' }, 'MALFORMED_JSON', 1, 'AGG_ERR_BAD_JSON'],
    ['not events', json(42), 'NOT_EVENTS', 1, 'AGG_ERR_BAD_REQUEST'],
    ['no body at all', undefined, 'NOT_EVENTS', 1, 'AGG_ERR_BAD_REQUEST'],
    [
      'one invalid event of three',
      json([event(5), invalid, event(6)]),
      'INVALID_EVENTS',
      3,
      'AGG_ERR_VALIDATION',
    ],
    [
      'too many events',
      json(Array.from({ length: 11 }, (_, i) => event(i))),
      'TOO_MANY_EVENTS',
      11,
      'AGG_ERR_TOO_LARGE',
    ],
    [
      'an NDJSON line over the limit',
      { format: 'ndjson', text: `${JSON.stringify(event(8))}\n"${'x'.repeat(3000)}"` },
      'LINE_TOO_LONG',
      1,
      'AGG_ERR_TOO_LARGE',
    ],
    [
      'a broker message over the body limit',
      { ...json(event(9)), bytes: 5000 },
      'BODY_TOO_LARGE',
      1,
      'AGG_ERR_TOO_LARGE',
    ],
  ];
  const limits = { ...defaultLimits, eventsPerRequest: 10, ndjsonLineBytes: 2000, bodyBytes: 4000 };
  for (const [what, delivery, code, deliveries, error] of cases) {
    const { events, refusal } = admit(delivery, limits);
    assert.equal(events, undefined, what);
    assert.equal(refusal?.code, code, what);
    assert.equal(refusal?.deliveries, deliveries, what);
    assert.equal(refusalAnswer(refusal).body.error, error, what);
  }
  const { refusal } = admit(json([event(5), invalid]), limits);
  assert.deepEqual(refusal?.details, [
    { index: 1, field: 'timestamp', message: refusal?.details?.[0].message },
  ]);
});

test('faults are answered by their code: overload and shutdown 503, store unavailable 503, disk full 507', () => {
  const cases: [Error, number, string][] = [
    [new OverloadedError(), 503, 'AGG_ERR_OVERLOADED'],
    [new ShuttingDownError(), 503, 'AGG_ERR_SHUTTING_DOWN'],
    [new StoreUnavailableError(new Error('ECONNREFUSED')), 503, 'AGG_ERR_STORE_UNAVAILABLE'],
    [new StorageFullError(new Error('SQLITE_FULL')), 507, 'AGG_ERR_STORAGE_FULL'],
    [new TypeError('a bug'), 500, 'AGG_ERR_INTERNAL'],
  ];
  for (const [err, status, error] of cases) {
    // A store fault arrives from the SQLite writer thread as its code, not as its class.
    const crossed = deserializeError(serializeError(err));
    for (const e of [err, crossed]) {
      const answer = faultAnswer(e);
      assert.equal(answer.status, status, `${err.constructor.name}`);
      assert.equal(answer.body.error, error);
      if (status !== 500) assert.equal(answer.headers['retry-after'], '1');
    }
  }
});
