/**
 * Side by side, same deterministic load (same events, duplicate rate, batch
 * size and concurrency, the same bench client: `aggregator bench --url`),
 * alternating the systems round by round (A B C A B C) and reporting medians:
 *   - ours: this aggregator over HTTP (SQLite, synchronous=FULL; a fresh server a run),
 *   - memory: the in-memory ceiling, the same Fastify stack deduplicating into
 *     a Set with no disk (baselines/memory-server.ts),
 *   - naive: the naive prototype, Fastify + better-sqlite3 group commit, FULL
 *     (baselines/naive-sqlite-server.ts),
 *   - against1, against2, …: ours from other builds (`--against path/to/dist/src/cli/main.js`,
 *     repeatable), for before/after figures in one run,
 *   - jetstream: NATS JetStream with Nats-Msg-Id dedup on a file stream (bench/jetstream-load.ts),
 *   - storage: the raw storage ceiling, our SQLite store with no HTTP (bench/storage-ceiling.ts).
 *
 *   npm run bench:compare                       batched: 100,000 events in batches of 100, 16 connections
 *   npm run bench:compare -- --scenario single  20,000 single-event requests, 64 connections
 *   npm run bench:compare -- --record           ... and append to bench/RESULTS.md
 *   npm run bench:compare -- --against /tmp/before/dist/src/cli/main.js --systems ours,against1
 *   npm run bench:compare -- --events 3000 --rounds 1   (the CI smoke)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { mainScript, startServer } from '../src/loadgen/server-process.js';
import { runJetStream } from './jetstream-load.js';
import { cpuSeconds, mainThreadCpuSeconds } from './support/process-usage.js';
import { appendResults } from './support/results.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'batched' },
    events: { type: 'string' },
    'dup-rate': { type: 'string', default: '0.25' },
    batch: { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    systems: { type: 'string' },
    against: { type: 'string', multiple: true, default: [] },
    record: { type: 'boolean', default: false },
  },
});

/** The standard loads; any flag given explicitly wins. */
const scenarios: Record<string, { events: string; batch: string; concurrency: string; systems: string }> = {
  batched: {
    events: '100000',
    batch: '100',
    concurrency: '16',
    systems: 'ours,memory,naive,jetstream,storage',
  },
  single: { events: '20000', batch: '1', concurrency: '64', systems: 'ours,memory,naive' },
};
const preset = scenarios[values.scenario];
if (preset === undefined) throw new Error(`--scenario must be one of ${Object.keys(scenarios).join(', ')}`);
const events = values.events ?? preset.events;
const batch = values.batch ?? preset.batch;
const concurrency = values.concurrency ?? preset.concurrency;
const againstIds = values.against.map((_, i) => `against${i + 1}`);
const chosen = (values.systems ?? preset.systems).split(',');
// `--against` builds run right after ours unless --systems places them.
if (values.systems === undefined) chosen.splice(1, 0, ...againstIds);

interface Row {
  events_per_second: number;
  p50: number;
  p99: number;
  cpu: number;
  /** CPU seconds of the server's main thread (event loop) and of its other threads, when measured. */
  threads?: { main: number; other: number };
  rss: number;
  verified: boolean;
}

/** A load generator's result (aggregator bench --json and the JetStream load share these names). */
interface LoadResult {
  events_per_second: number;
  latency_ms: { p50: number; p99: number };
  server_cpu_seconds: number;
  server_peak_rss_mb: number;
  verified: boolean;
}

const asRow = (r: LoadResult): Row => ({
  events_per_second: r.events_per_second,
  p50: r.latency_ms.p50,
  p99: r.latency_ms.p99,
  cpu: r.server_cpu_seconds,
  rss: r.server_peak_rss_mb,
  verified: r.verified,
});

const load = ['--events', events, '--dup-rate', values['dup-rate'], '--batch', batch];
const json = async (args: string[]) => {
  const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
};

/** A fresh server from `script` on a fresh data directory, measured by our bench client. */
const overHttp = (script: string, args: string[]) => async (runId: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'agg-compare-'));
  const server = await startServer(['--data-dir', dir, ...args], {}, 20_000, { script });
  const pid = server.child.pid ?? 0;
  try {
    // Both from /proc, read together: the same clock ticks, so their difference is the other threads.
    const [main0, all0] = [mainThreadCpuSeconds(pid), cpuSeconds([pid])];
    const r = await json([
      mainScript,
      'bench',
      '--json',
      '--url',
      server.url,
      ...load,
      '--concurrency',
      concurrency,
      '--run-id',
      runId,
    ]);
    const main = mainThreadCpuSeconds(pid) - main0;
    const other = Math.max(0, cpuSeconds([pid]) - all0 - main);
    return { ...asRow(r), threads: { main, other } };
  } finally {
    await server.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
};
const baseline = (name: string) => fileURLToPath(new URL(`./baselines/${name}.js`, import.meta.url));

