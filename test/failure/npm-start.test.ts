/**
 * `npm start` as a supervisor or a terminal runs it: SIGTERM to npm, or
 * Ctrl-C (SIGINT to the whole foreground process group), reaches the server,
 * which drains, commits, closes the store and exits 0; npm exits with it, and
 * nothing is left holding the port.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { event, tempDir } from '../support/harness.js';
import { alive, linesOf, repoRoot, spawnProcess } from '../support/process.js';

for (const [how, signal, group] of [
  ['SIGTERM to npm', 'SIGTERM', false],
  ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true],
] as const) {
  test(`npm start: ${how} drains and stops the server itself`, async (t) => {
    const dir = tempDir(t);
    const npm = spawnProcess('npm', ['start', '--', '--port', '0', '--data-dir', dir], {
      cwd: repoRoot,
      detached: true,
    });
    const pid = npm.child.pid as number;
    t.after(() => {
      if (alive(pid)) process.kill(-pid, 'SIGKILL');
    });
    const [line] = await npm.waitFor(/\{[^\n]*"msg":"listening on [^\n]*\}/);
    const { url, pid: serverPid } = JSON.parse(line) as { url: string; pid: number };
    assert.notEqual(serverPid, pid, 'the server is a process of its own under npm');
    const published = await request(`${url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event(1)),
    });
    assert.equal(published.statusCode, 200);
    await published.body.dump();

    process.kill(group ? -pid : pid, signal);
    const exit = await npm.exited;
    assert.equal(exit.code, 0, `npm exits 0 with the server:\n${exit.stdout}${exit.stderr}`);
    const logs = linesOf(exit.stdout).filter((l) => l.startsWith('{'));
    assert.equal(
      logs.filter((l) => l.includes(`"${signal}: draining`)).length,
      1,
      'the signal reached the server (once, though Ctrl-C also reaches it through npm)',
    );
    assert.ok(logs.some((l) => l.includes('"stopped cleanly"')));
    assert.equal(alive(serverPid), false, 'no orphan server left behind');
    await assert.rejects(request(`${url}/healthz`), /ECONNREFUSED/, 'the port is free');
    assert.equal(existsSync(join(dir, 'aggregator.db-wal')), false, 'the store was closed cleanly');

    const again = await startServer(['--data-dir', dir]);
    t.after(() => again.stop());
    const stats = (await (await request(`${again.url}/stats`)).body.json()) as StatsBody;
    assert.equal(stats.unique_processed, 1, 'the acknowledged event survived');
  });
}
