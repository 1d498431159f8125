/**
 * Property-based fuzzing of POST /publish (fast-check): thousands of generated
 * bodies — broken JSON, wrong types, huge strings, deep nesting, unicode edge
 * cases (lone surrogates, U+2028, BOM, combining marks), duplicate keys,
 * `__proto__` / `constructor.prototype` keys, mixed valid/invalid batches,
 * NDJSON variants, wrong content types, compressed bodies (gzip, deflate, br,
 * and a coding the server refuses) — against the real app on real SQLite,
 * then on real PostgreSQL (same input, same answer on both stores).
 *
 * For every request: never a 5xx; a refused request changes no counter and no
 * row; an accepted one answers exactly what a model of the store predicts
 * (stored / duplicate / conflict per index) and moves the counters by exactly
 * that. Afterwards: the counters' invariant, every stored event equal to its
 * first accepted delivery, and no prototype polluted.
 *
 * Seeded: FUZZ_SEED=<n> replays a run (the seed is printed, and on failure
 * fast-check prints seed and path). FUZZ_RUNS / FUZZ_SECONDS bound the work.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { cloudEventBodyArb } from '../support/cloudevent-bodies.js';
import { fuzzLimits } from '../support/fuzz-events.js';
import { assertInvariant, getJson, startApp, tempDir } from '../support/harness.js';
import { type Body, bodyArb } from '../support/publish-bodies.js';
import { untilServed } from '../support/served.js';
import { freshDatabase, postgresGate } from '../support/services.js';

const pg = await postgresGate();

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const numRuns = Number(process.env.FUZZ_RUNS ?? 8000);
const seconds = Number(process.env.FUZZ_SECONDS ?? 30);

type Parsed = Record<string, unknown>;

/** The bytes on the wire; `zstd` is sent as plain text under a coding the server refuses. */
const encoders = {
  gzip: gzipSync,
  deflate: deflateSync,
  br: brotliCompressSync,
  zstd: (text: string) => Buffer.from(text),
};

/** Key order inside objects does not matter, `1.0` equals `1`: the store's "same body" rule. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Parsed;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
const bodyOf = (e: Parsed) => `${e.timestamp}\u0000${e.source}\u0000${canonical(e.payload)}`;

/**
 * The events an accepted body carried, read the way the server reads them: from the
 * UTF-8 bytes on the wire (where a raw lone surrogate has become U+FFFD).
 */
function eventsOf(body: Body): Parsed[] {
  if (body.events !== undefined) return body.events as Parsed[];
  const text = Buffer.from(body.text, 'utf8').toString('utf8');
  if (body.ndjson) {
    return text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
  }
  // A leading byte order mark may be ignored (RFC 8259 §8.1), and is.
  const v = JSON.parse(text.replace(/^\uFEFF/, ''));
  if (Array.isArray(v)) return v;
  return Object.hasOwn(v, 'events') && !Object.hasOwn(v, 'topic') ? v.events : [v];
}

/**
 * `servedLater`: on PostgreSQL an acknowledged event is served (and counted in
 * `last_seq`) only once every older transaction on the server has ended
 * (README, "Ordering"), so `last_seq` may still catch up with an earlier
 * accepted request while a refused one is checked; the counters may not.
 */
const stores = [
  { name: 'SQLite', skip: false, servedLater: false, flags: async () => ['--sync', 'normal'] },
  {
    name: 'PostgreSQL',
    skip: pg.skip,
    servedLater: true,
    flags: async (t: Parameters<typeof freshDatabase>[0]) => [
      '--store',
      'postgres',
      '--database-url',
      (await freshDatabase(t, pg)).url,
    ],
  },
];

for (const store of stores) {
  test(
    `fuzz POST /publish on ${store.name}: never a 5xx, refused requests change nothing, accepted ones match a model`,
    {
      skip: store.skip,
    },
    (t) => fuzz(t, store.flags, store.servedLater),
  );
}

