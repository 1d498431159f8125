/** Every benchmark scenario runs in its tiny smoke size and verifies itself, so none can rot unnoticed. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { natsGate, postgresGate } from './support/services.js';

const run = promisify(execFile);
const runner = fileURLToPath(new URL('../bench/run.js', import.meta.url));
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
