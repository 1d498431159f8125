/**
 * The raw storage ceiling: the same deterministic events inserted straight into
 * SQLite with no HTTP, timed per transaction only (event generation and
 * validation happen outside the clock). Compares our store's layout with the
 * naive one (a UNIQUE text key with INSERT OR IGNORE) as the table grows.
 *
 *   node dist/bench/storage-ceiling.js --rows 2000000 --batch 5000 --layout store --page-size 4096
 *
 * Prints rows/s for each slice of `--every` rows, and RSS.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { defaultLimits } from '../src/config/limits.js';
import type { PreparedEvent } from '../src/domain/event.js';
import { prepareEvents } from '../src/ingest/validate.js';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '5000' },
    every: { type: 'string', default: '250000' },
    layout: { type: 'string', default: 'store' },
    'page-size': { type: 'string', default: '4096' },
    sync: { type: 'string', default: 'full' },
    'dup-rate': { type: 'string', default: '0.25' },
    'run-id': { type: 'string', default: 'ceiling' },
    json: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const batch = Number(values.batch);
const every = Number(values.every);
const pageSize = Number(values['page-size']);
const sync = values.sync === 'normal' ? 'normal' : 'full';

type Insert = (events: PreparedEvent[]) => void;

function naive(dir: string): { insert: Insert; close: () => void } {
  const db = new Database(join(dir, 'naive.db'));
  db.pragma(`page_size = ${pageSize}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.pragma('cache_size = -32768');
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, event_id TEXT NOT NULL,
    timestamp TEXT NOT NULL, source TEXT NOT NULL, payload TEXT NOT NULL, fingerprint INTEGER NOT NULL,
    received_at INTEGER NOT NULL, UNIQUE (topic, event_id))`);
  const ins = db.prepare(
    'INSERT OR IGNORE INTO events (topic, event_id, timestamp, source, payload, fingerprint, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const tx = db.transaction((events: PreparedEvent[]) => {
    const now = Date.now();
    for (const e of events)
      ins.run(e.topic, e.event_id, e.timestamp, e.source, e.payload, e.fingerprint, now);
  });
  return { insert: tx, close: () => db.close() };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agg-ceiling-'));
  const plan = new LoadPlan({
    events: rows,
    dupRate: Number(values['dup-rate']),
    batch,
    topics: 5,
    runId: 'ceiling',
  });
  let insert: (events: PreparedEvent[]) => Promise<void> | void;
  let close: () => Promise<void> | void;
  if (values.layout === 'naive') {
    ({ insert, close } = naive(dir));
  } else {
    const store = new SqliteStore({ dataDir: dir, sync, pageSize });
    insert = async (events) => {
      await store.insertBatch({ events, receivedAt: Date.now(), rejected: 0 });
    };
    close = () => store.close();
  }
  let busy = 0;
  let cpuMicros = 0;
  const commitMs: number[] = [];
  let sliceBusy = 0;
  let sliceRows = 0;
  const slices: { upTo: number; rowsPerSecond: number; rssMb: number }[] = [];
  for (let k = 0; k < plan.batches; k++) {
    const checked = prepareEvents(plan.batchEvents(k), { ...defaultLimits, eventsPerRequest: batch });
    if (!checked.ok) throw new Error(checked.problem.message);
    const events = checked.value;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await insert(events);
    const c1 = process.cpuUsage(c0);
    const dt = performance.now() - t0;
    cpuMicros += c1.user + c1.system;
    commitMs.push(dt);
    busy += dt;
    sliceBusy += dt;
    sliceRows += events.length;
    const done = Math.min(rows, (k + 1) * batch);
    if (done % every === 0 || done === rows) {
      const slice = {
        upTo: done,
        rowsPerSecond: Math.round(sliceRows / (sliceBusy / 1000)),
        rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      };
      slices.push(slice);
      if (!values.json)
        console.log(
          `${values.layout} page=${pageSize} batch=${batch}: up to ${done.toLocaleString('en-US')} deliveries ${slice.rowsPerSecond.toLocaleString('en-US')} rows/s, RSS ${slice.rssMb} MB`,
        );
      sliceBusy = 0;
      sliceRows = 0;
    }
  }
  await close();
  const file = values.layout === 'naive' ? 'naive.db' : 'aggregator.db';
  const sizeMb = Math.round(statSync(join(dir, file)).size / 2 ** 20);
  const overall = Math.round(rows / (busy / 1000));
  commitMs.sort((a, b) => a - b);
  const q = (x: number) =>
    Number((commitMs[Math.min(commitMs.length - 1, Math.floor(x * commitMs.length))] ?? 0).toFixed(2));
  const result = {
    layout: values.layout,
    pageSize,
    batch,
    rows,
    overall,
    sizeMb,
    slices,
    commit_ms: { p50: q(0.5), p99: q(0.99) },
    cpuSeconds: Number((cpuMicros / 1e6).toFixed(2)),
    rssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `${values.layout}: overall ${overall.toLocaleString('en-US')} rows/s, database ${sizeMb} MB, CPU ${result.cpuSeconds} s`,
    );
  rmSync(dir, { recursive: true, force: true });
}

await main();
