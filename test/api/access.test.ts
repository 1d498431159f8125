/**
 * Access control: every route the app has × {no key, wrong key, publish key,
 * read key}. The table comes from the app itself (every registered route with
 * its `access` tag), plus stand-ins for routes other branches add: one
 * untagged (it must need a read key), the dashboard page (open) and
 * /subscribe (read, also via `access_token`). So a route added later is
 * covered by the default-to-read rule without editing this test.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { mainScript, startServer } from '../../src/loadgen/server-process.js';
import { event, type Harness, makeTempDir, removeDir, startApp, tempDir } from '../support/harness.js';

const publishKeys = ['pub-0123456789abcdef', 'pub-rotated-fedcba9876543210'];
const readKey = 'read-0123456789abcdef';
const keyFlags = ['--publish-key', publishKeys.join(','), '--read-key', readKey];

type Credential = 'none' | 'wrong' | 'publish' | 'read';
const authorization: Record<Credential, string | undefined> = {
  none: undefined,
  wrong: 'Bearer not-a-configured-key',
  publish: `Bearer ${publishKeys[0]}`,
  read: `Bearer ${readKey}`,
};

/** A route added without a tag, as a future route might be: it must need a read key. */
function addStandIns(app: FastifyInstance): void {
  app.get('/untagged-stand-in', async () => ({ data: 'secret' }));
}

/** An allowed GET /subscribe is an endless stream: its allowed case is checked over a real socket below. */
const streams = (url: string) => url === '/subscribe';

function call(app: FastifyInstance, method: string, url: string, credential: Credential) {
  const headers: Record<string, string> = {};
  if (authorization[credential]) headers.authorization = authorization[credential];
  if (method !== 'POST') return app.inject({ method: method as 'GET', url, headers });
  headers['content-type'] = 'application/json';
  return app.inject({ method: 'POST', url, headers, payload: JSON.stringify(event()) });
}

/** What each kind of route answers to each credential: allowed (200), 401 or 403. */
const expected: Record<'publish' | 'read' | 'open', Record<Credential, number>> = {
  publish: { none: 401, wrong: 401, publish: 200, read: 403 },
  read: { none: 401, wrong: 401, publish: 403, read: 200 },
  open: { none: 200, wrong: 200, publish: 200, read: 200 },
};

