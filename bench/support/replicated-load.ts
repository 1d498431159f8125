/**
 * The standard batched load against N replicas on one fresh PostgreSQL
 * database: connections are spread evenly over the replicas (as a load
 * balancer would), every request is resent until acknowledged, and
 * afterwards every replica's /stats must show exactly what was sent.
 */
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { quantile, send } from '../../src/loadgen/sender.js';
import { type ServerProcess, startServer } from '../../src/loadgen/server-process.js';
import type { BenchResult } from './bench-result.js';
import {
  backendRoles,
  breakdown,
  type CpuRow,
  machineBusyTicks,
  machineRow,
  postgresPids,
  postgresRole,
  snapshot,
} from './cpu-breakdown.js';
import { withDatabase } from './postgres-database.js';

export interface ReplicatedLoadOptions {
  readonly replicas: number;
  readonly events: number;
  readonly dupRate: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly topics: number;
  /** Also measure CPU per event per process and thread (replicas, PostgreSQL, this load generator). */
  readonly cpu?: boolean;
  /** Another build's main.js to run as the replicas (before/after comparisons). */
  readonly script?: string;
}

export interface ReplicatedLoadResult extends BenchResult {
  /** With `cpu`: µs of CPU per event, per process and thread, and the whole machine's. */
  readonly cpu?: { readonly rows: CpuRow[]; readonly machine: CpuRow };
  /** With `cpu`: group commits per replica and their mean size in events (from /metrics). */
  readonly groups?: { readonly commits: number; readonly meanEvents: number }[];
}

/** Group commits so far and their events, from the replica's commit-size histogram. */
async function groupsOf(url: string): Promise<{ commits: number; meanEvents: number }> {
  const text = await (await request(new URL('/metrics', url))).body.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const commits = value('aggregator_commit_batch_events_count');
  return { commits, meanEvents: Math.round(value('aggregator_commit_batch_events_sum') / commits) };
}

async function stats(url: string): Promise<StatsBody> {
  return (await (await request(new URL('/stats', url))).body.json()) as StatsBody;
}

export function replicatedLoad(o: ReplicatedLoadOptions): Promise<ReplicatedLoadResult> {
  return withDatabase(async (databaseUrl) => {
    const servers: ServerProcess[] = [];
    try {
      for (let i = 0; i < o.replicas; i++) {
        servers.push(
          await startServer(
            ['--store', 'postgres', '--database-url', databaseUrl, '--instance-id', `bench-${i}`],
            {
              LOG_LEVEL: 'info',
            },
            undefined,
            { script: o.script },
          ),
        );
      }
      const plan = new LoadPlan({ ...o, runId: `bench-${Date.now()}` });
      const bodies = Array.from({ length: plan.batches }, (_, k) => plan.body(k));
      const watched = () => [process.pid, ...servers.map((s) => s.child.pid ?? 0), ...postgresPids()];
      const cpuBefore = o.cpu ? snapshot(watched()) : undefined;
      const busyBefore = machineBusyTicks();
      // Replica r gets batches r, r + N, r + 2N, … over its share of the connections.
      const started = performance.now();
      const reports = await Promise.all(
        servers.map((s, r) =>
          send({
            url: s.url,
            concurrency: Math.max(1, Math.round(o.concurrency / o.replicas)),
            batches: Math.ceil((plan.batches - r) / o.replicas),
            body: (k) => bodies[r + o.replicas * k],
          }),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      let cpu: ReplicatedLoadResult['cpu'];
      let groups: ReplicatedLoadResult['groups'];
      if (cpuBefore !== undefined) {
        const cpuAfter = snapshot(watched());
        const machine = machineRow(busyBefore, machineBusyTicks(), o.events);
        const backends = await backendRoles(databaseUrl);
        const replicaOf = new Map(servers.map((s, i) => [s.child.pid, `replica ${i}`]));
        const roleOf = (pid: number) =>
          pid === process.pid
            ? 'load generator'
            : (replicaOf.get(pid) ?? postgresRole(pid, (p) => backends.get(p)));
        cpu = { rows: breakdown(cpuBefore, cpuAfter, o.events, roleOf), machine };
        groups = await Promise.all(servers.map((s) => groupsOf(s.url)));
      }
      const after = await Promise.all(servers.map((s) => stats(s.url)));
      const problems: string[] = [];
      for (const [i, s] of after.entries()) {
        if (s.unique_processed !== plan.unique)
          problems.push(`replica ${i}: ${s.unique_processed} unique, expected ${plan.unique}`);
        if (s.received !== s.unique_processed + s.duplicate_dropped)
          problems.push(`replica ${i}: received != unique + duplicates`);
      }
      const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
      const ms = (q: number) => Number(quantile(latencies, q).toFixed(2));
      return {
        events: o.events,
        events_per_second: Math.round(o.events / seconds),
        requests_per_second: Math.round(reports.reduce((n, r) => n + r.requests, 0) / seconds),
        latency_ms: { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) },
        server_peak_rss_mb: Number(
          (Math.max(...after.map((s) => s.memory.peak_rss_bytes)) / 2 ** 20).toFixed(1),
        ),
        verified: problems.length === 0,
        problems,
        cpu,
        groups,
      };
    } finally {
      await Promise.all(servers.map((s) => s.stop('SIGTERM')));
    }
  });
}
