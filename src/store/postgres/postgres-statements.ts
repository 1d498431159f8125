/**
 * The PostgreSQL store's read statements (the commit is one function call,
 * postgres-commit.ts). Every read sees only settled rows — those whose
 * transaction, and every older one, has ended — a prefix of the seq order
 * that never grows in the middle, so paging by seq skips nothing.
 */
import type { StoredEvent } from '../../domain/event.js';
import { settled } from './postgres-commit.js';
import { retentionStatsColumn } from './postgres-retention.js';

/** The highest settled seq, or the highest pruned one when retention pruned the newest rows too. */
const lastSeq = `greatest((SELECT coalesce(max(seq), 0) FROM agg_events WHERE ${settled}),
  (SELECT coalesce(max(value), 0) FROM agg_meta WHERE key = 'pruned_seq'))`;

export const commitSql =
  'SELECT outcomes, last_seq, settle, settle_xid FROM agg_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)';

/** Whether every transaction up to $1 has ended (no table read). */
export const endedSql = 'SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS ended';

/** One statement, so counters, rejected and last_seq come from one snapshot; topics in byte order like SQLite. */
export const statsSql = `
SELECT (SELECT coalesce(json_agg(c ORDER BY c.topic COLLATE "C"), '[]')
          FROM (SELECT topic, sum(received)::bigint AS received, sum(unique_processed)::bigint AS unique_processed,
                       sum(duplicate_dropped)::bigint AS duplicate_dropped, sum(conflicts)::bigint AS conflicts
                  FROM agg_counters GROUP BY topic) c) AS topics,
       (SELECT coalesce(sum(value), 0)::bigint FROM agg_rejected) AS rejected,
       ${lastSeq} AS last_seq,
       ${retentionStatsColumn} AS retention`;

export const eventColumns = 'seq, topic, event_id, "timestamp", source, payload, received_at';

/** A row of eventColumns as pg returns it (bigints as strings). */
export interface EventRow {
  seq: string;
  topic: string;
  event_id: string;
  timestamp: string;
  source: string;
  payload: string;
  received_at: string;
}

export const toStoredEvent = (r: EventRow): StoredEvent => ({
  ...r,
  seq: Number(r.seq),
  received_at: Number(r.received_at),
});
export const listSql = `SELECT ${eventColumns} FROM agg_events WHERE seq > $1 AND ${settled} ORDER BY seq LIMIT $2`;
export const listTopicSql = `SELECT ${eventColumns} FROM agg_events
 WHERE topic = $1 AND seq > $2 AND ${settled} ORDER BY seq LIMIT $3`;
export const lastSeqSql = `SELECT ${lastSeq} AS s`;
