/**
 * Retention on PostgreSQL: batched deletes of the oldest events, each pruned
 * key kept in `agg_pruned_keys` as 128 bits of MD5 (a uuid), so a re-send of
 * a pruned event is still a duplicate for ever (`agg_commit` looks there too,
 * postgres-commit.ts).
 *
 * Why batched deletes and not partition drops: dedup is the unique constraint
 * on (topic, event_id), and PostgreSQL only enforces a unique constraint on a
 * partitioned table when it includes the partition key — a table partitioned
 * by seq or time could no longer refuse a duplicate that lands in another
 * partition. Dropping partitions would mean moving dedup to a table of its
 * own, i.e. writing every key twice on the hot path to make pruning cheaper.
 *
 * One step is one transaction:
 * - it takes the retention lock exclusively; every commit holds it shared for
 *   its whole transaction. So no commit runs between "this key is not stored
 *   and not pruned" and its INSERT while a step moves that key from one table
 *   to the other (a commit waits for at most one step), and two replicas'
 *   steps take turns;
 * - it deletes a prefix of the seq order — the leading events after
 *   `agg_meta.pruned_seq` received before the cutoff — keeps their keys, and
 *   moves `pruned_seq`, `pruned_events` and `pruned_bytes`, all in the same
 *   transaction. Holding the lock, it sees no commit in flight, so every row
 *   it sees is final and no seq below them can still appear: it needs no
 *   "settled" test (postgres-commit.ts), which unrelated long transactions
 *   on the server would hold back.
 *
 * Only `--retain-days` is offered here: PostgreSQL reuses the space of
 * deleted rows only after VACUUM and never gives it back to the file system,
 * so a relation's size cannot tell how much must go (SQLite's can).
 */
import type pg from 'pg';
import { noRetention, type PruneRequest, type PruneResult, type RetentionStats } from '../event-store.js';
import { prunedKeyOf, retentionLock } from './postgres-commit.js';

/** The retention counters in agg_meta, as one JSON object (keys_kept: one per pruned event). */
export const retentionStatsColumn = `(SELECT json_build_object(
    'events_pruned', coalesce(max(value) FILTER (WHERE key = 'pruned_events'), 0),
    'bytes_reclaimed', coalesce(max(value) FILTER (WHERE key = 'pruned_bytes'), 0),
    'keys_kept', coalesce(max(value) FILTER (WHERE key = 'pruned_events'), 0),
    'pruned_through_seq', coalesce(max(value) FILTER (WHERE key = 'pruned_seq'), 0))
  FROM agg_meta WHERE key IN ('pruned_events', 'pruned_bytes', 'pruned_seq'))`;

const candidatesSql = 'SELECT seq, received_at FROM agg_events WHERE seq > $1 ORDER BY seq LIMIT $2';

const pruneSql = `WITH gone AS (
  DELETE FROM agg_events WHERE seq > $1 AND seq <= $2
  RETURNING topic, event_id,
    octet_length(topic) + octet_length(event_id) + octet_length("timestamp") + octet_length(source)
      + octet_length(payload) AS bytes),
kept AS (
  INSERT INTO agg_pruned_keys (key) SELECT ${prunedKeyOf('topic', 'event_id')} FROM gone
  ON CONFLICT DO NOTHING)
SELECT count(*)::bigint AS n, coalesce(sum(bytes), 0)::bigint AS bytes FROM gone`;

const countSql = `INSERT INTO agg_meta (key, value) VALUES
  ('pruned_seq', $1), ('pruned_events', $2), ('pruned_bytes', $3)
ON CONFLICT (key) DO UPDATE SET value = CASE WHEN agg_meta.key = 'pruned_seq' THEN excluded.value
                                             ELSE agg_meta.value + excluded.value END`;

/** One bounded step on `client` (a connection of its own); see above. */
export async function pruneStep(client: pg.PoolClient, request: PruneRequest): Promise<PruneResult> {
  if (request.receivedBefore === undefined) return { pruned: 0, more: false };
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [retentionLock]);
    const { rows: meta } = await client.query<{ value: string }>(
      "SELECT value FROM agg_meta WHERE key = 'pruned_seq'",
    );
    const through = meta.length > 0 ? Number(meta[0].value) : 0;
    const { rows } = await client.query<{ seq: string; received_at: string }>(candidatesSql, [
      through,
      request.maxEvents,
    ]);
    let due = 0;
    while (due < rows.length && Number(rows[due].received_at) < request.receivedBefore) due++;
    if (due === 0) {
      await client.query('COMMIT');
      return { pruned: 0, more: false };
    }
    const last = Number(rows[due - 1].seq);
    const { rows: done } = await client.query<{ n: string; bytes: string }>(pruneSql, [through, last]);
    await client.query(countSql, [last, Number(done[0].n), Number(done[0].bytes)]);
    await client.query('COMMIT');
    return { pruned: Number(done[0].n), more: due === request.maxEvents };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The retention counters from the stats row (numbers arrive as JSON numbers). */
export function retentionOf(value: RetentionStats | null | undefined): RetentionStats {
  return value ?? noRetention;
}
