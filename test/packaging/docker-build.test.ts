/**
 * The Dockerfile's build and start, replayed without a Docker engine: each
 * stage gets its own directory standing in for its file system; COPY copies
 * from the build context honouring .dockerignore (or from an earlier stage),
 * the npm RUN steps run as written (OS steps — apt-get, chown, ln — are the
 * image's business and are listed as skipped), then the runtime stage's
 * ENTRYPOINT + CMD starts with its ENV, and its HEALTHCHECK must pass.
 *
 * It catches what breaks images in practice: a file the build needs that is
 * not copied or is dockerignored, a dev dependency needed at run time (the
 * runtime stage has pruned node_modules), assets missing from dist/, a wrong
 * entrypoint path, a healthcheck that cannot succeed.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  dockerignore,
  execForm,
  type Instruction,
  parseDockerfile,
  parseEnv,
  splitFlags,
} from '../support/dockerfile.js';
import { makeTempDir, removeDir } from '../support/harness.js';
import { freePort } from '../support/process.js';

const run = promisify(execFile);
const context = fileURLToPath(new URL('../../../', import.meta.url));

interface Stage {
  readonly root: string;
  workdir: string;
  env: Record<string, string>;
  readonly last: Map<string, string>;
}

/** A container path inside a stage's stand-in file system. */
const inStage = (stage: Stage, path: string) => join(stage.root, posix.resolve(stage.workdir, path));

/** The stage's ENV with absolute paths moved into its stand-in file system. */
const hostEnv = (stage: Stage) =>
  Object.fromEntries(
    Object.entries(stage.env).map(([k, v]) => [k, v.startsWith('/') ? join(stage.root, v) : v]),
  );

/** Copies a context path into the stage, skipping what .dockerignore excludes. */
function copyFromContext(source: string, target: string, ignored: (path: string) => boolean): void {
  const rel = posix.normalize(source).replace(/^\.\/?/, '');
  assert.ok(!ignored(rel), `COPY ${source}: excluded by .dockerignore, the build would not see it`);
  const from = join(context, rel);
  assert.ok(existsSync(from), `COPY ${source}: not in the build context`);
  cpSync(from, target, {
    recursive: true,
    filter: (path) => {
      const inside = path.slice(context.length).split('\\').join('/');
      return inside === '' || !ignored(inside);
    },
  });
}

function copy(
  ins: Instruction,
  stage: Stage,
  stages: Map<string, Stage>,
  ignored: (p: string) => boolean,
): void {
  const { flags, rest } = splitFlags(ins.args);
  const parts = rest.startsWith('[') ? execForm(rest) : rest.split(/\s+/);
  const dest = parts.pop() ?? '.';
  const intoDir = dest.endsWith('/') || parts.length > 1;
  for (const source of parts) {
    const target = inStage(stage, intoDir ? posix.join(dest, basename(source)) : dest);
    mkdirSync(dirname(target), { recursive: true });
    if (flags.from) {
      const from = stages.get(flags.from);
      assert.ok(from, `COPY --from=${flags.from}: no such stage`);
      const path = inStage(from, source);
      assert.ok(existsSync(path), `COPY --from=${flags.from} ${source}: the build stage did not produce it`);
      cpSync(path, target, { recursive: true });
    } else {
      copyFromContext(source, target, ignored);
    }
  }
}

