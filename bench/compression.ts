/**
 * Compression, in one run, alternating the variants round by round and
 * reporting medians:
 *   1. POST /publish, the standard load (`aggregator bench`: 100,000 events,
 *      25 % duplicates, batches of 100, 16 connections, a fresh server a run)
 *      with plain JSON bodies and with gzip bodies (compressed before the
 *      clock starts, so the figure is the server's decoding cost);
 *   2. GET /events?limit=1000 pages answered as is, in gzip and in br
 *      (@fastify/compress): bytes per page and pages per second.
 *
 *   npm run bench:compression                 the full run
 *   npm run bench:compression -- --record     ... and append the table to bench/RESULTS.md
 *   npm run bench:compression -- --events 3000 --rounds 1 --pages 20   (a smoke run)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Pool } from 'undici';
import { mainScript, startServer } from '../src/loadgen/server-process.js';
import { appendResults } from './support/results.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    pages: { type: 'string', default: '300' },
    record: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

interface BenchLine {
  events_per_second: number;
  latency_ms: { p50: number; p99: number };
  server_cpu_us_per_event: number;
  verified: boolean;
}

async function publishRun(gzip: boolean): Promise<BenchLine> {
  const args = [mainScript, 'bench', '--events', values.events, '--json', ...(gzip ? ['--gzip'] : [])];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
  const line = JSON.parse(stdout) as BenchLine;
  if (!line.verified) throw new Error(`bench did not verify: ${stdout}`);
  return line;
}

/** Pages of 1,000 events read `pages` times over 4 connections; bytes as sent on the wire. */
async function readPages(url: string, encoding: string, pages: number) {
  const pool = new Pool(url, { connections: 4 });
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next++ < pages) {
      const res = await pool.request({
        method: 'GET',
        path: '/events?limit=1000',
        headers: encoding === 'identity' ? {} : { 'accept-encoding': encoding },
      });
      const got = res.headers['content-encoding'] ?? 'identity';
      if (got !== encoding) throw new Error(`asked ${encoding}, got ${got}`);
      bytes = 0;
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { bytes, pagesPerSecond: pages / seconds };
}

const publish = { plain: [] as BenchLine[], gzip: [] as BenchLine[] };
for (let r = 0; r < rounds; r++) {
  publish.plain.push(await publishRun(false));
  publish.gzip.push(await publishRun(true));
}

const encodings = ['identity', 'gzip', 'br'] as const;
const reads = Object.fromEntries(
  encodings.map((e) => [e, [] as { bytes: number; pagesPerSecond: number }[]]),
);
const dataDir = mkdtempSync(join(tmpdir(), 'aggregator-bench-compression-'));
const server = await startServer(['--data-dir', dataDir, '--sync', 'normal']);
try {
  await run(process.execPath, [mainScript, 'publish', '--url', server.url, '--events', '5000', '--json']);
  for (let r = 0; r < rounds; r++) {
    for (const e of encodings) reads[e].push(await readPages(server.url, e, Number(values.pages)));
  }
} finally {
  await server.stop('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

const row = (name: string, lines: BenchLine[]) =>
  `| ${name} | ${median(lines.map((l) => l.events_per_second))} | ${median(lines.map((l) => l.latency_ms.p50))} | ${median(lines.map((l) => l.server_cpu_us_per_event))} | ${lines.map((l) => l.events_per_second).join(', ')} |`;
const plainRate = median(publish.plain.map((l) => l.events_per_second));
const gzipRate = median(publish.gzip.map((l) => l.events_per_second));
const table = [
  '',
  `### Compression — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, SQLite synchronous=FULL`,
  '',
  `\`npm run bench:compression -- --events ${values.events} --rounds ${rounds} --pages ${values.pages}\` (alternating rounds, medians)`,
  '',
  `POST /publish, ${values.events} events, 25 % duplicates, batches of 100, 16 connections, a fresh server a run:`,
  '',
  '| bodies | events/s | p50 ms | server CPU µs/event | each round |',
  '| --- | --- | --- | --- | --- |',
  row('plain JSON', publish.plain),
  row('gzip', publish.gzip),
  '',
  `gzip / plain: ${(gzipRate / plainRate).toFixed(2)}×`,
  '',
  'GET /events?limit=1000 (1,000 stored events a page), 4 connections:',
  '',
  '| Accept-Encoding | bytes a page | pages/s |',
  '| --- | --- | --- |',
  ...encodings.map(
    (e) =>
      `| ${e} | ${median(reads[e].map((x) => x.bytes))} | ${Math.round(median(reads[e].map((x) => x.pagesPerSecond)))} |`,
  ),
  '',
].join('\n');
console.log(table);
if (values.record) appendResults(table);
