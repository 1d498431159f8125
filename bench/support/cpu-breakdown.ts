/**
 * Where the CPU of a run goes, per process and thread, from /proc (Linux):
 * CPU time per event survives other load on the machine, where throughput
 * does not. A snapshot reads every thread of the given processes (user and
 * system ticks from `stat`, nanoseconds on CPU from `schedstat`); the
 * difference of two snapshots, grouped by a caller-given role per process and
 * by thread name, divided by the events of the run, is the table
 * `bench:replicas -- --cpu` prints.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const nsPerTick = 10_000_000; // USER_HZ = 100 on Linux

interface ThreadSample {
  readonly user: number;
  readonly sys: number;
  /** Nanoseconds on CPU (schedstat): finer than the 10 ms ticks, user + system together. */
  readonly ns: number;
}

/** Keyed by `pid/tid`; `thread` is `main` or the thread's name (digits folded). */
export type Snapshot = Map<string, ThreadSample & { readonly pid: number; readonly thread: string }>;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the thread or process ended
  }
}

/** Every thread of the given processes, now. */
export function snapshot(pids: Iterable<number>): Snapshot {
  const out: Snapshot = new Map();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      const sched = read(`/proc/${pid}/task/${tid}/schedstat`);
      if (stat === undefined || sched === undefined) continue;
      // Fields after the parenthesised name: utime is the 12th, stime the 13th.
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(open + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const thread = tid === String(pid) ? 'main' : comm.replace(/\d+$/, 'N');
      out.set(`${pid}/${tid}`, {
        pid,
        thread,
        user: Number(f[11]),
        sys: Number(f[12]),
        ns: Number(sched.split(' ')[0]),
      });
    }
  }
  return out;
}

export interface CpuRow {
  readonly name: string;
  /** Microseconds of CPU per event: user, system, and total (from schedstat). */
  readonly userUs: number;
  readonly sysUs: number;
  readonly totalUs: number;
}

/**
 * CPU between two snapshots per role (`roleOf` a pid; undefined leaves the
 * process out) and thread name, per event; threads born meanwhile count from zero.
 */
export function breakdown(
  before: Snapshot,
  after: Snapshot,
  events: number,
  roleOf: (pid: number) => string | undefined,
): CpuRow[] {
  const sums = new Map<string, { user: number; sys: number; ns: number }>();
  for (const [key, a] of after) {
    const role = roleOf(a.pid);
    if (role === undefined) continue;
    const name = `${role} · ${a.thread}`;
    const b = before.get(key) ?? { user: 0, sys: 0, ns: 0 };
    const s = sums.get(name) ?? { user: 0, sys: 0, ns: 0 };
    s.user += a.user - b.user;
    s.sys += a.sys - b.sys;
    s.ns += a.ns - b.ns;
    sums.set(name, s);
  }
  const us = (ns: number) => ns / 1000 / events;
  return [...sums]
    .map(([name, s]) => ({
      name,
      userUs: us(s.user * nsPerTick),
      sysUs: us(s.sys * nsPerTick),
      totalUs: us(s.ns),
    }))
    .filter((r) => r.totalUs >= 0.05)
    .sort((x, y) => y.totalUs - x.totalUs);
}

/** The rows as a Markdown table, with the sum. */
export function cpuTable(rows: readonly CpuRow[], machine?: CpuRow): string {
  const f = (x: number) => x.toFixed(1);
  const total = rows.reduce((n, r) => n + r.totalUs, 0);
  return [
    '| process · thread | user µs/event | sys µs/event | CPU µs/event |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${f(r.userUs)} | ${f(r.sysUs)} | ${f(r.totalUs)} |`),
    `| **sum of the above** | | | **${f(total)}** |`,
    ...(machine === undefined ? [] : [`| ${machine.name} | | | ${f(machine.totalUs)} |`]),
  ].join('\n');
}

/** The pids of every PostgreSQL server process on this machine. */
export function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && read(`/proc/${e}/comm`)?.trim() === 'postgres')
    .map(Number);
}

/**
 * The role of a PostgreSQL process from its title (`pg walwriter`, …); a
 * backend's comes from `backendRole` (undefined: another database's, left out).
 */
export function postgresRole(
  pid: number,
  backendRole: (pid: number) => string | undefined,
): string | undefined {
  const cmd = read(`/proc/${pid}/cmdline`);
  if (cmd === undefined) return undefined;
  // "postgres: 15/main: walwriter" — or a backend: "postgres: 15/main: user db host(port) state".
  const m = /^postgres: [^:]+: (.*)$/.exec(cmd.replace(/\0/g, ' ').trim());
  if (m === null) return 'pg postmaster';
  if (/\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(m[1])) return backendRole(pid);
  return `pg ${m[1].trim()}`;
}

/** CPU ticks the whole machine spent busy (all CPUs, everything but idle and iowait) so far. */
export function machineBusyTicks(): number {
  const f = (read('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}

/** Machine-wide busy CPU between two readings, in µs per event, as a row (it includes everything above). */
export function machineRow(beforeTicks: number, afterTicks: number, events: number): CpuRow {
  const us = ((afterTicks - beforeTicks) * nsPerTick) / 1000 / events;
  return {
    name: 'machine, all processes (incl. others)',
    userUs: Number.NaN,
    sysUs: Number.NaN,
    totalUs: us,
  };
}

/**
 * Names this run's backends by replica and by what the connection did last:
 * the writer's (`agg_commit`), the watcher's (`LISTEN`) or the read pool's.
 */
export async function backendRoles(databaseUrl: string): Promise<Map<number, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; app: string; query: string }>(
      `SELECT pid, application_name AS app, query FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const roles = new Map<number, string>();
    for (const r of rows) {
      // `pubsub-aggregator bench-0` → replica 0 (bench:replicas), `pubsub-aggregator bench` → the store.
      const replica = /bench-(\d+)/.exec(r.app)?.[1];
      const kind = /agg_commit/.test(r.query) ? 'commits' : /^LISTEN/i.test(r.query) ? 'LISTEN' : 'reads';
      roles.set(r.pid, `pg backend, ${replica === undefined ? 'store' : `replica ${replica}`} ${kind}`);
    }
    return roles;
  } finally {
    await client.end();
  }
}
