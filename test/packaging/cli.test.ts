/** The `aggregator` command as a user runs it: publish, bench (a smoke run), and flag errors. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { mainScript, startServer } from '../../src/loadgen/server-process.js';
import { tempDir } from '../support/harness.js';
import { assertOneLine, runAggregator } from '../support/process.js';

const run = promisify(execFile);
const aggregator = (...args: string[]) => run(process.execPath, [mainScript, ...args], { timeout: 120_000 });

test('publish sends at least once and reports what the server stored', async (t) => {
  const server = await startServer(['--data-dir', tempDir(t)]);
  t.after(() => server.stop());
  const args = [
    'publish',
    '--url',
    server.url,
    '--events',
    '2000',
    '--batch',
    '50',
    '--dup-rate',
    '0.25',
    '--json',
  ];
  const { stdout } = await aggregator(...args, '--run-id', 'cli');
  const summary = JSON.parse(stdout);
  assert.equal(summary.stored, 1500);
  assert.equal(summary.duplicates, 500);
  // Running the same events again stores nothing new.
  const again = JSON.parse((await aggregator(...args, '--run-id', 'cli')).stdout);
  assert.equal(again.stored, 0);
  assert.equal(again.duplicates, 2000);
  const stats = (await (await request(`${server.url}/stats`)).body.json()) as StatsBody;
  assert.deepEqual([stats.unique_processed, stats.duplicate_dropped], [1500, 2500]);
});

test('bench starts a fresh server, runs the load and verifies /stats (smoke)', async () => {
  const { stdout } = await aggregator(
    'bench',
    '--events',
    '3000',
    '--batch',
    '100',
    '--concurrency',
    '4',
    '--json',
  );
  const result = JSON.parse(stdout);
  assert.equal(result.verified, true, JSON.stringify(result.problems));
  assert.ok(result.events_per_second > 0);
  assert.ok(result.server_peak_rss_mb > 0);
  assert.ok(result.latency_ms.p99 >= result.latency_ms.p50);
});

test('--version and -v print the version from package.json', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  for (const flag of ['--version', '-v']) {
    const run = await runAggregator([flag]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${version}\n`);
  }
});

test('a wrong flag or value is one line naming it, exit code 2, no stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['serve', '--port', 'eighty'], /--port \/ PORT must be a non-negative integer, got "eighty"/],
    [['serve', '--store', 'postgres'], /--store postgres needs --database-url or DATABASE_URL/],
    [['serve', '--colour', 'blue'], /Unknown option '--colour'; see "aggregator serve --help"/],
    [['publish', '--events', 'many'], /--events must be a non-negative number, got "many"/],
    [['publish', '--batch', '2.5'], /--batch must be a whole number, got "2.5"/],
    [['publish', '--dup-rate', '1'], /--dup-rate must be below 1/],
    [['publish', '--url', 'localhost:8080'], /--url must be an http:\/\/ or https:\/\/ URL/],
    [
      ['publish', '--url', 'http//127.0.0.1'],
      /--url must be an http:\/\/ or https:\/\/ URL .*got "http\/\/127\.0\.0\.1"/,
    ],
    [['publish', '--deadline', 'soon'], /--deadline must be a duration such as 30s, 5m or 1h, got "soon"/],
    [['publish', '--max-retries=-1'], /--max-retries must be a non-negative number/],
    [['bench', '--url', 'nope'], /--url must be an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [args, message] of cases) {
    const run = await runAggregator(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assertOneLine(run.stderr);
    assert.match(run.stderr, new RegExp(`^aggregator ${args[0]}: `));
    assert.match(run.stderr, message);
  }
  const unknown = await runAggregator(['serv']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^aggregator: unknown command "serv"/);
});

test('help lists the commands and the serve options with their environment variables', async () => {
  assert.match((await aggregator('--help')).stdout, /serve.*\n.*publish.*\n.*bench/);
  const { stdout } = await aggregator('serve', '--help');
  for (const env of ['PORT', 'DATA_DIR', 'DATABASE_URL', 'SQLITE_SYNC', 'QUEUE_LIMIT'])
    assert.match(stdout, new RegExp(env));
});

test('the README documents every serve option and its environment variable', async () => {
  const { readFile } = await import('node:fs/promises');
  const { serveOptions } = await import('../../src/config/serve-options.js');
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const o of Object.values(serveOptions)) {
    assert.ok(
      readme.includes(`\`--${o.flag}\``) && readme.includes(`\`${o.env}\``),
      `README documents --${o.flag} / ${o.env}`,
    );
  }
});
