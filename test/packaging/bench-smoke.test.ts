/** Every benchmark scenario runs in its tiny smoke size and verifies itself, so none can rot unnoticed. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { natsGate, postgresGate } from '../support/services.js';

const run = promisify(execFile);
const runner = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const pg = await postgresGate();
const nats = await natsGate();

test('bench --smoke: every scenario (SQLite, PostgreSQL, JetStream) completes verified', {
  skip: pg.skip || nats.skip,
}, async () => {
  pg.require();
  nats.require();
  const { stdout } = await run(process.execPath, [runner, '--smoke'], { timeout: 240_000 });
  const rows = stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'));
  const names = new Set(rows.map((r) => r.split('|')[1].trim()));
  for (const kind of ['sqlite', 'postgres', 'jetstream']) {
    assert.ok(
      [...names].some((n) => n.startsWith(kind)),
      `a ${kind} scenario ran`,
    );
  }
  assert.ok(
    rows.every((r) => r.includes('| yes |')),
    stdout,
  );
});

const benchScript = (name: string) => fileURLToPath(new URL(`../../bench/${name}.js`, import.meta.url));

test('bench:compare smoke: all five systems run the same tiny load and store the exact unique count', {
  skip: nats.skip,
}, async () => {
  nats.require();
  const { stdout } = await run(
    process.execPath,
    [benchScript('compare'), '--events', '2000', '--rounds', '1'],
    {
      timeout: 240_000,
    },
  );
  const rows = stdout.split('\n').filter((l) => /^\| (pubsub|in-memory|naive|NATS|storage)/.test(l));
  assert.equal(rows.length, 5, stdout);
  assert.ok(
    rows.every((r) => r.includes('| yes |')),
    stdout,
  );
  assert.match(stdout, /ours \/ NATS JetStream = \*\*[\d.]+×\*\*/);
  assert.match(stdout, /ours \/ in-memory ceiling = \*\*[\d.]+×\*\*/);
  assert.match(stdout, /ours \/ naive prototype = \*\*[\d.]+×\*\*/);
});

test('bench:compare smoke: the single-event scenario prints the ratio to the in-memory ceiling', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      benchScript('compare'),
      '--scenario',
      'single',
      '--events',
      '300',
      '--concurrency',
      '8',
      '--rounds',
      '1',
    ],
    { timeout: 240_000 },
  );
  const rows = stdout.split('\n').filter((l) => /^\| (pubsub|in-memory|naive)/.test(l));
  assert.equal(rows.length, 3, stdout);
  assert.ok(
    rows.every((r) => r.includes('| yes |')),
    stdout,
  );
  // Every server's CPU per event, split into its main thread and its other threads.
  assert.ok(
    rows.every((r) => /\| \d+\.\d \/ \d+\.\d \|/.test(r)),
    stdout,
  );
  assert.match(stdout, /ours \/ in-memory ceiling = \*\*[\d.]+×\*\*/);
});

test('bench:growth smoke: ingests to a small size, prints slices and page latency', async () => {
  const { stdout } = await run(
    process.execPath,
    [benchScript('growth'), '--unique', '20000', '--slice', '10000', '--pages', '20'],
    { timeout: 240_000 },
  );
  assert.match(stdout, /^\| 2\d,\d{3} \|/m);
  assert.match(stdout, /GET \/events\?topic=&after=&limit=100 at 20,0\d\d events: p50 [\d.]+ ms/);
});

test('bench:ceiling smoke: both storage layouts insert the same events', async () => {
  for (const layout of ['store', 'naive']) {
    const { stdout } = await run(
      process.execPath,
      [
        benchScript('storage-ceiling'),
        '--layout',
        layout,
        '--rows',
        '4000',
        '--batch',
        '500',
        '--every',
        '4000',
        '--json',
      ],
      { timeout: 120_000 },
    );
    const result = JSON.parse(stdout.trim());
    assert.equal(result.rows, 4000);
    assert.ok(result.overall > 0);
  }
});

