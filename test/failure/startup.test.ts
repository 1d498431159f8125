/**
 * A start that fails after the store is open (port taken, JetStream
 * unreachable) closes the store and exits non-zero at once, with one line on
 * stderr saying why; an uncaught exception or unhandled rejection in a running
 * server is logged and exits 1. Each with a real `aggregator serve` process.
 *
 * "The store is closed" is read from the data dir: a clean close checkpoints
 * SQLite's write-ahead log and removes it; a process that just died leaves it.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { mainScript } from '../../src/loadgen/server-process.js';
import { tempDir } from '../support/harness.js';
import { assertOneLine, freePort, linesOf, runAggregator, spawnProcess } from '../support/process.js';

const closedCleanly = (dir: string) =>
  existsSync(join(dir, 'aggregator.db')) && !existsSync(join(dir, 'aggregator.db-wal'));

/** The JSON log lines a server printed on stdout. */
const logLines = (stdout: string) =>
  linesOf(stdout).map((l) => JSON.parse(l) as { level: number; msg: string });

test('port already taken: exits 1 with one line naming the port, the store closed', async (t) => {
  const dir = tempDir(t);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const { port } = taken.address() as { port: number };

  const run = await runAggregator(['serve', '--port', String(port), '--data-dir', dir]);
  assert.equal(run.code, 1, run.stderr);
  assertOneLine(run.stderr);
  assert.match(
    run.stderr,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
  );
  assert.match(run.stderr, /--port/);
  const logs = logLines(run.stdout);
  assert.ok(
    logs.some((l) => l.msg.startsWith('loaded state')),
    'the store had been opened',
  );
  assert.ok(logs.some((l) => l.level === 60 && /already in use.*closing the store/.test(l.msg)));
  assert.ok(closedCleanly(dir), 'the store was closed (WAL checkpointed and removed)');
});

test('JetStream unreachable at start: exits 1 naming the NATS URL, the store closed', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  const run = await runAggregator([
    'serve',
    '--port',
    '0',
    '--data-dir',
    dir,
    '--nats-url',
    `nats://127.0.0.1:${port}`,
  ]);
  assert.equal(run.code, 1, run.stderr);
  assertOneLine(run.stderr);
  assert.match(run.stderr, new RegExp(`cannot consume from NATS at nats://127\\.0\\.0\\.1:${port}`));
  assert.ok(closedCleanly(dir), 'the store was closed');
});

test('a data dir that cannot hold the database: exits 1 naming it', async (t) => {
  const file = join(tempDir(t), 'not-a-dir');
  writeFileSync(file, 'x');
  const run = await runAggregator(['serve', '--port', '0', '--data-dir', file]);
  assert.equal(run.code, 1, run.stderr);
  assertOneLine(run.stderr);
  assert.match(run.stderr, /cannot open the store at .*not-a-dir/);
});

for (const [what, trigger, logged] of [
  ['an uncaught exception', 'throw new Error("boom from a signal handler")', /uncaught exception: boom/],
  [
    'an unhandled rejection',
    'Promise.reject(new Error("nobody awaited this"))',
    /unhandled rejection: nobody awaited this/,
  ],
] as const) {
  test(`${what} in a running server is logged as fatal and exits 1`, async (t) => {
    // A preloaded module gives the test a way to make the running server throw: SIGUSR2.
    const preload = `data:text/javascript,process.on("SIGUSR2",()=>{${trigger}})`;
    const server = spawnProcess(process.execPath, [
      '--import',
      preload,
      mainScript,
      'serve',
      '--port',
      '0',
      '--data-dir',
      tempDir(t),
    ]);
    t.after(() => server.child.kill('SIGKILL'));
    await server.waitFor(/listening on/);
    server.child.kill('SIGUSR2');
    const exit = await server.exited;
    assert.equal(exit.code, 1);
    const fatal = logLines(exit.stdout).filter((l) => l.level === 60);
    assert.equal(fatal.length, 1, exit.stdout);
    assert.match(fatal[0].msg, logged);
  });
}
