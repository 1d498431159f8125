/**
 * fast-check arbitraries for CloudEvents bodies on POST /publish: structured,
 * batched and binary mode, valid or broken by one mutation, drawn from a few
 * sources and ids so that the same CloudEvent recurs across modes. Each body
 * carries the events a model of the README's mapping says the server stores
 * (type → topic, `<source> <id>` → event_id, missing time → the epoch,
 * non-object data → `{"$data": …}`, other attributes → `payload.$ce`),
 * written here from the documentation, not from the server's code.
 */
import fc from 'fast-check';
import { fuzzLimits } from './fuzz-events.js';
import type { Body } from './publish-bodies.js';

type Json = unknown;
type Event = {
  topic: string;
  event_id: string;
  timestamp: string;
  source: string;
  payload: Record<string, Json>;
};

const noProto = (k: string) => k !== '__proto__' && k !== 'constructor';
const dataObject = fc.dictionary(fc.string({ maxLength: 6 }).filter(noProto), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 4,
});
const data = fc.oneof(
  { weight: 4, arbitrary: dataObject },
  { weight: 1, arbitrary: fc.constantFrom({ $data: 1 }, { $ce: 'x' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const mutations = [
  'noSpec',
  'oldSpec',
  'noId',
  'noSource',
  'noType',
  'spaceSource',
  'badTime',
  'badName',
  'both',
];

const cloudEventArb = fc
  .record({
    type: fc.constantFrom('ce.t1', 'ce.t2'),
    source: fc.constantFrom('/s1', 'https://example.com/s2', 'urn:s3'),
    id: fc.integer({ min: 0, max: 15 }).map((i) => `c${i}`),
    time: fc.option(fc.constantFrom('2026-11-25T10:00:00Z', '2026-11-25T17:00:00.123+07:00'), {
      nil: undefined,
    }),
    subject: fc.option(fc.constantFrom('a', 'b/c'), { nil: undefined }),
    data,
    mutation: fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(...mutations) },
    ),
  })
  .map(({ mutation, ...a }) => {
    const ce: Record<string, Json> = { specversion: '1.0', type: a.type, source: a.source, id: a.id };
    if (a.time !== undefined) ce.time = a.time;
    if (a.subject !== undefined) ce.subject = a.subject;
    if (a.data !== undefined) ce.data = a.data;
    const payload = payloadOf(a.data, a.subject);
    let valid = Buffer.byteLength(JSON.stringify(payload)) <= fuzzLimits.payloadBytes;
    if (mutation !== null) {
      valid = false;
      if (mutation === 'noSpec') delete ce.specversion;
      if (mutation === 'oldSpec') ce.specversion = '0.3';
      if (mutation === 'noId') delete ce.id;
      if (mutation === 'noSource') delete ce.source;
      if (mutation === 'noType') delete ce.type;
      if (mutation === 'spaceSource') ce.source = 'a b';
      if (mutation === 'badTime') ce.time = 'yesterday';
      if (mutation === 'badName') ce['bad.x'] = 'y';
      if (mutation === 'both') {
        ce.data_base64 = 'AAAA';
        if (ce.data === undefined) ce.data = 1;
      }
    }
    const event: Event = {
      topic: a.type,
      event_id: `${a.source} ${a.id}`,
      timestamp: a.time ?? '1970-01-01T00:00:00Z',
      source: a.source,
      payload,
    };
    return { ce, valid, event };
  });

function payloadOf(value: Json, subject: string | undefined): Record<string, Json> {
  const wrap =
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    ['$data', '$data_base64', '$ce'].some((k) => Object.hasOwn(value, k));
  const payload = value === undefined ? {} : wrap ? { $data: value } : (value as Record<string, Json>);
  return subject === undefined ? payload : { ...payload, $ce: { subject } };
}

const structured = cloudEventArb.map(
  ({ ce, valid, event }): Body => ({
    text: JSON.stringify(ce),
    contentType: 'application/cloudevents+json',
    expect: valid ? 'ok' : 'refused',
    ndjson: false,
    events: [event],
  }),
);

const batched = fc.array(cloudEventArb, { maxLength: 4 }).map(
  (list): Body => ({
    text: JSON.stringify(list.map((c) => c.ce)),
    contentType: 'application/cloudevents-batch+json',
    expect: list.every((c) => c.valid) ? 'ok' : 'refused',
    ndjson: false,
    events: list.map((c) => c.event),
  }),
);

const binary = cloudEventArb.map(({ ce, valid, event }): Body => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ce)) {
    if (name !== 'data') headers[`ce-${name}`] = encodeURIComponent(String(value));
  }
  return {
    text: ce.data === undefined ? '' : JSON.stringify(ce.data),
    contentType: ce.data === undefined ? undefined : 'application/json',
    expect: valid ? 'ok' : 'refused',
    ndjson: false,
    events: [event],
    headers,
  };
});

/** Any mode, now and then compressed; a body whose data holds a prototype key may go either way. */
export const cloudEventBodyArb: fc.Arbitrary<Body> = fc
  .tuple(fc.oneof(structured, batched, binary), fc.constantFrom(undefined, undefined, 'gzip', 'br'))
  .map(([body, encoding]) => {
    const risky = /"(__proto__|constructor)"/.test(body.text) && body.expect === 'ok';
    return { ...body, encoding, expect: risky ? 'unknown' : body.expect };
  });