test('bench:replicas smoke: PostgreSQL itself and the store on 1, 2 and 3 replicas, totals checked, ratios and CPU per thread printed', {
  skip: pg.skip,
}, async () => {
  pg.require();
  const { stdout } = await run(process.execPath, [benchScript('replicas'), '--smoke', '--cpu'], {
    timeout: 240_000,
  });
  for (const name of [
    'PostgreSQL itself, 1 connection',
    'PostgreSQL itself, 2 connections',
    'store, 3 replicas',
  ]) {
    assert.match(stdout, new RegExp(`\\| ${name} \\|`), stdout);
  }
  assert.match(stdout, /Totals checked: every run stored exactly the unique events sent\./);
  assert.match(stdout, /\| 2 replicas \/ 1 replica \| [\d.]+× \| ≥ 1\.4× /);
  // The CPU table names each replica's main thread and its commit connection's PostgreSQL backend.
  assert.match(stdout, /CPU per event, store, 2 replicas/);
  assert.match(stdout, /\| replica 1 · main \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
  assert.match(stdout, /\| pg backend, replica 0 commits · main \|/);
});

test('bench:pg-commit smoke: the commit path alone, with CPU per event of the driver and the backend', {
  skip: pg.skip,
}, async () => {
  pg.require();
  const { stdout } = await run(
    process.execPath,
    [benchScript('pg-commit'), '--events', '2000', '--group', '200', '--inflight', '1,2'],
    { timeout: 120_000 },
  );
  assert.match(stdout, /groups of 200, 2 in flight: [\d,]+ events\/s, stored 1500/);
  assert.match(stdout, /\| pg backend, store commits · main \|/);
  assert.match(stdout, /\| node \(pg driver\) · main \|/);
});

test('bench:retention smoke: bytes per kept key, and the disk stops growing at the retention limit', async () => {
  const keys = await run(process.execPath, [benchScript('retention'), '--part', 'keys', '--keys', '20000'], {
    timeout: 120_000,
  });
  assert.match(keys.stdout, /pruned 20,000 bodies/);
  assert.match(keys.stdout, /after pruning: dedup table .* = [\d.]+ B per kept key/);
  const disk = await run(
    process.execPath,
    [
      benchScript('retention'),
      ...[
        '--part',
        'disk',
        '--rate',
        '2000',
        '--baseline',
        '2',
        '--seconds',
        '12',
        '--retain',
        '2MB',
        '--every',
        '2',
      ],
    ],
    { timeout: 120_000 },
  );
  assert.match(disk.stdout, /## --retain-bytes 2MB/);
  assert.match(disk.stdout, /with retention, while pruning: \d+ requests, p50 [\d.]+ ms/);
});

test('bench:compression smoke: plain and gzip bodies verified, pages read in each encoding', async () => {
  const { stdout } = await run(
    process.execPath,
    [benchScript('compression'), '--events', '2000', '--rounds', '1', '--pages', '8'],
    { timeout: 120_000 },
  );
  assert.match(stdout, /\| plain JSON \| \d+ \|/);
  assert.match(stdout, /\| gzip \| \d+ \|/);
  assert.match(stdout, /gzip \/ plain: \d+\.\d+×/);
  for (const e of ['identity', 'gzip', 'br'])
    assert.match(stdout, new RegExp(`\\| ${e} \\| \\d+ \\| \\d+ \\|`));
});

test('bench:retention smoke on PostgreSQL: bytes per kept key', { skip: pg.skip }, async () => {
  pg.require();
  const { stdout } = await run(
    process.execPath,
    [benchScript('retention'), '--part', 'pg-keys', '--keys', '5000'],
    {
      timeout: 120_000,
    },
  );
  assert.match(stdout, /pruned 5,000 bodies/);
  assert.match(stdout, /agg_pruned_keys with its index: .* = [\d.]+ B per kept key/);
});