test('the Dockerfile builds and starts: its steps replayed in a temp directory', {
  timeout: 15 * 60_000,
}, async (t) => {
  const tmp = makeTempDir('agg-docker-');
  t.after(() => removeDir(tmp));
  const ignored = dockerignore(readFileSync(join(context, '.dockerignore'), 'utf8'));
  const instructions = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  const skipped: string[] = [];

  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      stage = { root: join(tmp, ins.stage), workdir: '/', env: {}, last: new Map() };
      mkdirSync(stage.root, { recursive: true });
      stages.set(ins.stage, stage);
      continue;
    }
    assert.ok(stage, 'an instruction before FROM');
    switch (ins.keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, ins.args);
        mkdirSync(inStage(stage, '.'), { recursive: true });
        break;
      case 'ENV':
        Object.assign(stage.env, parseEnv(ins.args));
        break;
      case 'COPY':
        copy(ins, stage, stages, ignored);
        break;
      case 'RUN':
        if (/^npm\s/.test(ins.args)) {
          t.diagnostic(`[${ins.stage}] RUN ${ins.args}`);
          await run('sh', ['-c', ins.args], {
            cwd: inStage(stage, '.'),
            env: { ...process.env, ...hostEnv(stage) },
            maxBuffer: 64 * 1024 * 1024,
          });
        } else {
          skipped.push(`[${ins.stage}] RUN ${ins.args.slice(0, 60)}…`);
        }
        break;
      default:
        stage.last.set(ins.keyword, ins.args);
    }
  }
  t.diagnostic(`skipped OS steps: ${skipped.join(' | ')}`);

  const runtime = stage as Stage;
  const app = inStage(runtime, '.');
  assert.ok(existsSync(join(app, 'node_modules/better-sqlite3')), 'runtime has the native module');
  assert.ok(
    !existsSync(join(app, 'node_modules/typescript')),
    'runtime node_modules are pruned of dev tools',
  );
  assert.ok(statSync(join(app, 'dist/src/dashboard/index.html')).isFile(), 'dashboard assets are in dist/');
  assert.deepEqual(readdirSync(app).sort(), ['dist', 'node_modules', 'package.json']);

  // Start it as the image would: ENTRYPOINT + CMD with the image's ENV (loopback only, a free port).
  const port = await freePort();
  const env = { ...process.env, ...hostEnv(runtime), HOST: '127.0.0.1', PORT: String(port) };
  const inImage = (arg: string) =>
    arg === 'node' ? process.execPath : arg.startsWith('/') ? join(runtime.root, arg) : arg;
  const [command, ...args] = [
    ...execForm(runtime.last.get('ENTRYPOINT') ?? '[]'),
    ...execForm(runtime.last.get('CMD') ?? '[]'),
  ].map(inImage);
  const server = spawn(command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  t.after(() => server.kill('SIGKILL'));
  let logs = '';
  server.stdout.on('data', (c) => {
    logs += c;
  });
  server.stderr.on('data', (c) => {
    logs += c;
  });

  const { flags, rest } = splitFlags(runtime.last.get('HEALTHCHECK') ?? '');
  assert.ok(flags.interval && rest.startsWith('CMD '), 'HEALTHCHECK CMD with an interval');
  const probe = execForm(rest.slice(4)).map(inImage);
  const healthcheck = () =>
    run(probe[0], probe.slice(1), { env, timeout: 5_000 }).then(
      () => 0,
      (err: { code?: number }) => err.code ?? 1,
    );

  // Like Docker: probe until healthy or out of retries (within the start period).
  let healthy = 1;
  for (let i = 0; i < 60 && healthy !== 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    healthy = await healthcheck();
  }
  assert.equal(healthy, 0, `HEALTHCHECK passes once started:\n${logs}`);
  assert.match(logs, /loaded state: 0 unique events/);
  assert.ok(existsSync(join(runtime.root, 'app/data/aggregator.db')), 'data lands in the /app/data volume');

  const base = `http://127.0.0.1:${port}`;
  for (const path of ['/', '/dashboard/uplot.min.js', '/docs', '/openapi.json', '/metrics']) {
    assert.equal((await fetch(`${base}${path}`)).status, 200, `GET ${path} from the built image`);
  }
  const published = await fetch(`${base}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      topic: 't',
      event_id: '1',
      timestamp: '2026-11-25T10:00:00Z',
      source: 's',
      payload: {},
    }),
  });
  assert.equal(published.status, 200);

  server.kill('SIGTERM');
  assert.equal(await exited, 0, `SIGTERM exits 0:\n${logs}`);
  assert.notEqual(await healthcheck(), 0, 'the healthcheck fails when the server is down');
});