describe('with publish and read keys configured', () => {
  let h: Harness;
  const dir = makeTempDir();
  before(async () => {
    h = await startApp(dir, keyFlags);
    addStandIns(h.app);
    await h.app.ready();
  });
  after(async () => {
    await h.close();
    removeDir(dir);
  });

  test('the route table holds the app routes with their tags, untagged routes need a read key', () => {
    const find = (method: string, url: string) =>
      h.app.accessTable.find((r) => r.method === method && r.url === url)?.access;
    assert.equal(find('POST', '/publish'), 'publish');
    assert.equal(find('GET', '/events'), 'read');
    assert.equal(find('GET', '/stats'), 'read');
    assert.equal(find('GET', '/healthz'), 'open');
    assert.equal(find('GET', '/readyz'), 'open');
    assert.equal(find('GET', '/untagged-stand-in'), 'read');
    assert.equal(find('HEAD', '/events'), 'read', 'the automatic HEAD route inherits the tag');
  });

  test('every route × {no key, wrong key, publish key, read key}', async () => {
    assert.ok(h.app.accessTable.length >= 12);
    for (const route of h.app.accessTable) {
      for (const credential of ['none', 'wrong', 'publish', 'read'] as const) {
        const want = expected[route.access][credential];
        if (want === 200 && streams(route.url)) continue;
        const res = await call(h.app, route.method, route.url, credential);
        const what = `${route.method} ${route.url} (${route.access}) with ${credential} key`;
        if (want !== 200) assert.equal(res.statusCode, want, what);
        // Allowed: whatever the route answers (static assets may 404 on a pattern URL), never 401/403.
        else assert.ok(![401, 403].includes(res.statusCode), `${what}: ${res.statusCode} ${res.body}`);
        if (want === 401) {
          assert.match(String(res.headers['www-authenticate']), /^Bearer realm="aggregator"/, what);
          if (route.method !== 'HEAD') assert.equal(res.json().error, 'AGG_ERR_UNAUTHORIZED', what);
        }
        if (want === 403 && route.method !== 'HEAD') {
          assert.equal(res.json().error, 'AGG_ERR_FORBIDDEN', what);
          assert.match(String(res.headers['www-authenticate']), /error="insufficient_scope"/);
        }
      }
    }
  });

  test('a wrong key is named invalid_token; no key or another scheme carries no error code (RFC 6750 §3.1)', async () => {
    const wrong = await call(h.app, 'GET', '/stats', 'wrong');
    assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="aggregator", error="invalid_token"');
    const none = await call(h.app, 'GET', '/stats', 'none');
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="aggregator"');
    const basic = await h.app.inject({ url: '/stats', headers: { authorization: `Basic ${readKey}` } });
    assert.equal(basic.statusCode, 401);
    assert.equal(basic.headers['www-authenticate'], 'Bearer realm="aggregator"');
  });

  test('the scheme is case-insensitive; every key of a rotation list works', async () => {
    const lower = await h.app.inject({ url: '/stats', headers: { authorization: `bearer ${readKey}` } });
    assert.equal(lower.statusCode, 200);
    for (const key of publishKeys) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/publish',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(event()),
      });
      assert.equal(res.statusCode, 200);
    }
  });

  test('a prefix, an extension or a case variant of a key is not the key', async () => {
    for (const variant of [readKey.slice(0, -1), `${readKey}x`, readKey.toUpperCase(), ` ${readKey}x`]) {
      const res = await h.app.inject({ url: '/stats', headers: { authorization: `Bearer ${variant}` } });
      assert.equal(res.statusCode, 401, variant);
    }
  });

  test('access is checked before the body is read: an unauthorised bad body is a 401 and counts nothing', async () => {
    const before = await h.store.stats();
    const res = await h.app.inject({
      method: 'POST',
      url: '/publish',
      headers: { 'content-type': 'application/json' },
      payload: '{"not json',
    });
    assert.equal(res.statusCode, 401);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await h.store.stats()).rejected, before.rejected);
  });

  test('access_token is accepted on GET /subscribe only, and never reaches the handler', async () => {
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    for (const auth of [`?access_token=${readKey}&topic=a`, '?topic=a']) {
      const headers: Record<string, string> = auth.includes('access_token')
        ? {}
        : { authorization: `Bearer ${readKey}` };
      const abort = new AbortController();
      const res = await fetch(`${url}/subscribe${auth}`, { headers, signal: abort.signal });
      assert.equal(res.status, 200, auth);
      assert.match(String(res.headers.get('content-type')), /text\/event-stream/);
      abort.abort();
    }
    // A token in the query that the handler saw would be a 400 (unknown query field), not a stream.
    const wrongKind = await h.app.inject({ url: `/subscribe?access_token=${publishKeys[0]}` });
    assert.equal(wrongKind.statusCode, 403);
    const elsewhere = await h.app.inject({ url: `/stats?access_token=${readKey}` });
    assert.equal(elsewhere.statusCode, 401, 'not on other routes: URLs end up in logs');
  });

  test('unknown routes still answer 404 and wrong methods 405, key or not', async () => {
    assert.equal((await h.app.inject({ url: '/nope' })).statusCode, 404);
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/events' })).statusCode, 405);
  });
});

