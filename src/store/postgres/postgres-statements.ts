/**
 * The PostgreSQL store's statements (see postgres-store.ts for when each runs).
 * Multi-row work passes parallel arrays through `unnest`, one round trip per
 * statement however large the group commit.
 */

export const insertSql = `
INSERT INTO agg_events (topic, event_id, "timestamp", source, payload, fingerprint, received_at)
SELECT t.topic, t.event_id, t.ts, t.source, t.payload, t.fp, $7
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
       WITH ORDINALITY AS t(topic, event_id, ts, source, payload, fp, ord)
 ORDER BY t.ord
ON CONFLICT (topic, event_id) DO NOTHING
RETURNING seq, topic, event_id`;

export const storedSql = (columns: string) => `
SELECT e.topic, e.event_id, ${columns}
  FROM unnest($1::text[], $2::text[]) AS k(topic, event_id)
  JOIN agg_events e ON e.topic = k.topic AND e.event_id = k.event_id`;

export const countSql = `
INSERT INTO agg_counters (instance_id, topic, received, unique_processed, duplicate_dropped, conflicts)
SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
ON CONFLICT (instance_id, topic) DO UPDATE SET
  received = agg_counters.received + excluded.received,
  unique_processed = agg_counters.unique_processed + excluded.unique_processed,
  duplicate_dropped = agg_counters.duplicate_dropped + excluded.duplicate_dropped,
  conflicts = agg_counters.conflicts + excluded.conflicts`;

export const rejectSql = `
INSERT INTO agg_rejected (instance_id, value) VALUES ($1, $2)
ON CONFLICT (instance_id) DO UPDATE SET value = agg_rejected.value + excluded.value`;

/** One statement, so counters, rejected and last_seq come from one snapshot; topics in byte order like SQLite. */
export const statsSql = `
SELECT (SELECT coalesce(json_agg(c ORDER BY c.topic COLLATE "C"), '[]')
          FROM (SELECT topic, sum(received)::bigint AS received, sum(unique_processed)::bigint AS unique_processed,
                       sum(duplicate_dropped)::bigint AS duplicate_dropped, sum(conflicts)::bigint AS conflicts
                  FROM agg_counters GROUP BY topic) c) AS topics,
       (SELECT coalesce(sum(value), 0)::bigint FROM agg_rejected) AS rejected,
       (SELECT coalesce(max(seq), 0) FROM agg_events) AS last_seq`;

const eventColumns = 'seq, topic, event_id, "timestamp", source, payload, received_at';
export const listSql = `SELECT ${eventColumns} FROM agg_events WHERE seq > $1 ORDER BY seq LIMIT $2`;
export const listTopicSql = `SELECT ${eventColumns} FROM agg_events WHERE topic = $1 AND seq > $2 ORDER BY seq LIMIT $3`;
export const lastSeqSql = 'SELECT coalesce(max(seq), 0) AS s FROM agg_events';
