/**
 * The growth benchmark: one fresh server ingests the standard load (25 %
 * duplicates, batches of 100, 16 connections, random ids) until it holds
 * `--unique` events, printing throughput and server RSS per slice of stored
 * events; then measures GET /events page latency (topic filter + `after`) at
 * that size. With --record it appends the table to bench/RESULTS.md.
 *
 * With `--measure N`, the standard batched load (N deliveries, batches of
 * `--measure-batch`, fresh events) is also measured on the young store
 * before the fill and again on the full store after it, and the server's
 * peak RSS covers the fill and both measurements (issue #13's figures use
 * `--batch 1000 --measure 200000`).
 *
 *   npm run bench:growth                      10,000,000 unique events
 *   npm run bench:growth -- --batch 1000 --measure 200000    (issue #13)
 *   npm run bench:growth -- --script /tmp/before/dist/src/cli/main.js   (another build)
 *   npm run bench:growth -- --unique 200000 --slice 50000   (the CI smoke size)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { StatsBody } from '../src/http/routes/stats.js';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { quantile, send } from '../src/loadgen/sender.js';
import { startServer } from '../src/loadgen/server-process.js';
import { appendResults } from './support/results.js';

const { values } = parseArgs({
  options: {
    unique: { type: 'string', default: '10000000' },
    slice: { type: 'string', default: '1000000' },
    'dup-rate': { type: 'string', default: '0.25' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    pages: { type: 'string', default: '300' },
    'serve-arg': { type: 'string', multiple: true, default: [] },
    measure: { type: 'string', default: '0' },
    'measure-batch': { type: 'string', default: '100' },
    script: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const unique = Number(values.unique);
const sliceSize = Number(values.slice);
const dupRate = Number(values['dup-rate']);
// Deliveries needed for `unique` stored events at this duplicate rate.
const events = Math.ceil(unique / (1 - dupRate));
const plan = new LoadPlan({
  events,
  dupRate,
  batch: Number(values.batch),
  topics: 5,
  runId: `g${Date.now().toString(36)}`,
});

const stats = async (url: string) => (await (await request(`${url}/stats`)).body.json()) as StatsBody;

/** The standard batched load on fresh events: deliveries per second (0 when not asked for). */
async function measure(url: string, label: string): Promise<number> {
  const n = Number(values.measure);
  if (n === 0) return 0;
  const load = new LoadPlan({
    events: n,
    dupRate,
    batch: Number(values['measure-batch']),
    topics: 5,
    runId: `m${label}${Date.now().toString(36)}`,
  });
  const bodies = Array.from({ length: load.batches }, (_, k) => load.body(k));
  const r = await send({
    url,
    concurrency: Number(values.concurrency),
    batches: load.batches,
    body: (k) => bodies[k],
    client: 'lean',
  });
  return Math.round(n / r.seconds);
}

const dir = mkdtempSync(join(tmpdir(), 'agg-growth-'));
const server = await startServer(['--data-dir', dir, ...values['serve-arg']], {}, 20_000, {
  script: values.script,
});
const rows: string[] = [];
try {
  const young = await measure(server.url, 'young');
  const measured = young === 0 ? 0 : (await stats(server.url)).unique_processed;
  if (young > 0)
    console.log(
      `young store: ${young.toLocaleString('en-US')} events/s in batches of ${values['measure-batch']}`,
    );
  let mark = { at: performance.now(), unique: 0, received: 0 };
  let nextSlice = sliceSize;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      await new Promise((r) => setTimeout(r, 250));
      const s = await stats(server.url);
      if (s.unique_processed < nextSlice && polling) continue;
      const now = performance.now();
      const seconds = (now - mark.at) / 1000;
      const row = `| ${s.unique_processed.toLocaleString('en-US')} | ${Math.round((s.received - mark.received) / seconds).toLocaleString('en-US')} | ${Math.round((s.unique_processed - mark.unique) / seconds).toLocaleString('en-US')} | ${Math.round(s.memory.rss_bytes / 2 ** 20)} |`;
      console.log(row);
      rows.push(row);
      mark = { at: now, unique: s.unique_processed, received: s.received };
      while (nextSlice <= s.unique_processed) nextSlice += sliceSize;
    }
  })();
  const report = await send({
    url: server.url,
    concurrency: Number(values.concurrency),
    batches: plan.batches,
    body: (k) => plan.body(k),
  });
  polling = false;
  await poll;
  const filled = await stats(server.url);
  if (filled.unique_processed !== plan.unique + measured)
    throw new Error(`stored ${filled.unique_processed}, expected ${plan.unique + measured}`);
  const old = await measure(server.url, 'old');
  const final = await stats(server.url);

  // Page reads at full size: a random topic and a random position, 100 events a page.
  const latencies: number[] = [];
  for (let i = 0; i < Number(values.pages); i++) {
    const after = Math.floor(Math.random() * final.unique_processed);
    const topic = `load.topic-${i % 5}`;
    const t0 = performance.now();
    const res = await request(`${server.url}/events?topic=${topic}&after=${after}&limit=100`);
    await res.body.dump();
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  const size = Math.round(statSync(join(dir, 'aggregator.db')).size / 2 ** 20);
  const cpu = final.cpu.user_seconds + final.cpu.system_seconds;
  const summary = [
    `ingest: ${plan.options.events.toLocaleString('en-US')} deliveries in ${report.seconds.toFixed(0)} s = ${Math.round(plan.options.events / report.seconds).toLocaleString('en-US')} events/s overall; request p50 ${quantile(report.latenciesMs, 0.5).toFixed(1)} ms, p99 ${quantile(report.latenciesMs, 0.99).toFixed(1)} ms`,
    ...(old > 0
      ? [
          `batches of ${values['measure-batch']}: young store ${young.toLocaleString('en-US')} events/s, after ${filled.unique_processed.toLocaleString('en-US')} stored ${old.toLocaleString('en-US')} events/s (${(old / young).toFixed(2)}×)`,
        ]
      : []),
    `server: peak RSS ${Math.round(final.memory.peak_rss_bytes / 2 ** 20)} MB (fill and measurements), CPU ${cpu.toFixed(0)} s (${((cpu * 1e6) / plan.options.events).toFixed(1)} µs/event), database ${size} MB`,
    `GET /events?topic=&after=&limit=100 at ${final.unique_processed.toLocaleString('en-US')} events: p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms`,
  ];
  console.log(summary.join('\n'));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const table = `\n### ${new Date().toISOString().slice(0, 10)} growth to ${unique.toLocaleString('en-US')} unique events in batches of ${values.batch} (${values['serve-arg'].join(' ') || 'defaults: SQLite, synchronous=FULL'}${values.script ? `; build ${values.script}` : ''}): ${machine}\n\n| stored events | deliveries/s in slice | stored/s in slice | server RSS MB |\n|---:|---:|---:|---:|\n${rows.join('\n')}\n\n${summary.map((s) => `- ${s}`).join('\n')}\n`;
  if (values.record) appendResults(table);
} finally {
  await server.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
