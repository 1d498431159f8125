/**
 * Slow-client protection on a real server process with small timeouts: a body
 * trickled byte by byte, headers trickled line by line, and a connection that
 * sends nothing are each cut off (408 in the JSON error format, socket
 * closed) long before they could finish, while other clients are served
 * meanwhile, and nothing of the cut-off request is stored.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { event, tempDir } from '../support/harness.js';

interface Trickle {
  /** Bytes of the request written before the server closed the socket. */
  readonly written: number;
  readonly total: number;
  /** Everything the server sent back. */
  readonly answer: string;
}

/** Writes `text` to a raw socket `step` bytes at a time every `everyMs`, until done or closed. */
function trickle(
  url: string,
  text: string,
  step: number,
  everyMs: number,
  onOpen?: () => void,
): Promise<Trickle> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    let written = 0;
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      onOpen?.();
      timer = setInterval(() => {
        if (written >= text.length || socket.destroyed) return;
        socket.write(text.slice(written, written + step));
        written += step;
      }, everyMs);
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ written: Math.min(written, text.length), total: text.length, answer });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server never cut the slow client off'));
    }, 15_000).unref();
  });
}

test('a trickling client is cut off by the timeouts while other clients are served', async (t) => {
  const server = await startServer([
    '--data-dir',
    tempDir(t),
    '--request-timeout-ms',
    '1500',
    '--headers-timeout-ms',
    '1000',
  ]);
  t.after(() => server.stop('SIGKILL'));

  const slowEvent = event(1, { topic: 'slow', payload: { pad: 'x'.repeat(200) } });
  const body = JSON.stringify(slowEvent);
  const head = `POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;

  // The headers arrive at once; the body one byte every 50 ms would take ~14 s.
  let slowOpen = true;
  const bodyTrickle = trickle(server.url, head + body, 1, 50).then((r) => {
    slowOpen = false;
    return r;
  });
  // Header lines trickled: the headers timeout applies.
  const headerTrickle = trickle(
    server.url,
    `GET /stats HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(200)}\r\n`,
    10,
    50,
  );
  // A connection that never sends a byte.
  const silent = trickle(server.url, '', 1, 1000);

  // Meanwhile: other clients publish and read, and are answered while the slow one is still connected.
  let servedMeanwhile = 0;
  for (let i = 0; i < 5; i++) {
    const res = await request(`${server.url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event(100 + i)),
    });
    await res.body.text();
    assert.equal(res.statusCode, 200);
    if (slowOpen) servedMeanwhile++;
  }
  assert.ok(servedMeanwhile > 0, 'other clients were served while the slow client was connected');

  const slow = await bodyTrickle;
  assert.ok(slow.written < slow.total, `cut off after ${slow.written} of ${slow.total} bytes`);
  assert.match(slow.answer, /^HTTP\/1\.1 408 /);
  assert.match(slow.answer, /"error":"AGG_ERR_TIMEOUT"/);
  assert.match(slow.answer, /X-Content-Type-Options: nosniff/i);

  const headers = await headerTrickle;
  assert.ok(headers.written < headers.total, `headers cut off after ${headers.written} of ${headers.total}`);
  assert.match(headers.answer, /^HTTP\/1\.1 408 /);
  assert.equal((await silent).written, 0);

  const s = (await (await request(`${server.url}/stats`)).body.json()) as StatsBody;
  assert.equal(s.unique_processed, 5, 'nothing of the cut-off request was stored');
  assert.ok(!s.topics.includes('slow'));
  assert.equal(await server.stop(), 0);
});
