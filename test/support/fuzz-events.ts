/**
 * fast-check arbitraries for single events, as JSON *text* built from a small
 * syntax tree, so an event can carry what a JS object cannot: duplicate keys,
 * `__proto__` keys, numbers such as 1e400 or -0, lone surrogates. Most events
 * are valid; a mutation makes one invalid (or, for a few, keeps it valid in a
 * tricky way), and each event says whether the server must accept it.
 */
import fc from 'fast-check';

/** Limits the fuzz server runs with (small, so every limit is reached cheaply). */
export const fuzzLimits = { bodyBytes: 256 * 1024, events: 50, payloadBytes: 4096 } as const;

export type Json =
  | null
  | boolean
  | number
  | string
  | { raw: string }
  | Json[]
  | { entries: [string, Json][] };

export function render(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(render).join(',')}]`;
  if ('raw' in v) return v.raw;
  return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${render(x)}`).join(',')}}`;
}

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const odd = fc.constantFrom(
  '\u0000',
  '\n',
  '\u0085',
  '\u2028',
  '\uFEFF',
  '"',
  '\\',
  '😀',
  'e\u0301',
  '\u{10FFFF}',
);
const unit = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: lone },
  { weight: 1, arbitrary: odd },
);
export const text = (maxLength: number) => fc.string({ unit, maxLength });
/**
 * Text inside payloads: the same, without NUL and lone surrogates, which a
 * payload may not hold (they are added only by the `badPayloadChar` mutation).
 */
const payloadUnit = unit.filter((c) => c !== '\u0000' && !/[\uD800-\uDFFF]/.test(c));
const payloadText = (maxLength: number) => fc.string({ unit: payloadUnit, maxLength });

const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  payloadText(12),
  fc.constantFrom({ raw: '1.0' }, { raw: '-0' }, { raw: '1E+2' }, { raw: '12345678901234567890' }),
);
// Keys that sjson refuses are added only by the `proto` mutation.
const key = fc.oneof(
  payloadText(6),
  fc.constantFrom('a', 'b', 'toString', 'hasOwnProperty', 'events', 'topic'),
);
const tree: fc.Memo<Json> = fc.memo((n) =>
  n <= 1
    ? leaf
    : fc.oneof(
        { weight: 3, arbitrary: leaf },
        { weight: 1, arbitrary: fc.array(tree(n - 1), { maxLength: 3 }) },
        { weight: 1, arbitrary: objectOf(tree(n - 1)) },
      ),
);
function objectOf(values: fc.Arbitrary<Json>) {
  return fc
    .array(fc.tuple(key, values), { maxLength: 4 })
    .map((entries) => ({ entries: entries.filter(([k]) => k !== '__proto__' && k !== 'constructor') }));
}
const payload = objectOf(tree(4));

const nested = (depth: number): Json =>
  depth <= 1 ? { entries: [] } : { entries: [['a', nested(depth - 1)]] };
const stringFields = ['topic', 'event_id', 'source'] as const;
const fields = ['topic', 'event_id', 'timestamp', 'source', 'payload'] as const;

/** Changes that make an event invalid (`breaks`) or keep it valid. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop'), field: fc.constantFrom(...fields) }),
  fc.record({
    kind: fc.constant('type'),
    field: fc.constantFrom(...fields),
    // Each is the wrong type for every field (a string would be right for three of them).
    value: fc.constantFrom<Json>(7, null, true, [], { raw: '-0.5e3' }),
  }),
  fc.record({
    kind: fc.constant('long'),
    field: fc.constantFrom(...stringFields),
    n: fc.integer({ min: 256, max: 400 }),
  }),
  fc.record({ kind: fc.constant('empty'), field: fc.constantFrom(...stringFields) }),
  fc.oneof(
    fc.record({
      kind: fc.constant('control'),
      field: fc.constantFrom('topic', 'event_id'),
      c: fc.constantFrom('\u0000', '\t', '\n', '\u007f', '\u0085'),
    }),
    // `source` may hold control characters, but not NUL (PostgreSQL's text cannot).
    fc.record({ kind: fc.constant('control'), field: fc.constant('source'), c: fc.constant('\u0000') }),
  ),
  fc.record({ kind: fc.constant('lone'), field: fc.constantFrom(...stringFields), c: lone }),
  fc.record({
    kind: fc.constant('badTime'),
    value: fc.constantFrom(
      '2026-11-25T10:00:00',
      '2026-02-30T10:00:00Z',
      'yesterday',
      '',
      '2026-13-01T00:00:00Z',
    ),
  }),
  fc.record({ kind: fc.constant('extra'), name: fc.constantFrom('priority', 'Topic', 'seq', 'events') }),
  fc.record({ kind: fc.constant('bigPayload'), n: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('deepPayload'), depth: fc.integer({ min: 33, max: 120 }) }),
  fc.record({
    kind: fc.constant('proto'),
    style: fc.constantFrom('__proto__', 'constructor'),
    inPayload: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('infinite'), raw: fc.constantFrom('1e400', '-1e999') }),
  fc.record({
    kind: fc.constant('badPayloadChar'),
    c: fc.oneof(fc.constant('\u0000'), lone),
    inKey: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('harmless') }),
  fc.record({ kind: fc.constant('dupKey'), field: fc.constantFrom(...fields), garbageLast: fc.boolean() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

const pollution: Json = { entries: [['polluted', true]] };

/** One event as entries, and whether the server must accept it. */
export const eventArb: fc.Arbitrary<{ json: Json; valid: boolean }> = fc
  .record({
    topic: fc.constantFrom('t1', 't2', 'ünï', '😀 topic', 'orders.created'),
    event_id: fc.integer({ min: 0, max: 40 }).map((i) => `e${i}`),
    timestamp: fc.constantFrom('2026-11-25T10:00:00Z', '2026-11-25T17:00:00.123+07:00'),
    source: fc.constantFrom('s1', 's2', 'src\u0007bell'),
    payload,
    // Most events are valid, so that batches mixing valid and invalid events are common but not all.
    mutation: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: mutation }),
  })
  .map(({ mutation: m, ...e }) => {
    const entries: [string, Json][] = Object.entries(e) as [string, Json][];
    return { json: { entries: mutate(entries, m) }, valid: m === null || keepsValid(m) };
  });

function keepsValid(m: Mutation): boolean {
  return m.kind === 'harmless' || (m.kind === 'dupKey' && !m.garbageLast);
}

function mutate(entries: [string, Json][], m: Mutation | null): [string, Json][] {
  if (m === null) return entries;
  const set = (field: string, value: Json) =>
    entries.map(([k, v]): [string, Json] => [k, k === field ? value : v]);
  const payloadOf = () =>
    (entries.find(([k]) => k === 'payload')?.[1] ?? { entries: [] }) as { entries: [string, Json][] };
  switch (m.kind) {
    case 'drop':
      return entries.filter(([k]) => k !== m.field);
    case 'type':
      return set(m.field, m.value);
    case 'long':
      return set(m.field, 'x'.repeat(m.n));
    case 'empty':
      return set(m.field, '');
    case 'control':
      return set(m.field, `a${m.c}b`);
    case 'lone':
      return set(m.field, `a${m.c}`);
    case 'badTime':
      return set('timestamp', m.value);
    case 'extra':
      return [...entries, [m.name, 'x']];
    case 'bigPayload':
      return set('payload', { entries: [['blob', 'x'.repeat(fuzzLimits.payloadBytes + m.n)]] });
    case 'deepPayload':
      return set('payload', nested(m.depth));
    case 'proto': {
      const bad: [string, Json] =
        m.style === '__proto__'
          ? ['__proto__', pollution]
          : ['constructor', { entries: [['prototype', pollution]] }];
      return m.inPayload ? set('payload', { entries: [...payloadOf().entries, bad] }) : [...entries, bad];
    }
    case 'infinite':
      return set('payload', { entries: [...payloadOf().entries, ['n', { raw: m.raw }]] });
    case 'badPayloadChar': {
      const bad: [string, Json] = m.inKey ? [`k${m.c}`, 1] : ['s', `a${m.c}b`];
      return set('payload', { entries: [...payloadOf().entries, bad] });
    }
    case 'harmless':
      return set('payload', {
        entries: [...payloadOf().entries, ['constructor', 1], ['prototype', pollution]],
      });
    case 'dupKey': {
      const garbage: [string, Json] = [m.field, 7];
      return m.garbageLast ? [...entries, garbage] : [garbage, ...entries];
    }
  }
}
