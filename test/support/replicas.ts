/** Several `aggregator serve` processes on one PostgreSQL database, and how to compare what they report. */
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { type ServerProcess, startServer } from '../../src/loadgen/server-process.js';
import type { TestDatabase } from './services.js';

type After = { after: (fn: () => Promise<void> | void) => void };

export function replicaFlags(db: TestDatabase, instance: string): string[] {
  return ['--store', 'postgres', '--database-url', db.url, '--instance-id', instance];
}

/** Starts replica `instance` (killed, if still running, when the test ends). */
export async function startReplica(
  c: After,
  db: TestDatabase,
  instance: string,
  extra: readonly string[] = [],
): Promise<ServerProcess> {
  const server = await startServer([...replicaFlags(db, instance), ...extra]);
  c.after(() => server.stop('SIGKILL').then(() => {}));
  return server;
}

export function startReplicas(c: After, db: TestDatabase, n: number, extra: readonly string[] = []) {
  return Promise.all(Array.from({ length: n }, (_, i) => startReplica(c, db, `replica-${i}`, extra)));
}

export async function statsOf(url: string): Promise<StatsBody> {
  const res = await request(`${url}/stats`);
  if (res.statusCode !== 200) throw new Error(`GET /stats → ${res.statusCode}: ${await res.body.text()}`);
  return (await res.body.json()) as StatsBody;
}

/** The part of /stats every replica must agree on (not uptime, memory or queue depth). */
export async function sharedStats(url: string) {
  const s = await statsOf(url);
  return {
    received: s.received,
    unique_processed: s.unique_processed,
    duplicate_dropped: s.duplicate_dropped,
    conflicts: s.conflicts,
    rejected: s.rejected,
    topics: s.topics,
    per_topic: s.per_topic,
    last_seq: s.last_seq,
  };
}

/** How often each (topic, event_id) occurs among stored rows (from /events). */
export function keyCounts(rows: readonly { topic: string; event_id: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.topic}/${r.event_id}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
