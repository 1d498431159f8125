/**
 * Responses compressed on request (Accept-Encoding): GET /events, /stats and
 * /openapi.json come back in br or gzip and decode to exactly the plain
 * answer; without the header, or below 1 KiB, they are sent as is; and the
 * other routes (POST /publish) never compress.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { event, type Harness, makeTempDir, publish, removeDir, startApp } from '../support/harness.js';

const decoders: Record<string, (b: Buffer) => Buffer> = {
  br: brotliDecompressSync,
  gzip: gunzipSync,
  deflate: inflateSync,
};

describe('compressed responses', () => {
  let h: Harness;
  const dir = makeTempDir();
  before(async () => {
    h = await startApp(dir);
    // Enough topics and events that /stats and /events are well over the 1 KiB threshold.
    await publish(
      h.app,
      Array.from({ length: 200 }, (_, i) => event(i, { topic: `topic-${i % 40}` })),
    );
  });
  after(async () => {
    await h.close();
    removeDir(dir);
  });

  const get = (url: string, acceptEncoding?: string) =>
    h.app.inject({
      method: 'GET',
      url,
      headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding },
    });

  for (const url of ['/events', '/stats', '/openapi.json', '/events?format=cloudevents']) {
    test(`${url}: br, gzip or deflate as asked, decoding to the plain answer`, async () => {
      const plain = await get(url);
      assert.equal(plain.headers['content-encoding'], undefined);
      for (const [asked, expected] of [
        ['gzip', 'gzip'],
        ['deflate', 'deflate'],
        ['gzip, deflate, br', 'br'],
        ['br;q=0, gzip', 'gzip'],
      ]) {
        const res = await get(url, asked);
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-encoding'], expected, `${url} with ${asked}`);
        assert.match(String(res.headers.vary), /accept-encoding/i);
        const body = decoders[expected](res.rawPayload).toString('utf8');
        if (url === '/stats') {
          // Uptime and memory move between two reads; the counters do not.
          const [a, b] = [JSON.parse(body), plain.json()];
          assert.deepEqual([a.received, a.per_topic], [b.received, b.per_topic]);
        } else {
          assert.equal(body, plain.body);
        }
        assert.ok(res.rawPayload.length < plain.rawPayload.length / 2, `${url} ${expected} is smaller`);
      }
    });
  }

  test('a small answer is sent as is; POST /publish never compresses', async () => {
    const small = await get('/events?limit=1', 'gzip');
    assert.equal(small.headers['content-encoding'], undefined);
    const res = await h.app.inject({
      method: 'POST',
      url: '/publish',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      payload: JSON.stringify(Array.from({ length: 300 }, (_, i) => event(i, { topic: 'topic-0' }))),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.json().duplicate_dropped, 300 - 295);
  });
});
