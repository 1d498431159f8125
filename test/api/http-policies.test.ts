/**
 * Response policies: security headers on every answer (a strict CSP on HTML
 * pages), CORS off by default and exact when configured (preflights pass
 * without a key), and the optional per-client rate limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiCsp, pageCsp } from '../../src/http/policies/security-headers.js';
import { event, publish, startApp, tempDir } from '../support/harness.js';

const readKey = 'read-key-for-policy-tests';

test('every answer carries nosniff, no framing and no referrer; JSON gets default-src none', async (t) => {
  const h = await startApp(tempDir(t), ['--read-key', readKey]);
  t.after(() => h.close());
  const answers = [
    await h.app.inject({ url: '/healthz' }),
    await h.app.inject({ url: '/stats' }), // 401
    await h.app.inject({ url: '/nope' }), // 404
    await h.app.inject({ method: 'POST', url: '/publish', headers: { 'content-type': 'text/plain' } }), // 415
  ];
  for (const res of answers) {
    assert.equal(res.headers['x-content-type-options'], 'nosniff', `${res.statusCode}`);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['content-security-policy'], apiCsp);
  }
});

test('HTML pages (the dashboard) get the strict page CSP; a route with its own policy keeps it', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  h.app.get('/own', { config: { access: 'open' } }, async (_request, reply) =>
    reply.type('text/html').header('content-security-policy', "default-src 'none'").send('<p>'),
  );
  const page = await h.app.inject({ url: '/' });
  assert.equal(page.headers['content-security-policy'], pageCsp);
  for (const directive of ["script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
    assert.ok(pageCsp.includes(directive), directive);
  }
  assert.ok(!pageCsp.includes('unsafe-inline') && !pageCsp.includes('unsafe-eval'));
  assert.equal(
    (await h.app.inject({ url: '/own' })).headers['content-security-policy'],
    "default-src 'none'",
  );
});

test('CORS is off by default: no Access-Control-Allow-Origin for any origin', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const res = await h.app.inject({ url: '/stats', headers: { origin: 'https://evil.example' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['access-control-allow-origin'], undefined);
  const preflight = await h.app.inject({
    method: 'OPTIONS',
    url: '/publish',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
});

test('CORS with --cors-origin: that origin only; preflights need no key; Link and Retry-After exposed', async (t) => {
  const origin = 'https://app.example.com';
  const h = await startApp(tempDir(t), [
    '--cors-origin',
    origin,
    '--read-key',
    readKey,
    '--publish-key',
    'pk1',
  ]);
  t.after(() => h.close());
  const preflight = await h.app.inject({
    method: 'OPTIONS',
    url: '/publish',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], origin);
  assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
  assert.equal(preflight.headers['access-control-allow-credentials'], undefined);

  const read = await h.app.inject({
    url: '/events',
    headers: { origin, authorization: `Bearer ${readKey}` },
  });
  assert.equal(read.statusCode, 200);
  assert.equal(read.headers['access-control-allow-origin'], origin);
  assert.match(String(read.headers['access-control-expose-headers']), /link/);
  assert.match(String(read.headers['access-control-expose-headers']), /retry-after/);

  const other = await h.app.inject({ url: '/healthz', headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});

test('a bad --cors-origin is refused at startup', async () => {
  const { loadConfig } = await import('../../src/config/config.js');
  assert.throws(() => loadConfig(['--cors-origin', 'https://a.example/path'], {}), /is not an origin/);
  assert.deepEqual(loadConfig(['--cors-origin', '*'], {}).corsOrigins, ['*']);
});

test('rate limit: off by default; when on, 429 + Retry-After in the JSON format, probes exempt', async (t) => {
  const off = await startApp(tempDir(t));
  t.after(() => off.close());
  for (let i = 0; i < 30; i++) assert.equal((await off.app.inject({ url: '/stats' })).statusCode, 200);

  const h = await startApp(tempDir(t), ['--rate-limit', '3', '--rate-window-ms', '60000']);
  t.after(() => h.close());
  for (let i = 0; i < 3; i++) assert.equal((await publish(h.app, event())).status, 200);
  const limited = await h.app.inject({ url: '/stats' });
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().error, 'AGG_ERR_RATE_LIMITED');
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
  assert.equal(limited.headers['x-content-type-options'], 'nosniff');
  // Health probes are open routes and never limited.
  for (let i = 0; i < 10; i++) assert.equal((await h.app.inject({ url: '/healthz' })).statusCode, 200);
});
