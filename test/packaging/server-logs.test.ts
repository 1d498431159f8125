/**
 * The server's log as its two audiences get it: JSON lines when stdout is a
 * pipe (a supervisor, a container), readable lines on a terminal; either way
 * exactly one line says where it listens, and by default that is loopback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mainScript } from '../../src/loadgen/server-process.js';
import { tempDir } from '../support/harness.js';
import { alive, spawnProcess } from '../support/process.js';

test('piped: JSON lines, one "listening" line, on 127.0.0.1 unless --host says otherwise', async (t) => {
  // startServer passes --host 127.0.0.1 itself; HOST would lose to it, so run the default here.
  const server = spawnProcess(process.execPath, [
    mainScript,
    'serve',
    '--port',
    '0',
    '--data-dir',
    tempDir(t),
  ]);
  t.after(() => server.child.kill('SIGKILL'));
  await server.waitFor(/listening on/);
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  assert.equal(exit.code, 0);
  const lines = exit.stdout.split('\n').filter((l) => l !== '');
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `a JSON line: ${line}`);
  const listening = lines.filter((l) => /listening/i.test(l));
  assert.equal(listening.length, 1, listening.join('\n'));
  assert.match(JSON.parse(listening[0]).url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('on a terminal: human-readable lines (pino-pretty), still one "listening" line', async (t) => {
  const dir = tempDir(t);
  // script(1) runs the server with a terminal for stdout, as `npm start` at a shell has.
  const tty = spawnProcess('script', [
    '-qfec',
    `${process.execPath} ${mainScript} serve --port 0 --data-dir ${dir}`,
    '/dev/null',
  ]);
  const pid = tty.child.pid as number;
  t.after(() => {
    if (alive(pid)) tty.child.kill('SIGKILL');
  });
  await tty.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
  // The terminal going away ends the server (SIGHUP), as closing the shell would.
  tty.child.kill('SIGTERM');
  await tty.exited;
  const out = tty.stdout();
  assert.match(out, /INFO.*loaded state: 0 unique events/);
  assert.match(out, /WARN.*access control is OFF/);
  assert.doesNotMatch(out, /^\{"level"/m, 'no JSON on a terminal');
  assert.equal(out.match(/listening/gi)?.length, 1, out);
});
