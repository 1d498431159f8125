/**
 * Side by side, same deterministic load (same events, duplicate rate, batch
 * size and concurrency), alternating the systems round by round (A B C A B C)
 * and reporting medians:
 *   - this aggregator over HTTP (SQLite, synchronous=FULL; a fresh server a run),
 *   - NATS JetStream with Nats-Msg-Id dedup on a file stream (bench/jetstream-load.ts),
 *   - the raw storage ceiling: our SQLite store with no HTTP (bench/storage-ceiling.ts).
 *
 *   npm run bench:compare                       100,000 events, 3 rounds
 *   npm run bench:compare -- --record           ... and append to bench/RESULTS.md
 *   npm run bench:compare -- --events 3000 --rounds 1   (the CI smoke)
 */
import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { mainScript } from '../src/loadgen/server-process.js';
import { runJetStream } from './jetstream-load.js';
import { appendResults } from './support/results.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'dup-rate': { type: 'string', default: '0.25' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    record: { type: 'boolean', default: false },
  },
});

interface Row {
  events_per_second: number;
  p50: number;
  p99: number;
  cpu: number;
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

const load = ['--events', values.events, '--dup-rate', values['dup-rate'], '--batch', values.batch];
const json = async (args: string[]) => {
  const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
};

const systems: Record<string, (runId: string) => Promise<Row>> = {
  'pubsub-aggregator (HTTP, SQLite, FULL)': async (runId) => {
    const r = await json([
      mainScript,
      'bench',
      '--json',
      ...load,
      '--concurrency',
      values.concurrency,
      '--run-id',
      runId,
    ]);
    return asRow(r);
  },
  'NATS JetStream (file, Msg-Id dedup, async publish)': async (runId) => {
    const plan = new LoadPlan({
      events: Number(values.events),
      dupRate: Number(values['dup-rate']),
      batch: Number(values.batch),
      topics: 5,
      runId,
    });
    return asRow(await runJetStream(plan, Number(values.concurrency)));
  },
  'storage ceiling (our SQLite store, no HTTP)': async (runId) => {
    const ceiling = fileURLToPath(new URL('./storage-ceiling.js', import.meta.url));
    const r = await json([
      ceiling,
      '--json',
      '--rows',
      values.events,
      '--dup-rate',
      values['dup-rate'],
      '--batch',
      '1600',
      '--run-id',
      runId,
      '--every',
      values.events,
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
};

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
const lines = names.map((n) => {
  const rows = results.get(n) ?? [];
  return `| ${n} | ${Math.round(med(n, (r) => r.events_per_second)).toLocaleString('en-US')} | ${med(n, (r) => r.p50)} / ${med(n, (r) => r.p99)} | ${med(n, (r) => r.cpu).toFixed(2)} | ${Math.round(med(n, (r) => r.rss))} | ${rows.every((r) => r.verified) ? 'yes' : 'NO'} |`;
});
const ours = med(names[0], (r) => r.events_per_second);
const ratio = (i: number) => (ours / med(names[i], (r) => r.events_per_second)).toFixed(2);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const table = [
  `\n### ${new Date().toISOString().slice(0, 10)} side by side: ${Number(values.events).toLocaleString('en-US')} events, ${Number(values['dup-rate']) * 100} % duplicates, batches of ${values.batch}, ${values.concurrency} connections; median of ${values.rounds} alternating rounds; ${machine}\n`,
  '| system | events/s | p50 / p99 ms (request; ceiling: transaction) | server CPU s | peak RSS MB | exact unique count |',
  '|---|---:|---|---:|---:|---|',
  ...lines,
  '',
  `ours / JetStream = **${ratio(1)}×**; ours / storage ceiling = **${ratio(2)}×**`,
  '',
].join('\n');
console.log(table);
if (values.record) appendResults(table);
