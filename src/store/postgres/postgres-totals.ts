/**
 * The PostgreSQL store's totals (EventStore.totals): the lifetime counters
 * summed by the database, without the per-topic rows of stats(), for
 * GET /stats/summary. Counter rows are per (instance, topic), so topics are
 * counted distinct. One statement: one snapshot.
 */
import type { StoreTotals } from '../event-store.js';
import { settled } from './postgres-commit.js';

const totalsSql = `
SELECT (SELECT count(DISTINCT topic) FROM agg_counters) AS topic_count,
       c.received, c.unique_processed, c.duplicate_dropped, c.conflicts,
       (SELECT coalesce(sum(value), 0)::bigint FROM agg_rejected) AS rejected,
       (SELECT coalesce(max(seq), 0) FROM agg_events WHERE ${settled}) AS last_seq
  FROM (SELECT coalesce(sum(received), 0)::bigint AS received,
               coalesce(sum(unique_processed), 0)::bigint AS unique_processed,
               coalesce(sum(duplicate_dropped), 0)::bigint AS duplicate_dropped,
               coalesce(sum(conflicts), 0)::bigint AS conflicts
          FROM agg_counters) c`;

type Row = Record<keyof StoreTotals, string>;

/** Runs one statement (the store's read pool, with its error translation). */
type Query = (text: string, values: unknown[]) => Promise<{ rows: Row[] }>;

export async function readTotals(query: Query): Promise<StoreTotals> {
  const [row] = (await query(totalsSql, [])).rows;
  return {
    topic_count: Number(row.topic_count),
    received: Number(row.received),
    unique_processed: Number(row.unique_processed),
    duplicate_dropped: Number(row.duplicate_dropped),
    conflicts: Number(row.conflicts),
    rejected: Number(row.rejected),
    last_seq: Number(row.last_seq),
  };
}
