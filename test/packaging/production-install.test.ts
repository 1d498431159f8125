/**
 * The production install without Docker, as the README gives it: `npm pack`
 * in a checkout, unpack the tarball elsewhere, `npm ci --omit=dev` there
 * (offline: from the local npm cache, which the checkout's own `npm ci`
 * filled), `npm start`, publish one event with `npx aggregator publish`.
 *
 * The pack runs in a copy of the sources (node_modules linked, not copied),
 * so its build does not rewrite the dist/ other tests are running from.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { event, makeTempDir, removeDir } from '../support/harness.js';
import { alive, repoRoot, spawnProcess } from '../support/process.js';

const run = promisify(execFile);
const sources = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts',
  'src',
  'README.md',
  'LICENSE',
];

test('npm pack, npm ci --omit=dev offline elsewhere, npm start, publish: it runs', {
  timeout: 15 * 60_000,
}, async (t) => {
  const tmp = makeTempDir('agg-prod-');
  t.after(() => removeDir(tmp));
  const checkout = join(tmp, 'checkout');
  for (const path of sources) cpSync(join(repoRoot, path), join(checkout, path), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'), 'dir');

  const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
    cwd: checkout,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [{ filename, files }] = JSON.parse(packed.stdout) as [
    { filename: string; files: { path: string }[] },
  ];
  const paths = files.map((f) => f.path);
  for (const needed of [
    'package.json',
    'npm-shrinkwrap.json',
    'LICENSE',
    'README.md',
    'dist/src/cli/main.js',
    'dist/src/loadgen/sender.js',
    'dist/src/dashboard/index.html',
  ])
    assert.ok(paths.includes(needed), `the package ships ${needed}`);
  const extra = paths.filter((p) => /^(dist\/(test|bench)|src|test|bench|docs)\/|\.(ts|map)$/.test(p));
  assert.deepEqual(extra, [], 'no sources, tests, benchmarks or source maps');
  assert.equal(existsSync(join(checkout, 'npm-shrinkwrap.json')), false, 'postpack removed the copy');

  const app = join(tmp, 'app');
  mkdirSync(app);
  await run('tar', ['-xzf', join(tmp, filename), '-C', app, '--strip-components=1']);
  const install = await run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], {
    cwd: app,
    maxBuffer: 64 * 1024 * 1024,
  });
  const said = install.stdout + install.stderr;
  assert.doesNotMatch(said, /EBADENGINE/);
  assert.match(said, /prepare: no sources .*: skipping the build/);
  assert.equal(existsSync(join(app, 'node_modules/typescript')), false, 'no dev dependencies');
  const { version } = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  assert.equal(
    (await run('npx', ['--no', '--', 'aggregator', '--version'], { cwd: app })).stdout,
    `${version}\n`,
  );

  const server = spawnProcess('npm', ['start', '--', '--port', '0', '--data-dir', join(tmp, 'data')], {
    cwd: app,
  });
  const pid = server.child.pid as number;
  t.after(() => {
    if (alive(pid)) server.child.kill('SIGKILL');
  });
  const [, url] = await server.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
  const publisher = spawnProcess(
    'npx',
    ['--no', 'aggregator', 'publish', '--url', url, '--file', '-', '--json'],
    {
      cwd: app,
      input: `${JSON.stringify(event(1))}\n`,
    },
  );
  const published = await publisher.exited;
  assert.equal(published.code, 0, published.stderr);
  assert.equal(JSON.parse(published.stdout).stored, 1);
  const stats = (await (await request(`${url}/stats`)).body.json()) as StatsBody;
  assert.equal(stats.unique_processed, 1);

  server.child.kill('SIGTERM');
  assert.equal((await server.exited).code, 0);
});

test('npm ci --omit=dev in a checkout does not fail on the build: prepare skips it without TypeScript', async (t) => {
  // The prepare script as a checkout has it (tsconfig.json beside it), where no typescript resolves.
  const dir = makeTempDir('agg-prepare-');
  t.after(() => removeDir(dir));
  cpSync(join(repoRoot, 'scripts/prepare.mjs'), join(dir, 'scripts/prepare.mjs'));
  cpSync(join(repoRoot, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  const { stderr } = await run(process.execPath, [join(dir, 'scripts/prepare.mjs')], { cwd: dir });
  assert.match(stderr, /prepare: TypeScript is not installed \(--omit=dev\): skipping the build/);
  assert.equal(existsSync(join(dir, 'dist')), false);
});
