/**
 * The ordering techniques of issue #9, measured on PostgreSQL alone (no
 * aggregator): the raw batched insert of postgres-raw.ts wrapped in what each
 * technique adds to a commit, so their costs compare on one footing.
 *
 * - `none`: autocommit, no ordering at all (the ceiling; unsafe for readers);
 * - `whole`: schema v1 — a database-wide lock from before the INSERT to COMMIT;
 * - `final`: the lock taken at the very end, held only for numbering (one log
 *   row) and the COMMIT itself (its WAL flush included);
 * - `xid`: a session lock held only while the transaction gets its xid and its
 *   seq range, released before the INSERT; readers then filter by xid watermark.
 */
import type pg from 'pg';

export type Technique = 'none' | 'whole' | 'final' | 'xid';

export const techniqueDdl = `
CREATE TABLE raw_log (seq bigint PRIMARY KEY, n int NOT NULL);
CREATE SEQUENCE raw_seq;
ALTER TABLE raw_events ADD COLUMN xid xid8;`;

const insert = (seqExpr: string) => `
INSERT INTO raw_events (seq, topic, event_id, "timestamp", source, payload, fingerprint, received_at, xid)
SELECT ${seqExpr}, t.topic, t.event_id, t.ts, t.source, t.payload, 0, 0, pg_current_xact_id()
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(topic, event_id, ts, source, payload, ord)
ON CONFLICT (topic, event_id) DO NOTHING`;

export async function commitWith(c: pg.Client, technique: Technique, values: unknown[]): Promise<void> {
  const n = (values[0] as unknown[]).length;
  if (technique === 'none') {
    await c.query({ name: 'ins_none', text: insert("nextval('raw_seq')"), values });
    return;
  }
  await c.query('BEGIN');
  if (technique === 'whole') {
    await c.query('SELECT pg_advisory_xact_lock(42)');
    await c.query({ name: 'ins_whole', text: insert("nextval('raw_seq')"), values });
  } else if (technique === 'final') {
    await c.query({ name: 'ins_final', text: insert("nextval('raw_seq')"), values });
    await c.query('SELECT pg_advisory_xact_lock(42)');
    await c.query({
      name: 'log_final',
      text: "INSERT INTO raw_log (seq, n) SELECT setval('raw_seq', nextval('raw_seq') + $1 - 1), $1",
      values: [n],
    });
  } else {
    const { rows } = await c.query<{ base: string }>({
      name: 'draw_xid',
      text: `SELECT pg_advisory_lock(42), pg_current_xact_id(),
                    setval('raw_seq', nextval('raw_seq') + $1 - 1) - $1 + 1 AS base, pg_advisory_unlock(42)`,
      values: [n],
    });
    await c.query({
      name: 'ins_xid',
      text: insert('$6::bigint + t.ord - 1'),
      values: [...values, rows[0].base],
    });
  }
  await c.query('COMMIT');
}
