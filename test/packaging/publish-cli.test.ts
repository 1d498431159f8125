/**
 * `aggregator publish` against real servers: a server that is not there,
 * waiting for one, bounded retries (each printed on stderr), Ctrl-C with the
 * totals so far, keys refused, and real events from an NDJSON file or stdin,
 * all or nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { mainScript, type ServerProcess, startServer } from '../../src/loadgen/server-process.js';
import { event, tempDir } from '../support/harness.js';
import {
  assertOneLine,
  freePort,
  linesOf,
  runAggregator,
  spawnAggregator,
  spawnProcess,
} from '../support/process.js';

const stats = async (url: string) => (await (await request(`${url}/stats`)).body.json()) as StatsBody;
const retryLine = /^aggregator publish: request \d+: (\S+), resending \(retry (\d+) of (\d+)\) in \d+\.\d s$/;

async function server(
  t: { after: (fn: () => unknown) => void },
  args: string[] = [],
): Promise<ServerProcess> {
  const s = await startServer(['--data-dir', tempDir(t), ...args]);
  t.after(() => s.stop());
  return s;
}

test('no server there: the first refused connection is fatal, one line pointing at --wait', async () => {
  const port = await freePort();
  const run = await runAggregator(['publish', '--url', `http://127.0.0.1:${port}`, '--events', '10']);
  assert.equal(run.code, 1);
  assertOneLine(run.stderr);
  assert.match(run.stderr, new RegExp(`cannot connect to http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  assert.match(run.stderr, /--wait/);
});

test('--wait retries until the server comes up, printing each retry with its cause', async (t) => {
  const port = await freePort();
  const publisher = spawnAggregator([
    'publish',
    '--url',
    `http://127.0.0.1:${port}`,
    '--events',
    '200',
    '--batch',
    '50',
    '--wait',
    '--json',
  ]);
  t.after(() => publisher.child.kill('SIGKILL'));
  await publisher.waitFor(/ECONNREFUSED, resending \(retry 2 of 20\)/);
  const s = await server(t, ['--port', String(port)]);
  const exit = await publisher.exited;
  assert.equal(exit.code, 0, exit.stderr);
  const summary = JSON.parse(exit.stdout);
  assert.equal(summary.acknowledged_events, 200);
  assert.equal(summary.stored, 150);
  const retries = linesOf(exit.stderr);
  assert.ok(retries.length >= 2);
  for (const line of retries) assert.match(line, retryLine);
  assert.equal(summary.retries.ECONNREFUSED, retries.length, 'every retry printed, one line each');
  assert.equal((await stats(s.url)).unique_processed, 150);
});

test('--max-retries bounds the retries of a request', async () => {
  const port = await freePort();
  const run = await runAggregator([
    'publish',
    '--url',
    `http://127.0.0.1:${port}`,
    '--events',
    '10',
    '--wait',
    '--max-retries',
    '2',
  ]);
  assert.equal(run.code, 1);
  const lines = linesOf(run.stderr);
  assert.deepEqual(
    lines.slice(0, 2).map((l) => retryLine.exec(l)?.slice(1)),
    [
      ['ECONNREFUSED', '1', '2'],
      ['ECONNREFUSED', '2', '2'],
    ],
  );
  assert.equal(lines.length, 3, run.stderr);
  assert.match(lines[2], /gave up: request 1 still failed after 2 retries \(last: ECONNREFUSED\)/);
});

test('--deadline stops the whole run, saying how far it got', async () => {
  const port = await freePort();
  const run = await runAggregator([
    'publish',
    '--url',
    `http://127.0.0.1:${port}`,
    '--events',
    '10',
    '--wait',
    '--max-retries',
    '100000',
    '--deadline',
    '1s',
    '--json',
  ]);
  assert.equal(run.code, 1);
  assert.match(linesOf(run.stderr).at(-1) ?? '', /deadline of 1s passed: 0 of 10 events acknowledged/);
  assert.equal(JSON.parse(run.stdout).stopped, 'deadline of 1s passed');
});

test('Ctrl-C prints the totals so far and exits 130', async (t) => {
  const s = await server(t);
  const publisher = spawnAggregator([
    'publish',
    '--url',
    s.url,
    '--events',
    '2000000',
    '--batch',
    '20',
    '--concurrency',
    '2',
    '--json',
  ]);
  t.after(() => publisher.child.kill('SIGKILL'));
  // Two workers send one request of 20 at a time: once the server has the third request,
  // the publisher has had at least one acknowledgement.
  while ((await stats(s.url)).received < 60) await new Promise((r) => setTimeout(r, 50));
  publisher.child.kill('SIGINT');
  const exit = await publisher.exited;
  assert.equal(exit.code, 130, exit.stderr);
  const summary = JSON.parse(exit.stdout);
  assert.equal(summary.stopped, 'interrupted (Ctrl-C)');
  assert.ok(summary.acknowledged_events > 0 && summary.acknowledged_events < 2_000_000);
  assert.match(
    exit.stderr,
    new RegExp(`interrupted \\(Ctrl-C\\): ${summary.acknowledged_events} of 2000000 events acknowledged`),
  );
  const after = await stats(s.url);
  assert.ok(after.received >= summary.acknowledged_events, 'what was acknowledged is on the server');
});

test('a key the server refuses: one line naming --key, for 401 and 403', async (t) => {
  const s = await server(t, ['--publish-key', 'pk-1', '--read-key', 'rk-1']);
  const base = ['publish', '--url', s.url, '--events', '10'];
  const missing = await runAggregator(base);
  assert.equal(missing.code, 1);
  assertOneLine(missing.stderr);
  assert.match(missing.stderr, /requires a publish key \(HTTP 401\): pass --key or set PUBLISH_KEY/);
  const wrongKind = await runAggregator([...base, '--key', 'rk-1']);
  assert.equal(wrongKind.code, 1);
  assertOneLine(wrongKind.stderr);
  assert.match(wrongKind.stderr, /refused this key for publishing \(HTTP 403\)/);
  const right = await runAggregator([...base, '--json'], { env: { PUBLISH_KEY: 'pk-1' } });
  assert.equal(right.code, 0, right.stderr);
  assert.equal(JSON.parse(right.stdout).acknowledged_events, 10);
});

test('--file sends the events of an NDJSON file, and - reads them from stdin', async (t) => {
  const s = await server(t);
  const dir = tempDir(t);
  const file = join(dir, 'events.ndjson');
  const lines = [event(1), event(2), event(3)].map((e) => JSON.stringify(e));
  // A blank line is skipped; the last line delivers event 1 again (a duplicate).
  writeFileSync(file, `${lines.join('\n')}\n\n${lines[0]}\n`);
  const fromFile = await runAggregator(['publish', '--url', s.url, '--file', file, '--batch', '2', '--json']);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const summary = JSON.parse(fromFile.stdout);
  assert.deepEqual(
    [summary.sent_events, summary.acknowledged_events, summary.stored, summary.duplicates, summary.requests],
    [4, 4, 3, 1, 2],
  );
  const stdin = `${JSON.stringify(event(4))}\r\n${JSON.stringify(event(5))}`;
  const fromStdin = await runAggregator(['publish', '--url', s.url, '--file', '-', '--json'], {
    input: stdin,
  });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.equal(JSON.parse(fromStdin.stdout).stored, 2);
  const after = await stats(s.url);
  assert.deepEqual([after.unique_processed, after.duplicate_dropped], [5, 1]);
});

test('--file with a bad line sends nothing and names the line', async (t) => {
  const s = await server(t);
  const file = join(tempDir(t), 'bad.ndjson');
  writeFileSync(
    file,
    [
      JSON.stringify(event(1)),
      JSON.stringify(event(2)),
      JSON.stringify({ ...event(3), timestamp: 'yesterday' }),
      '{"topic": "t", "event_id":',
    ].join('\n'),
  );
  const run = await runAggregator(['publish', '--url', s.url, '--file', file]);
  assert.equal(run.code, 1);
  assertOneLine(run.stderr);
  assert.match(
    run.stderr,
    /--file .*bad\.ndjson line 3: timestamp must be an RFC 3339 date-time.* \(and 1 more invalid lines\); nothing was sent/,
  );
  assert.equal((await stats(s.url)).received, 0, 'nothing reached the server');

  const generatorFlag = await runAggregator(['publish', '--url', s.url, '--file', file, '--events', '5']);
  assert.equal(generatorFlag.code, 2);
  assert.match(generatorFlag.stderr, /--events makes no sense with --file/);
});

test('on a terminal the progress bar counts events and shows the time left', async (t) => {
  const s = await server(t);
  // script(1) gives the publisher a terminal, as a user at a shell has.
  const command = [process.execPath, mainScript, 'publish', '--url', s.url]
    .concat(['--events', '3000', '--batch', '100', '--concurrency', '2'])
    .join(' ');
  const tty = spawnProcess('script', ['-qfec', command, '/dev/null']);
  const exit = await tty.exited;
  assert.equal(exit.code, 0, exit.stdout);
  assert.match(exit.stdout, /publishing \[#+\] 100% 3000\/3000 events \d+\/s ETA 0s/);
  assert.match(exit.stdout, /acknowledged 3000 of 3000 events/);
});

test('--gzip sends compressed bodies: the same run resent plain is all duplicates', async (t) => {
  const s = await server(t);
  const args = ['publish', '--url', s.url, '--events', '400', '--batch', '50', '--run-id', 'gz', '--json'];
  const gz = await runAggregator([...args, '--gzip']);
  assert.equal(gz.code, 0, gz.stderr);
  assert.deepEqual([JSON.parse(gz.stdout).acknowledged_events, JSON.parse(gz.stdout).stored], [400, 300]);
  const plain = await runAggregator(args);
  assert.equal(JSON.parse(plain.stdout).stored, 0);
  assert.equal((await stats(s.url)).unique_processed, 300);
});

test('bench --gzip measures compressed bodies and still verifies /stats', async () => {
  const run = await runAggregator(['bench', '--gzip', '--events', '2000', '--json', '--sync', 'normal']);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.deepEqual([result.gzip, result.verified], [true, true]);
});
