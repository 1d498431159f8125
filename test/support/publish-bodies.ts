/**
 * fast-check arbitraries for POST /publish bodies, hostile and ordinary, made
 * of the events of fuzz-events.ts: every body form (one event, array,
 * `{"events": […]}`, NDJSON), too many events, too many bytes, bare scalars,
 * nesting bombs, random text, random damage, wrong content types, bodies
 * compressed with gzip, deflate or br (or a coding the server does not take). Each body
 * says what the server must do with it when that is known: `ok` (200),
 * `refused` (a 4xx), or `unknown` (randomly damaged text: anything but a 5xx).
 * A raw lone surrogate in damaged text becomes U+FFFD on the wire.
 */
import fc from 'fast-check';
import { eventArb, fuzzLimits, render, text } from './fuzz-events.js';

export type Expect = 'ok' | 'refused' | 'unknown';

export interface Body {
  readonly text: string;
  readonly contentType: string | undefined;
  readonly expect: Expect;
  readonly ndjson: boolean;
  /** Content-Encoding the text is sent in; `zstd` is one the server refuses (415). */
  readonly encoding?: 'gzip' | 'deflate' | 'br' | 'zstd';
  /** Request headers besides the content type (CloudEvents binary mode). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The events stored when accepted, where the text is not a plain event list (CloudEvents). */
  readonly events?: readonly Record<string, unknown>[];
}

const json = (text: string, expect: Expect): Body => ({
  text,
  contentType: 'application/json',
  expect,
  ndjson: false,
});
const allValid = (events: { valid: boolean }[]): Expect => (events.every((e) => e.valid) ? 'ok' : 'refused');
const events = fc.array(eventArb, { maxLength: 6 });

const shapes: fc.Arbitrary<Body> = fc.oneof(
  { weight: 3, arbitrary: eventArb.map((e) => json(render(e.json), e.valid ? 'ok' : 'refused')) },
  { weight: 4, arbitrary: events.map((es) => json(render(es.map((e) => e.json)), allValid(es))) },
  {
    weight: 2,
    arbitrary: events.map((es) =>
      json(render({ entries: [['events', es.map((e) => e.json)]] }), allValid(es)),
    ),
  },
  {
    weight: 1,
    arbitrary: events.map((es) =>
      json(
        render({
          entries: [
            ['events', es.map((e) => e.json)],
            ['more', 1],
          ],
        }),
        'refused',
      ),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(eventArb, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\n\n', ' \n'))
      .map(([es, eol]) => ({
        text: es.map((e) => render(e.json)).join(eol) + eol,
        contentType: 'application/x-ndjson',
        expect: allValid(es),
        ndjson: true,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        eventArb.filter((e) => e.valid),
        { minLength: fuzzLimits.events + 1, maxLength: fuzzLimits.events + 5 },
      )
      .map((es) => json(render(es.map((e) => e.json)), 'refused')),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 1000 })
      .map((n) => json(`["${'y'.repeat(fuzzLimits.bodyBytes + n)}"]`, 'refused')),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('42', '"text"', 'null', 'true', '{}', '[[]]', '[1,2]')
      .map((t) => json(t, 'refused')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('[', '{"a":', '[{"payload":'),
        fc.integer({ min: 70, max: 200_000 }),
        fc.boolean(),
      )
      .map(([open, n, closed]) => json(open.repeat(n) + (closed ? '1' : ''), 'refused')),
  },
  { weight: 1, arbitrary: text(200).map((t) => json(t, 'unknown')) },
);

/** Random damage to otherwise well-formed text: the server may accept the result, but must never fail. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: text(3) }),
  fc.record({ kind: fc.constant('bom' as const) }),
);

export const bodyArb: fc.Arbitrary<Body> = fc
  .tuple(shapes, fc.option(damage, { freq: 6 }), fc.nat({ max: 19 }), fc.nat({ max: 15 }))
  .map(([body, d, typeDie, encodingDie]) => {
    let result = body;
    if (d !== null) {
      const at = d.kind === 'bom' ? 0 : d.at % (body.text.length + 1);
      const text =
        d.kind === 'truncate'
          ? body.text.slice(0, at)
          : d.kind === 'insert'
            ? body.text.slice(0, at) + d.s + body.text.slice(at)
            : `\uFEFF${body.text}`;
      result = { ...body, text, expect: 'unknown' };
    }
    // Now and then a compressed body: the same outcome as plain, every limit on the decoded size.
    const encoding = (['gzip', 'deflate', 'br', 'zstd'] as const)[encodingDie];
    if (encoding === 'zstd') result = { ...result, encoding, expect: 'refused' };
    else if (encoding !== undefined) result = { ...result, encoding };
    // Now and then a content type the route does not take (415), or a JSON one with a charset.
    if (typeDie === 0) return { ...result, contentType: 'text/plain', expect: 'refused' };
    if (typeDie === 1) return { ...result, contentType: undefined, expect: 'refused' };
    if (typeDie === 2 && !result.ndjson) return { ...result, contentType: 'application/json; charset=utf-8' };
    return result;
  });
