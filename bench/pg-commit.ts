/**
 * The PostgreSQL commit path alone, without HTTP: `PostgresStore.insertBatch`
 * as the writer calls it, on a fresh database, with CPU µs per event of this
 * process (the `pg` driver side: building the arguments, encoding, parsing)
 * and of the PostgreSQL processes (the commit function, WAL) — figures that
 * survive other load on the machine, unlike the rate printed with them.
 *
 *   npm run bench:pg-commit                          groups of 800, 2 in flight, 100k deliveries
 *   npm run bench:pg-commit -- --group 400 --inflight 1,2,4 --rounds 3
 *   npm run bench:pg-commit -- --sql variant.sql   run this SQL after the schema is created
 *                                                  (to try a variant of the commit function)
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import type { PreparedEvent } from '../src/domain/event.js';
import { bodyFingerprint } from '../src/domain/fingerprint.js';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import {
  backendRoles,
  breakdown,
  cpuTable,
  machineBusyTicks,
  machineRow,
  postgresPids,
  postgresRole,
  snapshot,
} from './support/cpu-breakdown.js';
import { withDatabase } from './support/postgres-database.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const events = Number(opt('events', '100000'));
const groups = opt('group', '800').split(',').map(Number);
const inflights = opt('inflight', '2').split(',').map(Number);
const rounds = Number(opt('rounds', '1'));
const variantSql = opt('sql', '');

function prepared(group: number): PreparedEvent[][] {
  const plan = new LoadPlan({
    events,
    dupRate: 0.25,
    batch: group,
    topics: 5,
    runId: `commit-${Date.now()}`,
  });
  return Array.from({ length: plan.batches }, (_, k) =>
    plan.batchEvents(k).map((e) => {
      const payload = JSON.stringify(e.payload);
      return { ...e, payload, fingerprint: bodyFingerprint(e.timestamp, e.source, payload) };
    }),
  );
}

async function run(group: number, inflight: number): Promise<void> {
  const batches = prepared(group);
  await withDatabase(async (url) => {
    const store = await PostgresStore.open({ url, instanceId: 'bench' });
    if (variantSql !== '') {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(readFileSync(variantSql, 'utf8')).finally(() => client.end());
    }
    try {
      const watched = () => [process.pid, ...postgresPids()];
      const before = snapshot(watched());
      const busy = machineBusyTicks();
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: inflight }, async () => {
          for (let k = next++; k < batches.length; k = next++)
            await store.insertBatch({ events: batches[k], receivedAt: Date.now(), rejected: 0 });
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const after = snapshot(watched());
      const machine = machineRow(busy, machineBusyTicks(), events);
      const totals = await store.totals();
      const backends = await backendRoles(url);
      const roleOf = (pid: number) =>
        pid === process.pid ? 'node (pg driver)' : postgresRole(pid, (p) => backends.get(p));
      console.log(
        `\ngroups of ${group}, ${inflight} in flight: ${Math.round(events / seconds).toLocaleString('en-US')} events/s, ` +
          `stored ${totals.unique_processed}, load ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs\n`,
      );
      console.log(cpuTable(breakdown(before, after, events, roleOf), machine));
    } finally {
      await store.close();
    }
  });
}

for (let r = 0; r < rounds; r++) for (const g of groups) for (const k of inflights) await run(g, k);
