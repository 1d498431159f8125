/**
 * CPU profile of the server under a standard load: starts `aggregator serve`
 * with --cpu-prof, drives it with our bench client, stops it, and prints
 * where the server's main thread spent its time — self time by function and
 * by module — from the .cpuprofile it wrote. Open the file in Chrome
 * DevTools (Performance → load) or https://www.speedscope.app for the flame graph.
 *
 *   npm run bench:profile                          20,000 single-event requests, 64 connections
 *   npm run bench:profile -- --batch 100 --events 200000 --concurrency 16
 *   npm run bench:profile -- --script /tmp/before/dist/src/cli/main.js   (another build)
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { mainScript, startServer } from '../src/loadgen/server-process.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '64' },
    script: { type: 'string', default: mainScript },
    out: { type: 'string', default: join(tmpdir(), 'aggregator-profile') },
    top: { type: 'string', default: '25' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

rmSync(values.out, { recursive: true, force: true });
mkdirSync(values.out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'agg-profile-'));
const server = await startServer(['--data-dir', dir, '--sync', 'full'], {}, 20_000, {
  script: values.script,
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.out}`],
});
try {
  // A warm-up run first, so the profile shows the steady state rather than the JIT compiling.
  const load = ['--dup-rate', '0.25', '--batch', values.batch, '--concurrency', values.concurrency];
  await run(process.execPath, [mainScript, 'bench', '--url', server.url, '--events', '2000', ...load]);
  const { stdout } = await run(process.execPath, [
    mainScript,
    'bench',
    '--url',
    server.url,
    '--events',
    values.events,
    ...load,
  ]);
  console.log(stdout.trim());
} finally {
  await server.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

/** Where a frame comes from: a package, one of our files, Node's internals, or the VM itself. */
function moduleOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : `(${name || 'vm'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/dist\/(src\/.*)\.js$/.exec(url);
  if (ours) return ours[1];
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(.*?)(\/.*)?$/, 'node:$1');
  return url;
}

for (const file of readdirSync(values.out).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(values.out, file), 'utf8')) as Profile;
  const total = profile.samples.length;
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = moduleOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    byModule.set(where, (byModule.get(where) ?? 0) + hits);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const idle = byModule.get('(idle)') ?? 0;
  const busyShare = (1 - idle / total) * 100;
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(values.top))
      .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  console.log(
    `\n${file}: ${seconds.toFixed(1)} s, ${total} samples, busy ${busyShare.toFixed(0)} %\n\nself time by module:\n${top(byModule)}\n\nself time by function:\n${top(byFunction)}`,
  );
}
console.log(`\nprofiles in ${values.out} (open in Chrome DevTools or speedscope for flame graphs)`);
