/**
 * `aggregator bench`: the standard load (100,000 events, 25 % duplicates,
 * batches of 100, 16 connections) against a fresh server it starts itself, or
 * against `--url`. Afterwards it checks /stats against what was sent (exact
 * unique count, counter invariant) and prints throughput, latency and the
 * server's peak memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import type { StatsBody } from '../http/routes/stats.js';
import { quantile, send } from '../loadgen/sender.js';
import { type ServerProcess, startServer } from '../loadgen/server-process.js';
import { baseUrl, number } from './flag-values.js';
import { loadFlags, planFrom } from './publish.js';

export const benchUsage = `Usage: aggregator bench [options]
  --url URL           measure a running aggregator instead of starting a fresh one
  --events N          deliveries, duplicates included      [100000]
  --dup-rate R        fraction of re-sends                 [0.25]
  --batch N           events per request                   [100]
  --concurrency N     parallel connections                 [16]
  --topics N          distinct topics                      [5]
  --sync full|normal  fsync policy of the fresh server     [full]
  --serve-arg ARG     extra argument for the fresh server (repeatable)
  --gzip              gzip every request body (compressed before the clock starts)
  --key KEY           publish key for --url (Authorization: Bearer) [PUBLISH_KEY]
  --read-key KEY      read key for /stats of --url          [READ_KEY]
  --json              print one JSON line
`;

async function stats(url: string, readKey: string | undefined): Promise<StatsBody> {
  const headers = readKey ? { authorization: `Bearer ${readKey}` } : {};
  const res = await request(new URL('/stats', url), { headers });
  if (res.statusCode !== 200) throw new Error(`GET /stats answered ${res.statusCode}`);
  return (await res.body.json()) as StatsBody;
}

export async function bench(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      ...loadFlags,
      url: { type: 'string' },
      events: { type: 'string', default: '100000' },
      concurrency: { type: 'string', default: '16' },
      sync: { type: 'string', default: 'full' },
      'serve-arg': { type: 'string', multiple: true, default: [] },
      'read-key': { type: 'string' },
    },
  });
  const key = values.key ?? env.PUBLISH_KEY;
  const readKey = values['read-key'] ?? env.READ_KEY;
  const plan = planFrom(values);
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  let url = values.url === undefined ? undefined : baseUrl(values.url);
  if (url === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), 'aggregator-bench-'));
    server = await startServer(['--data-dir', dataDir, '--sync', values.sync, ...values['serve-arg']]);
    url = server.url;
  }
  try {
    // Bodies are built before the clock starts, so the load generator spends its CPU on sending.
    const bodies = Array.from({ length: plan.batches }, (_, k) =>
      values.gzip ? gzipSync(plan.body(k)) : plan.body(k),
    );
    const before = await stats(url, readKey);
    const report = await send({
      url,
      concurrency: number(values, 'concurrency'),
      batches: plan.batches,
      body: (k) => bodies[k],
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(values.gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      // The lean client leaves the cores to the server being measured (see lean-http.ts).
      client: 'lean',
    });
    const after = await stats(url, readKey);

    const unique = after.unique_processed - before.unique_processed;
    const received = after.received - before.received;
    const dups = after.duplicate_dropped - before.duplicate_dropped;
    const retried = Object.values(report.retries).reduce((a, b) => a + b, 0);
    const problems: string[] = [];
    if (unique !== plan.unique) problems.push(`stored ${unique} unique events, expected ${plan.unique}`);
    if (received !== unique + dups)
      problems.push(`received ${received} != unique ${unique} + duplicates ${dups}`);
    if (retried === 0 && received !== plan.options.events)
      problems.push(`received ${received}, sent ${plan.options.events}`);

    const cpuSeconds =
      after.cpu.user_seconds + after.cpu.system_seconds - before.cpu.user_seconds - before.cpu.system_seconds;
    const ms = (q: number) => Number(quantile(report.latenciesMs, q).toFixed(2));
    const result = {
      events: plan.options.events,
      batch: plan.options.batch,
      concurrency: number(values, 'concurrency'),
      dup_rate: plan.options.dupRate,
      gzip: values.gzip,
      sync: server ? values.sync : 'unknown',
      seconds: Number(report.seconds.toFixed(3)),
      events_per_second: Math.round(plan.options.events / report.seconds),
      requests_per_second: Math.round(report.requests / report.seconds),
      latency_ms: { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) },
      server_peak_rss_mb: Number((after.memory.peak_rss_bytes / 2 ** 20).toFixed(1)),
      server_cpu_seconds: Number(cpuSeconds.toFixed(2)),
      server_cpu_us_per_event: Number(((cpuSeconds * 1e6) / plan.options.events).toFixed(1)),
      retries: report.retries,
      verified: problems.length === 0,
      problems,
    };
    if (values.json) {
      console.log(JSON.stringify(result));
    } else {
      console.log(
        [
          `${result.events} events (${plan.duplicates} duplicates), batches of ${result.batch}${values.gzip ? ' gzipped' : ''}, ${result.concurrency} connections, sync=${result.sync}`,
          `${result.events_per_second} events/s, ${result.requests_per_second} requests/s in ${result.seconds}s`,
          `latency p50 ${result.latency_ms.p50} ms, p95 ${result.latency_ms.p95} ms, p99 ${result.latency_ms.p99} ms`,
          `server peak RSS ${result.server_peak_rss_mb} MB, CPU ${result.server_cpu_seconds} s (${result.server_cpu_us_per_event} µs/event); retries ${retried}`,
          problems.length === 0
            ? 'verified: /stats matches what was sent'
            : `VERIFY FAILED: ${problems.join('; ')}`,
        ].join('\n'),
      );
    }
    return problems.length === 0 ? 0 : 1;
  } finally {
    await server?.stop('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
