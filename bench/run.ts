/**
 * The benchmark runner: runs each scenario in bench/scenarios/ through
 * `aggregator bench --json` (a fresh server per run), prints a table, and with
 * --record appends it, dated and with the machine, to bench/RESULTS.md.
 *
 *   npm run bench                 all scenarios, print only
 *   npm run bench -- --record     ... and append to bench/RESULTS.md
 *   npm run bench -- --smoke      tiny counts (CI runs this so the scripts cannot rot)
 *   npm run bench -- single       only scenarios whose file name contains "single"
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mainScript } from '../src/loadgen/server-process.js';
import type { BenchResult, Scenario } from './support/bench-result.js';
import { appendResults } from './support/results.js';

const run = promisify(execFile);
const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const record = args.includes('--record');
const filters = args.filter((a) => !a.startsWith('--'));

const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && (filters.length === 0 || filters.some((x) => f.includes(x))))
  .sort();

const rows: string[] = [];
let failed = false;
for (const file of files) {
  const scenario = (await import(new URL(`./scenarios/${file}`, import.meta.url).href)).default as Scenario;
  // Scenarios with several servers or a broker measure themselves; the rest go through `aggregator bench`.
  const r = scenario.run
    ? await scenario.run(smoke)
    : await cliBench(smoke ? scenario.smokeArgs : scenario.args);
  failed ||= !r.verified;
  const row = `| ${scenario.name} | ${r.events.toLocaleString('en-US')} | ${r.events_per_second.toLocaleString('en-US')} | ${r.requests_per_second.toLocaleString('en-US')} | ${r.latency_ms ? `${r.latency_ms.p50} / ${r.latency_ms.p95} / ${r.latency_ms.p99}` : '—'} | ${r.server_peak_rss_mb} | ${r.verified ? 'yes' : `NO: ${r.problems.join('; ')}`} |`;
  console.log(row);
  rows.push(row);
}

async function cliBench(args: string[] = []): Promise<BenchResult> {
  const { stdout } = await run(process.execPath, [mainScript, 'bench', '--json', ...args], {
    maxBuffer: 16 * 2 ** 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as BenchResult;
}

const header =
  '| scenario | events | events/s | requests/s | p50 / p95 / p99 ms | server peak RSS MB | verified |\n|---|---:|---:|---:|---|---:|---|';
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const table = `\n### ${new Date().toISOString().slice(0, 10)}${smoke ? ' (smoke)' : ''}: ${machine}\n\n${header}\n${rows.join('\n')}\n`;
console.log(table);
if (record) appendResults(table);
process.exitCode = failed ? 1 : 0;
