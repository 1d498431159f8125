/**
 * The hand-written fast path for the common event shape (src/ingest/plain-event.ts)
 * may only say "valid" where the compiled JSON Schema says so too; and it must
 * actually say so for the events producers send, or it saves nothing.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { plainlyValid } from '../../src/ingest/plain-event.js';
import { schemaAccepts } from '../../src/ingest/validate.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { text } from '../support/fuzz-events.js';

const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
/** Timestamps near the valid form: real and impossible dates, odd zones, lower-case separators, junk. */
const timestamp = fc.oneof(
  fc
    .tuple(
      digits(4),
      digits(2),
      digits(2),
      fc.constantFrom('T', 't', ' ', 'T'),
      digits(2),
      digits(2),
      digits(2),
      fc.constantFrom('', '.5', '.123456789', '.'),
      fc.constantFrom('Z', 'z', '', '+01:00', '-23:59', '+24:00', '+05:60', '+0100', '+01'),
    )
    .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`),
  fc
    .date({ noInvalidDate: true, min: new Date('0000-01-01'), max: new Date('9999-12-31') })
    .map((d) => d.toISOString()),
  fc
    .date({ noInvalidDate: true, min: new Date('0000-01-01'), max: new Date('9999-12-31') })
    .map((d) => d.toISOString().replace('Z', '+02:30')),
  fc.constantFrom('2024-02-29T23:59:60Z', '2023-02-29T00:00:00Z', '2026-12-31T23:59:59.999+14:00'),
  text(30),
);
/** Mostly plain short strings, sometimes with a character a schema pattern refuses, sometimes too long or empty. */
const str = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
  { weight: 3, arbitrary: text(8) },
  { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 260 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'a', 'x\u0085', '😀', 'a\u0000b', '\u007f', 'a\tb', '\ud800') },
);
const payload = fc.oneof(
  fc.constant({ n: 1 }),
  fc.constant([]),
  fc.constant(null),
  fc.constant('text'),
  fc.dictionary(fc.string(), fc.integer()),
);
const fields = { topic: str, event_id: str, timestamp, source: str, payload };
/** Complete events most of the time (so the fast path gets to say yes), else missing or extra fields. */
const event = fc.oneof(
  { weight: 6, arbitrary: fc.record(fields) },
  { weight: 1, arbitrary: fc.record({ ...fields, extra: fc.integer() }) },
  { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) },
);

test('the fast path never accepts an event the JSON Schema refuses', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof({ weight: 9, arbitrary: event }, { weight: 1, arbitrary: fc.anything() }), (e) => {
      const fast = plainlyValid(e);
      if (fast) assert.ok(schemaAccepts(e), JSON.stringify(e));
      if (fast) accepted++;
    }),
    { numRuns: 20_000 },
  );
  // The property means something only if the fast path said yes often enough.
  assert.ok(accepted > 300, `the fast path accepted only ${accepted} of 20,000`);
});

test('the fast path accepts the events the load generator sends, as the schema does', () => {
  const plan = new LoadPlan({ events: 1000, dupRate: 0.25, batch: 1, topics: 5, runId: 'plain' });
  for (let k = 0; k < plan.batches; k++) {
    const e = JSON.parse(plan.body(k));
    assert.ok(schemaAccepts(e) && plainlyValid(e), JSON.stringify(e));
  }
  const e = { topic: 't', event_id: 'i', timestamp: '2026-11-25T10:00:00+01:00', source: 's', payload: {} };
  assert.ok(plainlyValid(e));
});

test('the fast path says yes to every timestamp of the valid form with a real date, and only to those', () => {
  // The reference: the form as a regular expression, then the calendar.
  const form = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:Z|[+-](\d\d):(\d\d))$/;
  const days = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  const reference = (s: string) => {
    const m = form.exec(s);
    if (m === null || s.length > 64) return false;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : days[month])) return false;
    if (hour > 23 || minute > 59 || second > 59) return false;
    return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  };
  const base = { topic: 't', event_id: 'i', source: 's', payload: {} };
  let valid = 0;
  fc.assert(
    fc.property(timestamp, (t) => {
      const expected = reference(t);
      assert.equal(plainlyValid({ ...base, timestamp: t }), expected, t);
      if (expected) valid++;
    }),
    { numRuns: 20_000 },
  );
  assert.ok(valid > 2_000, `only ${valid} valid timestamps generated`);
});
