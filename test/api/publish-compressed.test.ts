/**
 * POST /publish with `Content-Encoding`: gzip, deflate and br bodies are
 * stored like plain ones (a duplicate across encodings is a duplicate); every
 * limit applies to the decoded size, so a compression bomb is a 413 with the
 * server's memory flat; an unknown coding is a 415; a corrupt body is a 400;
 * and no error message ever echoes the bytes that were sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  assertInvariant,
  event,
  type Harness,
  makeTempDir,
  removeDir,
  startApp,
  stats,
} from '../support/harness.js';

const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync } as const;

describe('compressed bodies', () => {
  let h: Harness;
  const dir = makeTempDir();
  before(async () => {
    // A 1 MiB body limit keeps the bomb small to build; the rule is the same at 16 MiB.
    h = await startApp(dir, ['--max-body-bytes', String(1024 * 1024), '--max-ndjson-line-bytes', '2000']);
  });
  after(async () => {
    await h.close();
    removeDir(dir);
  });

  const post = async (body: Buffer | string, headers: Record<string, string>) => {
    const res = await h.app.inject({ method: 'POST', url: '/publish', headers, payload: body });
    return { status: res.statusCode, headers: res.headers, body: res.json() };
  };
  const json = { 'content-type': 'application/json' };
  /** Stats after a commit: the rejected count rides the next one, and a valid request makes one. */
  const statsAfterCommit = async () => {
    await post(JSON.stringify(event(undefined, { topic: 'enc.commit' })), json);
    return stats(h.app);
  };

  for (const [coding, encode] of Object.entries(encoders)) {
    test(`${coding}: stored once; the same event plain, or in another coding, is a duplicate`, async () => {
      const events = [
        event(undefined, { topic: `enc.${coding}` }),
        event(undefined, { topic: `enc.${coding}` }),
      ];
      const body = encode(JSON.stringify(events));
      const first = await post(body, { ...json, 'content-encoding': coding });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual([first.body.unique_processed, first.body.duplicate_dropped], [2, 0]);
      const plain = await post(JSON.stringify(events[0]), json);
      assert.deepEqual(plain.body.duplicates, [0]);
      const other = coding === 'gzip' ? 'br' : 'gzip';
      const again = await post(encoders[other](JSON.stringify(events)), {
        ...json,
        'content-encoding': other,
      });
      assert.deepEqual(again.body.duplicates, [0, 1]);
    });
  }

  test('NDJSON in gzip, and codings listed in the order applied (identity ignored)', async () => {
    const ndjson = `${JSON.stringify(event(undefined, { topic: 'enc.nd' }))}\n${JSON.stringify(event(undefined, { topic: 'enc.nd' }))}\n`;
    const one = await post(gzipSync(ndjson), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'GZIP',
    });
    assert.equal(one.body.unique_processed, 2);
    const twice = brotliCompressSync(gzipSync(JSON.stringify(event(undefined, { topic: 'enc.nd' }))));
    const res = await post(twice, { ...json, 'content-encoding': 'gzip, identity, br' });
    assert.equal(res.body.unique_processed, 1, JSON.stringify(res.body));
  });

  test('a compression bomb is a 413 and memory stays flat; nothing stored, one refused delivery', async () => {
    const before = await statsAfterCommit();
    // 64 MiB of the same event over and over: ~64 KiB gzip, 64 × the body limit once decoded.
    const unit = `${JSON.stringify(event(1, { topic: 'bomb' }))}\n`;
    const bomb = gzipSync(Buffer.from(unit.repeat(Math.ceil((64 * 1024 * 1024) / unit.length))), {
      level: 9,
    });
    assert.ok(bomb.length < 1024 * 1024, 'the bomb itself fits under the body limit');
    const rssBefore = process.memoryUsage().rss;
    for (const [type, coding] of [
      ['application/json', 'gzip'],
      ['application/x-ndjson', 'gzip'],
    ]) {
      const res = await post(bomb, { 'content-type': type, 'content-encoding': coding });
      assert.equal(res.status, 413);
      assert.equal(res.body.error, 'AGG_ERR_TOO_LARGE');
      assert.match(res.body.message, /larger than 1048576 bytes once decoded/);
    }
    // Decoding all of it would take 64 MiB (and twice that as a string); the cap stops at 1 MiB.
    const grown = process.memoryUsage().rss - rssBefore;
    assert.ok(grown < 48 * 1024 * 1024, `RSS grew by ${grown} bytes`);
    const after = await statsAfterCommit();
    assert.equal(after.unique_processed, before.unique_processed + 1);
    assert.equal(after.rejected, before.rejected + 2);
  });

  test('limits see the decoded body: events per request, NDJSON line, payload', async () => {
    const longLine = JSON.stringify(event(undefined, { payload: { pad: 'x'.repeat(3000) } }));
    const line = await post(gzipSync(`${longLine}\n`), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    assert.equal(line.status, 413);
    assert.match(line.body.message, /line 1 is longer than 2000 bytes/);
  });

  test('an unknown coding is a 415 that lists the codings that work; nothing stored', async () => {
    const before = await statsAfterCommit();
    const res = await post(JSON.stringify(event()), { ...json, 'content-encoding': 'zstd' });
    assert.equal(res.status, 415);
    assert.equal(res.body.error, 'AGG_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.equal(res.headers['accept-encoding'], 'gzip, deflate, br');
    assert.match(res.body.message, /"zstd" is not supported/);
    const after = await statsAfterCommit();
    assert.equal(after.received, before.received + 1);
    assert.equal(after.rejected, before.rejected + 1);
  });

  test('a body that is not in the coding it claims is a 400 naming the coding', async () => {
    const res = await post(JSON.stringify(event()), { ...json, 'content-encoding': 'gzip' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'AGG_ERR_BAD_REQUEST');
    assert.match(res.body.message, /not valid gzip/);
    const truncated = gzipSync(JSON.stringify([event(), event()])).subarray(0, 30);
    const cut = await post(truncated, { ...json, 'content-encoding': 'gzip' });
    assert.equal(cut.status, 400, JSON.stringify(cut.body));
  });

  test('regression: a gzip body sent without Content-Encoding is a 400 that does not echo its bytes', async () => {
    const body = gzipSync(JSON.stringify({ secret: 'hunter2-hunter2', ...event() }));
    for (const type of ['application/json', 'application/x-ndjson']) {
      const res = await post(body, { 'content-type': type });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'AGG_ERR_BAD_JSON');
      assert.match(
        res.body.message,
        /^[\x20-\x7e]*$/,
        `printable ASCII only: ${JSON.stringify(res.body.message)}`,
      );
    }
    // Plain text that is not JSON: the message says what is wrong, never quotes it.
    for (const text of ['hunter2 is my password', '{"a": hunter2}', '[1, 2, hunter2]']) {
      const res = await post(text, json);
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.body.message, /hunter2/);
    }
    assertInvariant(await stats(h.app), assert);
  });
});