async function fuzz(
  t: TestContext,
  storeFlags: (t: TestContext) => Promise<string[]>,
  servedLater: boolean,
): Promise<void> {
  t.diagnostic(`FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns} FUZZ_SECONDS=${seconds}`);
  const h = await startApp(tempDir(t), [
    ...(await storeFlags(t)),
    '--max-body-bytes',
    String(fuzzLimits.bodyBytes),
    '--max-events',
    String(fuzzLimits.events),
    '--max-payload-bytes',
    String(fuzzLimits.payloadBytes),
  ]);
  t.after(() => h.close());
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).join();
  /** (topic, event_id) → the first accepted body. */
  const model = new Map<string, string>();
  const seen = { runs: 0, ok: 0, refused: 0, statuses: new Map<number, number>() };

  const bodies = fc.oneof({ weight: 4, arbitrary: bodyArb }, { weight: 1, arbitrary: cloudEventBodyArb });
  /**
   * The run under way. At the time limit fast-check stops waiting for it but
   * it goes on (its request may commit and update the model), so the final
   * checks wait for it first.
   */
  let current: Promise<void> = Promise.resolve();
  const property = fc.asyncProperty(bodies, (body) => {
    current = check(body);
    return current;
  });
  async function check(body: Body): Promise<void> {
    const before = await h.store.stats();
    const headers: Record<string, string> = { ...body.headers };
    if (body.contentType !== undefined) headers['content-type'] = body.contentType;
    if (body.encoding !== undefined) headers['content-encoding'] = body.encoding;
    const payload = body.encoding === undefined ? body.text : encoders[body.encoding](body.text);
    const res = await h.app.inject({ method: 'POST', url: '/publish', headers, payload });
    const after = await h.store.stats();
    seen.runs++;
    seen.statuses.set(res.statusCode, (seen.statuses.get(res.statusCode) ?? 0) + 1);
    const what = `${res.statusCode} ${res.body.slice(0, 300)} for ${body.contentType} ${body.encoding ?? ''} ${JSON.stringify(body.text.slice(0, 300))}`;

    assert.ok(res.statusCode < 500, `never a 5xx: ${what}`);
    assert.equal(({} as Parsed).polluted, undefined, 'Object.prototype polluted');
    const answer = res.json();
    if (res.statusCode !== 200) {
      seen.refused++;
      assert.notEqual(body.expect, 'ok', `a valid body was refused: ${what}`);
      assert.match(answer.error, /^AGG_ERR_/);
      assert.equal(typeof answer.message, 'string');
      // An error message never echoes the body (it may be binary, a secret or markup).
      if (body.text.length >= 16)
        assert.ok(!answer.message.includes(body.text.slice(0, 16)), `echoed: ${what}`);
      const counters = ['received', 'unique_processed', 'duplicate_dropped', 'conflicts'] as const;
      const moved = servedLater ? counters : ([...counters, 'last_seq'] as const);
      for (const c of moved) assert.equal(after[c], before[c], `${c} moved on a refused request: ${what}`);
      return;
    }
    seen.ok++;
    assert.notEqual(body.expect, 'refused', `an invalid body was accepted: ${what}`);
    const expected = {
      received: 0,
      unique_processed: 0,
      duplicate_dropped: 0,
      duplicates: [] as number[],
      conflicts: [] as number[],
    };
    eventsOf(body).forEach((e, i) => {
      const key = `${e.topic}\u0000${e.event_id}`;
      const first = model.get(key);
      expected.received++;
      if (first === undefined) {
        model.set(key, bodyOf(e));
        expected.unique_processed++;
        return;
      }
      expected.duplicate_dropped++;
      expected.duplicates.push(i);
      if (first !== bodyOf(e)) expected.conflicts.push(i);
    });
    assert.deepEqual(answer, expected, what);
    assert.equal(after.received - before.received, expected.received);
    assert.equal(after.unique_processed - before.unique_processed, expected.unique_processed);
    assert.equal(after.conflicts - before.conflicts, expected.conflicts.length);
  }

  try {
    await fc.assert(property, {
      seed,
      numRuns,
      interruptAfterTimeLimit: seconds * 1000,
      markInterruptAsFailure: false,
      // The server keeps state between runs, so a shrunk replay would not mean the same thing:
      // report the first failing body as it was generated.
      endOnFailure: true,
    });
  } catch (err) {
    t.diagnostic(`FUZZ_SEED=${seed} failed: ${(err as { cause?: Error }).cause?.message ?? ''}`);
    throw err;
  }
  t.diagnostic(
    `${seen.runs} bodies: ${seen.ok} accepted, ${seen.refused} refused; by status ${JSON.stringify([...seen.statuses].sort())}`,
  );
  assert.ok(seen.ok > 0 && seen.refused > 0, 'the generator reaches both sides');
  await current.catch(() => {}); // an interrupted run's failure is not reported: it was cut short

  const s = await getJson<StatsBody & { last_seq: number }>(h.app, '/stats');
  assertInvariant(s, assert);
  assert.equal(s.unique_processed, model.size);
  const rows = await untilServed(() => getJson<Parsed[]>(h.app, '/events?limit=10000'), model.size);
  assert.equal(rows.length, model.size, 'one row per key');
  for (const row of rows) {
    assert.equal(bodyOf(row), model.get(`${row.topic}\u0000${row.event_id}`), 'stored as first accepted');
  }
  assert.equal(Object.getOwnPropertyNames(Object.prototype).join(), prototypeKeys);
  assert.equal(({} as Parsed).polluted, undefined);
}