describe('with only some kinds configured', () => {
  test('no keys: everything is open', async (t) => {
    const h = await startApp(tempDir(t));
    t.after(() => h.close());
    addStandIns(h.app);
    for (const route of h.app.accessTable) {
      if (streams(route.url)) continue;
      const res = await call(h.app, route.method, route.url, 'none');
      assert.ok(![401, 403].includes(res.statusCode), `${route.method} ${route.url}: ${res.statusCode}`);
    }
  });

  test('only a publish key: publishing needs it, reading stays open', async (t) => {
    const h = await startApp(tempDir(t), ['--publish-key', publishKeys[0]]);
    t.after(() => h.close());
    assert.equal((await call(h.app, 'POST', '/publish', 'none')).statusCode, 401);
    assert.equal((await call(h.app, 'POST', '/publish', 'publish')).statusCode, 200);
    assert.equal((await call(h.app, 'GET', '/events', 'none')).statusCode, 200);
  });

  test('only a read key: reading needs it, publishing stays open', async (t) => {
    const h = await startApp(tempDir(t), ['--read-key', readKey]);
    t.after(() => h.close());
    assert.equal((await call(h.app, 'POST', '/publish', 'none')).statusCode, 200);
    assert.equal((await call(h.app, 'GET', '/stats', 'none')).statusCode, 401);
    assert.equal((await call(h.app, 'GET', '/stats', 'read')).statusCode, 200);
  });

  test('the same key listed under both kinds may do both', async (t) => {
    const h = await startApp(tempDir(t), ['--publish-key', readKey, '--read-key', readKey]);
    t.after(() => h.close());
    assert.equal((await call(h.app, 'POST', '/publish', 'read')).statusCode, 200);
    assert.equal((await call(h.app, 'GET', '/stats', 'read')).statusCode, 200);
  });
});

test('a key that cannot be sent as a Bearer token is refused at startup, without echoing it', async () => {
  const { loadConfig } = await import('../../src/config/config.js');
  assert.throws(
    () => loadConfig(['--read-key', 'has space'], {}),
    (err: Error) => /--read-key \/ READ_KEY/.test(err.message) && !err.message.includes('has space'),
  );
  const c = loadConfig([], { PUBLISH_KEY: ' a1 , b2,, ', READ_KEY: 'r1' });
  assert.deepEqual(c.access, { publishKeys: ['a1', 'b2'], readKeys: ['r1'] });
});

test('the startup log says when access control is off, and never prints a key', async (t) => {
  const open = await startServer(['--data-dir', tempDir(t)]);
  t.after(() => open.stop('SIGKILL'));
  assert.ok(open.logs.some((l) => l.includes('access control is OFF')));
  await open.stop();

  const keyed = await startServer(['--data-dir', tempDir(t)], {
    PUBLISH_KEY: publishKeys.join(','),
    READ_KEY: readKey,
  });
  t.after(() => keyed.stop('SIGKILL'));
  const line = keyed.logs.find((l) => l.includes('access control is on'));
  assert.ok(line);
  const openRoutes = JSON.parse(line).open_routes as string[];
  for (const route of ['GET /healthz', 'GET /readyz', 'GET /', 'GET /docs'])
    assert.ok(openRoutes.includes(route), route);
  for (const route of ['POST /publish', 'GET /events', 'GET /stats', 'GET /subscribe', 'GET /metrics']) {
    assert.ok(!openRoutes.includes(route), `${route} is not open`);
  }
  assert.ok(!keyed.logs.some((l) => l.includes(readKey) || l.includes(publishKeys[0])));
  const res = await fetch(`${keyed.url}/stats`);
  assert.equal(res.status, 401);
  assert.equal(
    (await fetch(`${keyed.url}/stats`, { headers: { authorization: `Bearer ${readKey}` } })).status,
    200,
  );
  assert.equal(await keyed.stop(), 0);
});

test('aggregator publish and bench send their keys; without one publish stops at the 401', async (t) => {
  const server = await startServer(['--data-dir', tempDir(t)], {
    PUBLISH_KEY: publishKeys[1],
    READ_KEY: readKey,
  });
  t.after(() => server.stop('SIGKILL'));
  const run = promisify(execFile);
  const aggregator = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [mainScript, ...args], { timeout: 60_000, env: { ...process.env, ...env } });
  const load = ['--url', server.url, '--events', '200', '--batch', '50', '--json'];
  const published = JSON.parse((await aggregator(['publish', ...load, '--key', publishKeys[1]])).stdout);
  assert.equal(published.stored, 150);
  await assert.rejects(aggregator(['publish', ...load]), /HTTP 401/);
  const bench = await aggregator(['bench', ...load, '--read-key', readKey], { PUBLISH_KEY: publishKeys[1] });
  assert.equal(JSON.parse(bench.stdout).verified, true);
  assert.equal(await server.stop(), 0);
});