const catalogue: Record<string, [string, (runId: string) => Promise<Row>]> = {
  ours: ['pubsub-aggregator (HTTP, SQLite, FULL)', overHttp(mainScript, ['--sync', 'full'])],
  memory: ['in-memory ceiling (same Fastify stack, Set, no disk)', overHttp(baseline('memory-server'), [])],
  naive: [
    'naive prototype (Fastify + better-sqlite3 group commit, FULL)',
    overHttp(baseline('naive-sqlite-server'), []),
  ],
  jetstream: [
    'NATS JetStream (file, Msg-Id dedup, async publish)',
    async (runId) => {
      const plan = new LoadPlan({
        events: Number(events),
        dupRate: Number(values['dup-rate']),
        batch: Number(batch),
        topics: 5,
        runId,
      });
      return asRow(await runJetStream(plan, Number(concurrency)));
    },
  ],
  storage: [
    'storage ceiling (our SQLite store, no HTTP)',
    async (runId) => {
      const ceiling = fileURLToPath(new URL('./storage-ceiling.js', import.meta.url));
      const r = await json([
        ceiling,
        '--json',
        '--rows',
        events,
        '--dup-rate',
        values['dup-rate'],
        '--batch',
        '1600',
        '--run-id',
        runId,
        '--every',
        events,
      ]);
      return {
        events_per_second: r.overall,
        p50: r.commit_ms.p50,
        p99: r.commit_ms.p99,
        cpu: r.cpuSeconds,
        rss: r.rssMb,
        verified: true,
      };
    },
  ],
};
values.against.forEach((script, i) => {
  catalogue[againstIds[i]] = [`pubsub-aggregator from ${script}`, overHttp(script, ['--sync', 'full'])];
});
for (const id of chosen) {
  if (catalogue[id] === undefined)
    throw new Error(`unknown system ${id}; one of ${Object.keys(catalogue).join(', ')}`);
}
const systems = Object.fromEntries(chosen.map((id) => catalogue[id]));

const results = new Map<string, Row[]>(Object.keys(systems).map((k) => [k, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  const runId = `cmp${Date.now().toString(36)}r${round}`;
  for (const [name, measure] of Object.entries(systems)) {
    const row = await measure(runId);
    results.get(name)?.push(row);
    console.error(`round ${round + 1}: ${name}: ${row.events_per_second} events/s`);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = (name: string, f: (r: Row) => number) => median((results.get(name) ?? []).map(f));
const names = Object.keys(systems);
/** Server CPU per event in µs, main thread / other threads (— where the threads are not measured). */
const perEvent = (seconds: number) => ((seconds * 1e6) / Number(events)).toFixed(1);
const threads = (n: string) => {
  const rows = results.get(n) ?? [];
  if (!rows.every((r) => r.threads !== undefined)) return '—';
  return `${perEvent(med(n, (r) => r.threads?.main ?? 0))} / ${perEvent(med(n, (r) => r.threads?.other ?? 0))}`;
};
const lines = names.map((n) => {
  const rows = results.get(n) ?? [];
  return `| ${n} | ${Math.round(med(n, (r) => r.events_per_second)).toLocaleString('en-US')} | ${med(n, (r) => r.p50)} / ${med(n, (r) => r.p99)} | ${med(n, (r) => r.cpu).toFixed(2)} | ${threads(n)} | ${Math.round(med(n, (r) => r.rss))} | ${rows.every((r) => r.verified) ? 'yes' : 'NO'} |`;
});
const ours = med(names[0], (r) => r.events_per_second);
const ratios = names
  .slice(1)
  .map((n) => `ours / ${n.split(' (')[0]} = **${(ours / med(n, (r) => r.events_per_second)).toFixed(2)}×**`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const table = [
  `\n### ${new Date().toISOString().slice(0, 10)} side by side (${values.scenario}): ${Number(events).toLocaleString('en-US')} events, ${Number(values['dup-rate']) * 100} % duplicates, batches of ${batch}, ${concurrency} connections; median of ${values.rounds} alternating rounds; ${machine}\n`,
  '| system | events/s | p50 / p99 ms (request; ceiling: transaction) | server CPU s | CPU µs/event: main thread / other threads | peak RSS MB | exact unique count |',
  '|---|---:|---|---:|---:|---:|---|',
  ...lines,
  '',
  ratios.join('; '),
  '',
].join('\n');
console.log(table);
if (values.record) appendResults(table);
