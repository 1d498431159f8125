/**
 * The retention benchmark (issue #13 part 3), in two parts:
 *
 * `--part keys` (storage only, no HTTP): stores `--keys` events, merges their
 * keys into the on-disk index, prunes every body and measures what a kept key
 * costs on disk (the dedup table's pages, by dbstat, per key; and the whole
 * database compacted with VACUUM INTO, per key).
 *
 * `--part pg-keys`: the same on PostgreSQL (a throwaway database on
 * BENCH_DATABASE_URL): the `agg_pruned_keys` table and its index per key,
 * as written and after VACUUM FULL.
 *
 * `--part disk`: a server under a steady open-loop load (`--rate` events/s in
 * batches of 100, ~200-byte payloads), first without retention, then with
 * `--retain-bytes`; prints the database size over time (file, WAL, pages in
 * use) and the publish latency (p50/p99) of each run — in the retention run
 * only while pruning runs, so the cost of pruning to the writer shows.
 *
 *   npm run bench:retention -- --part keys --keys 1000000
 *   npm run bench:retention -- --part pg-keys --keys 200000
 *   npm run bench:retention -- --part disk --rate 5000 --seconds 150 --retain 64MB
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Pool } from 'undici';
import { defaultLimits } from '../src/config/limits.js';
import { parseSize } from '../src/config/size.js';
import type { StatsBody } from '../src/http/routes/stats.js';
import { prepareEvents } from '../src/ingest/validate.js';
import { quantile } from '../src/loadgen/sender.js';
import { startServer } from '../src/loadgen/server-process.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { withDatabase } from './support/postgres-database.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'keys' },
    keys: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '150' },
    baseline: { type: 'string', default: '60' },
    retain: { type: 'string', default: '64MB' },
    every: { type: 'string', default: '10' },
  },
});

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);
const payload = (i: number) => ({ order: i, customer: `c-${i % 9973}`, note: 'x'.repeat(150) });
const eventOf = (run: string, i: number) => ({
  topic: `topic-${i % 5}`,
  event_id: `${run}-${i}`,
  timestamp: '2026-11-29T10:00:00Z',
  source: 'bench-retention',
  payload: payload(i),
});

console.log(
  `# bench:retention ${new Date().toISOString()} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model}`,
);

if (values.part === 'keys') await keysPart(Number(values.keys));
else if (values.part === 'pg-keys') await withDatabase((url) => pgKeysPart(url, Number(values.keys)));
else await diskPart();

async function pgKeysPart(url: string, n: number): Promise<void> {
  const store = await PostgresStore.open({ url, instanceId: 'bench-retention' });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const batch = 5000;
    const t0 = performance.now();
    for (let b = 0; b < n; b += batch) {
      const raw = Array.from({ length: Math.min(batch, n - b) }, (_, i) => eventOf('k', b + i));
      const checked = prepareEvents(raw, { ...defaultLimits, eventsPerRequest: batch });
      if (!checked.ok) throw new Error(checked.problem.message);
      await store.insertBatch({ events: checked.value, receivedAt: 1, rejected: 0 });
    }
    console.log(
      `stored ${n.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const t1 = performance.now();
    let pruned = 0;
    for (;;) {
      const r = await store.prune({ receivedBefore: 2, maxEvents: 5000 });
      pruned += r.pruned;
      if (!r.more) break;
    }
    const seconds = (performance.now() - t1) / 1000;
    console.log(
      `pruned ${pruned.toLocaleString('en-US')} bodies in ${seconds.toFixed(1)} s (${Math.round(pruned / seconds).toLocaleString('en-US')}/s)`,
    );
    const size = async () => {
      const { rows } = await admin.query<{ b: string }>(
        "SELECT pg_total_relation_size('agg_pruned_keys') AS b",
      );
      return Number(rows[0].b);
    };
    const asWritten = await size();
    console.log(
      `agg_pruned_keys with its index: ${mb(asWritten)} = ${(asWritten / n).toFixed(1)} B per kept key (as written)`,
    );
    await admin.query('VACUUM FULL agg_pruned_keys');
    const compact = await size();
    console.log(`after VACUUM FULL: ${mb(compact)} = ${(compact / n).toFixed(1)} B per kept key`);
  } finally {
    await admin.end();
    await store.close();
  }
}

async function keysPart(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-retention-keys-'));
  try {
    const store = new SqliteStore({ dataDir: dir, sync: 'normal' });
    const batch = 5000;
    const t0 = performance.now();
    for (let b = 0; b < n; b += batch) {
      const raw = Array.from({ length: Math.min(batch, n - b) }, (_, i) => eventOf('k', b + i));
      const checked = prepareEvents(raw, { ...defaultLimits, eventsPerRequest: batch });
      if (!checked.ok) throw new Error(checked.problem.message);
      store.insertBatchSync({ events: checked.value, receivedAt: Date.now(), rejected: 0 });
      while (store.maintain());
    }
    console.log(
      `stored ${n.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const db = new Database(store.location, { readonly: true });
    const tableBytes = (name: string) =>
      db
        .prepare<[string], number>('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?')
        .pluck()
        .get(name) ?? 0;
    const before = tableBytes('dedup');
    console.log(
      `before pruning: dedup table ${mb(before)} = ${(before / n).toFixed(1)} B per live key; events ${mb(tableBytes('events'))}`,
    );
    const t1 = performance.now();
    let pruned = 0;
    for (;;) {
      const r = store.pruneSync({ maxBytes: 1, maxEvents: 5000 });
      pruned += r.pruned;
      if (!r.more) break;
    }
    const seconds = (performance.now() - t1) / 1000;
    console.log(
      `pruned ${pruned.toLocaleString('en-US')} bodies in ${seconds.toFixed(1)} s (${Math.round(pruned / seconds).toLocaleString('en-US')}/s)`,
    );
    const after = tableBytes('dedup');
    const compact = join(dir, 'compact.db');
    db.exec(`VACUUM INTO '${compact}'`);
    db.close();
    await store.close();
    const stats = new Database(compact, { readonly: true });
    const compactDedup =
      stats.prepare<[], number>("SELECT sum(pgsize) FROM dbstat WHERE name = 'dedup'").pluck().get() ?? 0;
    stats.close();
    console.log(
      `after pruning: dedup table ${mb(after)} = ${(after / n).toFixed(1)} B per kept key (pages in place)`,
    );
    console.log(
      `compacted (VACUUM INTO): database ${mb(fileSize(compact))} = ${(fileSize(compact) / n).toFixed(1)} B per kept key; dedup ${(compactDedup / n).toFixed(1)} B per kept key`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Sample {
  readonly at: number;
  readonly ms: number;
}

async function diskPart(): Promise<void> {
  const rate = Number(values.rate);
  const retain = parseSize(values.retain);
  if (retain === undefined) throw new Error(`--retain ${values.retain} is not a size`);
  const base = await steadyRun('no retention', [], Number(values.baseline), rate, false);
  const kept = await steadyRun(
    `--retain-bytes ${values.retain}`,
    ['--retain-bytes', String(retain)],
    Number(values.seconds),
    rate,
    true,
  );
  const row = (name: string, s: Sample[]) => {
    const ms = s.map((x) => x.ms).sort((a, b) => a - b);
    return `${name}: ${ms.length} requests, p50 ${quantile(ms, 0.5).toFixed(2)} ms, p99 ${quantile(ms, 0.99).toFixed(2)} ms`;
  };
  console.log('\npublish latency (batches of 100), same rate:');
  console.log(`  ${row('without retention', base)}`);
  console.log(`  ${row('with retention, while pruning', kept)}`);
}

/** One server under `rate` events/s for `seconds`; prints disk size every `--every` s; returns latencies. */
async function steadyRun(
  name: string,
  flags: string[],
  seconds: number,
  rate: number,
  onlyWhilePruning: boolean,
): Promise<Sample[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-retention-disk-'));
  const server = await startServer(['--data-dir', dir, ...flags]);
  const pool = new Pool(server.url, { connections: 16, pipelining: 1 });
  const dbFile = join(dir, 'aggregator.db');
  const stats = async () =>
    (await (await pool.request({ path: '/stats', method: 'GET' })).body.json()) as StatsBody;
  const run = `r${Date.now().toString(36)}`;
  const samples: Sample[] = [];
  let pruning = !onlyWhilePruning;
  console.log(`\n## ${name}: ${rate.toLocaleString('en-US')} events/s for ${seconds} s`);
  console.log('| t (s) | stored | pruned | kept keys | db file | WAL | pages in use |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  try {
    const start = performance.now();
    const batchesPerSecond = rate / 100;
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    let nextReport = 0;
    const usedBytes = () => {
      const db = new Database(dbFile, { readonly: true });
      try {
        const pages = db.pragma('page_count', { simple: true }) as number;
        const free = db.pragma('freelist_count', { simple: true }) as number;
        return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
      } finally {
        db.close();
      }
    };
    for (;;) {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= nextReport) {
        const s = await stats();
        if (s.retention.events_pruned > 0) pruning = true;
        console.log(
          `| ${nextReport} | ${s.unique_processed.toLocaleString('en-US')} | ${s.retention.events_pruned.toLocaleString('en-US')} | ${s.retention.keys_kept.toLocaleString('en-US')} | ${mb(fileSize(dbFile))} | ${mb(fileSize(`${dbFile}-wal`))} | ${mb(usedBytes())} |`,
        );
        nextReport += Number(values.every);
      }
      if (elapsed >= seconds) break;
      // Open loop: batches go out on schedule whether or not earlier ones were answered.
      const due = Math.floor(elapsed * batchesPerSecond);
      while (sent < due) {
        const k = sent++;
        const body = JSON.stringify(Array.from({ length: 100 }, (_, i) => eventOf(run, k * 100 + i)));
        const t = performance.now();
        const p = pool
          .request({
            path: '/publish',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode !== 200) throw new Error(`publish answered ${res.statusCode}`);
            if (pruning) samples.push({ at: t, ms: performance.now() - t });
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
    await server.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}
