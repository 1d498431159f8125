/** Configuration: flag beats environment beats default; bad values are refused by name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/config-error.js';

test('defaults match the SPEC', () => {
  const c = loadConfig([], {});
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1', 'loopback unless the network is asked for');
  assert.equal(c.dataDir, './data');
  assert.equal(c.store, 'sqlite');
  assert.equal(c.sync, 'full');
  assert.equal(c.limits.bodyBytes, 16 * 1024 * 1024);
  assert.equal(c.limits.eventsPerRequest, 10_000);
  assert.equal(c.limits.payloadBytes, 64 * 1024);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits));
});

test('a flag beats its environment variable, which beats the default', () => {
  assert.equal(loadConfig([], { PORT: '9000' }).port, 9000);
  assert.equal(loadConfig(['--port', '9100'], { PORT: '9000' }).port, 9100);
  assert.equal(loadConfig([], { DATA_DIR: '/var/lib/agg' }).dataDir, '/var/lib/agg');
  assert.equal(loadConfig([], { SQLITE_SYNC: 'normal' }).sync, 'normal');
  const pg = loadConfig(['--store', 'postgres'], { DATABASE_URL: 'postgres://x@y/z' });
  assert.equal(pg.databaseUrl, 'postgres://x@y/z');
});

test('bad values are refused with the option named', () => {
  assert.throws(() => loadConfig(['--port', '70000'], {}), /--port \/ PORT must be at most 65535/);
  assert.throws(() => loadConfig([], { QUEUE_LIMIT: '-1' }), /--queue-limit \/ QUEUE_LIMIT/);
  assert.throws(
    () => loadConfig(['--sync', 'sometimes'], {}),
    /--sync \/ SQLITE_SYNC must be one of full, normal/,
  );
  assert.throws(() => loadConfig(['--store', 'postgres'], {}), ConfigError);
});

test('scale-out options: instance id, and the JetStream source only with a NATS URL', () => {
  const plain = loadConfig(['--port', '9000'], {});
  assert.match(plain.instanceId, /:9000$/, 'the default instance id is hostname:port');
  assert.equal(plain.nats, undefined, 'no NATS URL, no source');
  assert.equal(loadConfig([], { INSTANCE_ID: 'replica-a' }).instanceId, 'replica-a');
  const c = loadConfig(['--nats-url', 'nats://n:4222', '--nats-durable', 'agg-1'], { NATS_STREAM: 'ORDERS' });
  assert.deepEqual(c.nats, { url: 'nats://n:4222', stream: 'ORDERS', subject: 'events.>', durable: 'agg-1' });
  const d = loadConfig([], { NATS_URL: 'nats://n:4222' });
  assert.deepEqual([d.nats?.stream, d.nats?.subject, d.nats?.durable], ['EVENTS', 'events.>', 'aggregator']);
  assert.throws(
    () => loadConfig(['--nats-url', 'nats://n', '--nats-stream', 'a.b'], {}),
    /--nats-stream \/ NATS_STREAM must be 1-64 letters/,
  );
  assert.throws(() => loadConfig(['--nats-url', 'nats://n', '--nats-subject', 'a b'], {}), /--nats-subject/);
});

test('live view options: SSE heartbeat and the subscriber cap', () => {
  const c = loadConfig([], {});
  assert.equal(c.sseHeartbeatMs, 15_000);
  assert.equal(c.limits.maxSubscribers, 1_000);
  const set = loadConfig(['--sse-heartbeat-ms', '500'], { MAX_SUBSCRIBERS: '3' });
  assert.equal(set.sseHeartbeatMs, 500);
  assert.equal(set.limits.maxSubscribers, 3);
});

test('hardening options: defaults, environment, and the timeout pair checked together', () => {
  const c = loadConfig([], {});
  assert.deepEqual(c.access, { publishKeys: [], readKeys: [] });
  assert.deepEqual(c.corsOrigins, []);
  assert.equal(c.limits.jsonDepth, 32);
  assert.equal(c.limits.ndjsonLineBytes, 1024 * 1024);
  assert.equal(c.limits.maxSubscribers, 1_000);
  assert.deepEqual(
    [
      c.limits.requestTimeoutMs,
      c.limits.headersTimeoutMs,
      c.limits.keepAliveTimeoutMs,
      c.limits.socketTimeoutMs,
    ],
    [60_000, 20_000, 72_000, 120_000],
  );
  assert.equal(c.limits.rateLimit, 0, 'rate limiting is off by default');
  const set = loadConfig(['--rate-limit', '100'], {
    MAX_JSON_DEPTH: '8',
    RATE_WINDOW_MS: '1000',
    CORS_ORIGIN: 'https://a.example, http://localhost:3000',
  });
  assert.deepEqual([set.limits.jsonDepth, set.limits.rateLimit, set.limits.rateWindowMs], [8, 100, 1000]);
  assert.deepEqual(set.corsOrigins, ['https://a.example', 'http://localhost:3000']);
  assert.throws(
    () => loadConfig(['--headers-timeout-ms', '5000', '--request-timeout-ms', '1000'], {}),
    /--headers-timeout-ms \(5000\) must not exceed --request-timeout-ms \(1000\)/,
  );
  assert.equal(loadConfig(['--request-timeout-ms', '0'], {}).limits.requestTimeoutMs, 0, '0 turns it off');
});

test('retention: days and sizes as people write them; off by default; bad values named', () => {
  assert.equal(loadConfig([], {}).retention, undefined);
  assert.deepEqual(loadConfig(['--retain-days', '30'], {}).retention, { days: 30, bytes: undefined });
  assert.deepEqual(loadConfig([], { RETAIN_DAYS: '0.5', RETAIN_BYTES: '2GiB' }).retention, {
    days: 0.5,
    bytes: 2 * 2 ** 30,
  });
  assert.equal(loadConfig(['--retain-bytes', '500MB'], {}).retention?.bytes, 500e6);
  assert.equal(loadConfig(['--retain-bytes', '1.5 kib'], {}).retention?.bytes, 1536);
  assert.equal(loadConfig(['--retain-bytes', '4096'], {}).retention?.bytes, 4096);
  for (const bad of ['0', '-1', 'soon', '1e3']) {
    assert.throws(
      () => loadConfig([`--retain-days=${bad}`], {}),
      /--retain-days \/ RETAIN_DAYS must be a positive/,
    );
  }
  for (const bad of ['0', '12 parsecs', 'MB', '-5MB']) {
    assert.throws(
      () => loadConfig([], { RETAIN_BYTES: bad }),
      /--retain-bytes \/ RETAIN_BYTES must be a size/,
    );
  }
});

test('--retain-bytes is refused on PostgreSQL, naming the option', () => {
  assert.throws(
    () => loadConfig(['--store', 'postgres', '--retain-bytes', '1GB'], { DATABASE_URL: 'postgres://x@y/z' }),
    /--retain-bytes \/ RETAIN_BYTES works with --store sqlite only; use --retain-days/,
  );
  const pg = loadConfig(['--store', 'postgres', '--retain-days', '7'], { DATABASE_URL: 'postgres://x@y/z' });
  assert.equal(pg.retention?.days, 7);
});
