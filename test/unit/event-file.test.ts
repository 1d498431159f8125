/** NDJSON files for `aggregator publish --file`: checked whole, the first bad line named by number. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsFromNdjson, InvalidFileError } from '../../src/loadgen/event-file.js';
import { event } from '../support/harness.js';

const line = (overrides = {}) => JSON.stringify({ ...event(1), ...overrides });

test('each non-blank line is one event, kept as written', () => {
  const text = `${line()}\r\n\n   \n${line({ event_id: 'b' })}`;
  assert.deepEqual(eventsFromNdjson(text), [line(), line({ event_id: 'b' })]);
  assert.deepEqual(eventsFromNdjson(''), []);
});

test('the first bad line is named by its number, with how many more are bad', () => {
  const cases: [string, RegExp][] = [
    [`${line()}\n${line({ timestamp: '2026-13-01T00:00:00Z' })}`, /^line 2: timestamp must be an RFC 3339/],
    [`${line()}\n\n{"topic":`, /^line 3: not JSON: /],
    [`[${line()}]`, /^line 1: must be one event object per line/],
    [line({ colour: 'red' }), /^line 1: colour is not a field of an event/],
    [
      `${line()}\n${line({ topic: '' })}\n${line({ payload: 1 })}`,
      /^line 2: topic .*\(and 1 more invalid lines\)/,
    ],
    ['{"__proto__": {"x": 1}}', /^line 1: not JSON: /],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => eventsFromNdjson(text),
      (err: Error) =>
        err instanceof InvalidFileError && message.test(err.message) && /nothing was sent$/.test(err.message),
      text,
    );
  }
});

test('size limits are left to the server, which may have raised them', () => {
  const big = line({ payload: { blob: 'x'.repeat(200_000) } });
  assert.equal(eventsFromNdjson(big).length, 1);
});
