/**
 * Input limits: request size (413), and beyond the validation table: payload nesting at its boundary in
 * every body form, NDJSON line length, and text that cannot be stored as it
 * was sent (lone surrogates, numbers beyond a double) — refused instead of
 * silently changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertInvariant,
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

const nested = (depth: number): Record<string, unknown> => (depth <= 1 ? {} : { a: nested(depth - 1) });

describe('limits', () => {
  let h: Harness;
  const dir = makeTempDir();
  let n = 0;
  before(async () => {
    h = await startApp(dir, ['--max-ndjson-line-bytes', '2000']);
  });
  after(async () => {
    await h.close();
    removeDir(dir);
  });

  const forms = {
    single: (e: object) => e,
    array: (e: object) => [e],
    wrapped: (e: object) => ({ events: [e] }),
  };

  for (const [form, wrap] of Object.entries(forms)) {
    test(`${form}: a payload 32 levels deep is stored, 33 is a 422 naming it`, async () => {
      const ok = await publish(h.app, wrap(event(n++, { payload: nested(32) })));
      assert.equal(ok.status, 200);
      const deep = await publish(h.app, wrap(event(n++, { payload: nested(33) })));
      assert.equal(deep.status, 422, JSON.stringify(deep.body));
      assert.deepEqual(deep.body.details, [
        { index: 0, field: 'payload', message: 'must nest at most 32 levels deep' },
      ]);
    });
  }

  test('a body far deeper than any acceptable request is refused unparsed (400)', async () => {
    const res = await publish(h.app, [event(n++, { payload: nested(80) })]);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'AGG_ERR_BAD_JSON');
    assert.match(res.body.message, /nested deeper than 67 levels/);
  });

  test('brackets inside strings do not count as nesting', async () => {
    const res = await publish(
      h.app,
      event(n++, { payload: { text: `${'['.repeat(500)}"\\${'{'.repeat(500)}` } }),
    );
    assert.equal(res.status, 200);
  });

  test('an NDJSON line over the line limit → 413 naming the line; nothing stored', async () => {
    const before = await stats(h.app);
    const short = JSON.stringify(event(n++));
    const long = JSON.stringify(event(n++, { payload: { blob: 'x'.repeat(2100) } }));
    const res = await publish(h.app, `${short}\n${long}\n`, 'application/x-ndjson');
    assert.equal(res.status, 413);
    assert.equal(res.body.error, 'AGG_ERR_TOO_LARGE');
    assert.match(res.body.message, /line 2 is longer than 2000 bytes/);
    assert.equal((await stats(h.app)).received, before.received);
    // Counted in bytes: 700 three-byte characters are 2100 bytes.
    const wide = JSON.stringify(event(n++, { payload: { t: '€'.repeat(700) } }));
    assert.equal((await publish(h.app, wide, 'application/x-ndjson')).status, 413);
  });

  test('regression: an event_id with a lone surrogate was stored again on every redelivery', async () => {
    const e = event(n++, { event_id: 'evt-\uD800' });
    for (let i = 0; i < 3; i++) assert.equal((await publish(h.app, e)).status, 422);
    const s = await stats(h.app);
    assertInvariant(s, assert);
  });

  test('paired surrogates (emoji) inside the payload round-trip exactly; a lone one is refused', async () => {
    const topic = `emoji-😀-${n}`;
    // PostgreSQL's jsonb cannot hold a lone surrogate, so no store takes one (see store-parity).
    const lone = await publish(h.app, event(n++, { topic, payload: { lone: '\uD800x' } }));
    assert.deepEqual([lone.status, lone.body.details[0].field], [422, 'payload']);
    const e = event(n++, { topic, source: 'src-🚀', payload: { pair: '😀', key: { '😀': 1 } } });
    assert.equal((await publish(h.app, e)).body.unique_processed, 1);
    assert.equal((await publish(h.app, e)).body.duplicate_dropped, 1, 'the redelivery is a duplicate');
    const [stored] = await getJson<(typeof e)[]>(h.app, `/events?topic=${encodeURIComponent(topic)}`);
    assert.equal(stored.topic, topic);
    assert.equal(stored.source, 'src-🚀');
    assert.deepEqual(stored.payload, e.payload);
  });

  test('duplicate keys in a JSON object: the last one wins, as in JSON.parse (RFC 8259 §4)', async () => {
    const body = JSON.stringify(event(n++, { topic: 'dup-keys' })).replace('{', '{"topic":"first",');
    assert.equal((await publish(h.app, body)).status, 200);
    const stored = await getJson<{ topic: string }[]>(h.app, '/events?topic=dup-keys');
    assert.equal(stored.length, 1);
  });
});

test('more than 10,000 events → 413, nothing stored', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const events = Array.from({ length: 10_001 }, (_, i) => event(100_000 + i));
  const res = await publish(h.app, events);
  assert.equal(res.status, 413);
  assert.equal(res.body.error, 'AGG_ERR_TOO_LARGE');
  assert.equal((await stats(h.app)).received, 0);
  assert.equal((await h.store.list({ after: 0, limit: 10 })).length, 0);
});

test('a body over the byte limit → 413, nothing stored', async (t) => {
  const h = await startApp(tempDir(t), ['--max-body-bytes', '1000']);
  t.after(() => h.close());
  const res = await publish(h.app, [event(1, { payload: { blob: 'x'.repeat(2000) } })]);
  assert.equal(res.status, 413);
  assert.equal(res.body.error, 'AGG_ERR_TOO_LARGE');
  assert.equal((await stats(h.app)).received, 0);
});
