/**
 * The group commit as one server-side function, so a commit is ONE statement
 * and one round trip (autocommit: the statement is the transaction). Installed
 * by the migration (postgres-schema.ts); see there for the tables.
 *
 * `agg_commit` takes the batch as parallel arrays, one element per delivery,
 * and returns one outcome letter per delivery (s stored, d duplicate,
 * c conflict) and the seq for live readers. Its steps:
 * 0. the retention lock, shared: a retention step (postgres-retention.ts)
 *    never moves a key from `agg_events` to `agg_pruned_keys` between this
 *    commit's check and its INSERT;
 * 1. which keys are new: the first delivery of each key (the caller passes,
 *    per delivery, the position of its key's first delivery) neither in
 *    `agg_events` nor pruned (`agg_pruned_keys`), one index probe each, which
 *    also yields the stored fingerprint of the others — so seqs are drawn
 *    for exactly the new keys (a duplicate leaves no gap);
 * 2. the ONLY critical section: a session-level advisory lock held while the
 *    transaction takes its xid (`pg_current_xact_id()`) and its seq range, a
 *    few microseconds, released before any row is written. So across writers
 *    xid order equals seq order, and `xid < pg_snapshot_xmin(current
 *    snapshot)` — "every transaction older than this one has ended" — marks a
 *    prefix of the seq order that can never grow in the middle: readers serve
 *    only that prefix (postgres-statements.ts). Rows carry their xid;
 * 3. the INSERT, in byte order of the key: two transactions inserting
 *    overlapping keys then wait on each other in one order and cannot
 *    deadlock. Another writer's concurrent insert of the same key makes this
 *    one wait for its outcome, so dedup stays exact. Step 1 found these keys
 *    absent, so it is a plain INSERT: `ON CONFLICT` would probe the unique
 *    index once more per row before inserting (14 % of the function's
 *    instructions, callgrind; bench/RESULTS.md). Only when another writer
 *    stored one of the keys meanwhile does it fail (unique_violation); the
 *    block's subtransaction undoes it and the INSERT … ON CONFLICT DO NOTHING
 *    runs instead;
 * 4. outcomes: a delivery is `stored` when it is the first of its key and
 *    this INSERT returned it; otherwise its fingerprint is compared with the
 *    stored one, known from step 1 (or the batch's own first delivery); only
 *    when that differs or is unknown is the row read, and the bodies compared
 *    as JSON values (`agg_same_body`); a pruned key is a duplicate, whatever
 *    its body;
 * 5. counters per (instance, topic) in byte order of topic (no deadlock
 *    between a replica's two commits in flight), `rejected`, and the NOTIFY
 *    that reaches other replicas after COMMIT.
 * `last_seq` is this commit's highest seq when no older transaction is still
 * running (its rows are readable the moment it commits); otherwise it is the
 * readable watermark, `settle` names this commit's highest seq and `settle_xid` its
 * transaction: the store waits (bounded) until every transaction up to it
 * has ended, so a publisher can read its own events when acknowledged.
 *
 * If the function fails between lock and unlock (a cancel; nothing else can
 * fail there) the session would keep the lock: the store then destroys the
 * connection instead of reusing it, which releases it.
 */

/** The advisory lock key of the seq draw (64-bit, shared by everything using the database); arbitrary. */
const seqLock = '7017280000002';

/** The advisory lock key of retention (postgres-retention.ts), taken shared by every commit; arbitrary. */
export const retentionLock = '7017280000003';

/** The kept record of a pruned key, as an SQL expression: the length prefix makes the join unambiguous. */
export const prunedKeyOf = (topic: string, eventId: string) =>
  `md5(length(${topic}) || ':' || ${topic} || ${eventId})::uuid`;

/** The channel on which a commit that stored events is announced (LISTEN/NOTIFY). */
export const commitChannel = 'agg_commit';

/** Rows whose transaction, and every older one, has ended: the readable prefix of the seq order. */
export const settled = 'xid < pg_snapshot_xmin(pg_current_snapshot())';

/** The INSERT of the new keys (step 3), in byte order of the key, returning their seqs. */
const insertFresh = (onConflict: string) => `
      INSERT INTO agg_events (seq, topic, event_id, "timestamp", source, payload, fingerprint, received_at, xid)
      SELECT base + r.rank - 1, d.topic, d.event_id, d.ts, d.source, d.payload, d.fp, p_received_at, me
        FROM unnest(fresh) WITH ORDINALITY AS r(ord, rank)
        JOIN unnest(p_topics, p_ids, p_ts, p_sources, p_payloads, p_fps)
             WITH ORDINALITY AS d(topic, event_id, ts, source, payload, fp, ord) ON d.ord = r.ord
       ORDER BY d.topic COLLATE "C", d.event_id COLLATE "C"
      ${onConflict}
      RETURNING seq`;

export const commitFunctions = `
CREATE OR REPLACE FUNCTION agg_same_body(a_ts text, a_source text, a_payload text,
                                         b_ts text, b_source text, b_payload text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
  IF a_ts <> b_ts OR a_source <> b_source THEN RETURN false; END IF;
  RETURN a_payload = b_payload OR a_payload::jsonb = b_payload::jsonb;
EXCEPTION WHEN others THEN
  -- jsonb cannot hold every JSON text (\\u0000, a lone surrogate): such texts are equal only when identical.
  RETURN false;
END $fn$;

DROP FUNCTION IF EXISTS agg_commit(text, text, bigint, bigint, text[], text[], text[], text[], text[], bigint[], boolean[]);
CREATE OR REPLACE FUNCTION agg_commit(
  p_instance text, p_token text, p_received_at bigint, p_rejected bigint,
  p_topics text[], p_ids text[], p_ts text[], p_sources text[], p_payloads text[],
  p_fps bigint[], p_first int[],
  OUT outcomes text, OUT last_seq bigint, OUT settle bigint, OUT settle_xid xid8)
LANGUAGE plpgsql AS $fn$
DECLARE
  -- Per delivery (1-based, no NULLs, so a subscript is O(1)): for the first delivery of a key,
  -- the stored row's fingerprint, -1 when the key is new, -2 once this commit stored it, -3 when pruned.
  st bigint[];
  fresh bigint[];
  got bigint[];
  s bigint;
  n int;
  base bigint;
  me xid8;
  codes text[];
BEGIN
  PERFORM pg_advisory_xact_lock_shared(${retentionLock});
  -- Scalar subqueries, not NOT EXISTS: the planner would turn that into a hash anti-join over the whole table.
  SELECT array_agg(CASE WHEN d.first = d.ord THEN coalesce(
             (SELECT e.fingerprint FROM agg_events e WHERE e.topic = d.topic AND e.event_id = d.event_id),
             (SELECT -3 FROM agg_pruned_keys k WHERE k.key = ${prunedKeyOf('d.topic', 'd.event_id')}), -1)
           ELSE 0 END ORDER BY d.ord) INTO st
    FROM unnest(p_topics, p_ids, p_first) WITH ORDINALITY AS d(topic, event_id, first, ord);
  SELECT coalesce(array_agg(x.ord ORDER BY x.ord), '{}') INTO fresh
    FROM unnest(st) WITH ORDINALITY AS x(v, ord) WHERE x.v = -1;
  n := cardinality(fresh);
  IF n > 0 THEN
    PERFORM pg_advisory_lock(${seqLock});
    me := pg_current_xact_id();
    base := setval('agg_events_seq_seq', nextval('agg_events_seq_seq') + n - 1) - n + 1;
    PERFORM pg_advisory_unlock(${seqLock});
    BEGIN
      WITH ins AS (${insertFresh('')})
      SELECT coalesce(array_agg(seq), '{}') INTO got FROM ins;
    EXCEPTION WHEN unique_violation THEN
      WITH ins AS (${insertFresh('ON CONFLICT (topic, event_id) DO NOTHING')})
      SELECT coalesce(array_agg(seq), '{}') INTO got FROM ins;
    END;
    FOREACH s IN ARRAY got LOOP
      st[fresh[s - base + 1]] := -2;
    END LOOP;
  END IF;

  IF cardinality(p_topics) > 0 THEN
    -- Only a delivery whose stored fingerprint is unknown (a key another commit stored meanwhile)
    -- or differs reads the stored row again.
    SELECT array_agg(CASE
             WHEN d.first = d.ord AND st[d.ord] = -2 THEN 's'
             WHEN CASE WHEN st[d.first] = -2 THEN p_fps[d.first] ELSE st[d.first] END = d.fp THEN 'd'
             WHEN st[d.first] = -3 THEN 'd'
             -- Rare (a conflict, or a key another commit stored meanwhile): the texts are read by
             -- subscript here rather than unnested for every delivery (4 % of the function's instructions).
             ELSE (SELECT CASE WHEN e.fingerprint = d.fp
                                 OR agg_same_body(e."timestamp", e.source, e.payload,
                                                  p_ts[d.ord], p_sources[d.ord], p_payloads[d.ord])
                               THEN 'd' ELSE 'c' END
                     FROM agg_events e WHERE e.topic = p_topics[d.ord] AND e.event_id = p_ids[d.ord])
           END ORDER BY d.ord) INTO codes
      FROM unnest(p_fps, p_first) WITH ORDINALITY AS d(fp, first, ord);
    INSERT INTO agg_counters (instance_id, topic, received, unique_processed, duplicate_dropped, conflicts)
    -- A conflict is a duplicate too (domain/outcome.ts), counted apart as well.
    SELECT p_instance, t.topic, count(*), count(*) FILTER (WHERE t.o = 's'),
           count(*) FILTER (WHERE t.o <> 's'), count(*) FILTER (WHERE t.o = 'c')
      FROM unnest(p_topics, codes) AS t(topic, o)
     GROUP BY t.topic
     ORDER BY t.topic COLLATE "C"
    ON CONFLICT (instance_id, topic) DO UPDATE SET
      received = agg_counters.received + excluded.received,
      unique_processed = agg_counters.unique_processed + excluded.unique_processed,
      duplicate_dropped = agg_counters.duplicate_dropped + excluded.duplicate_dropped,
      conflicts = agg_counters.conflicts + excluded.conflicts;
  END IF;
  IF p_rejected > 0 THEN
    INSERT INTO agg_rejected (instance_id, value) VALUES (p_instance, p_rejected)
    ON CONFLICT (instance_id) DO UPDATE SET value = agg_rejected.value + excluded.value;
  END IF;

  outcomes := array_to_string(codes, '');
  IF cardinality(got) > 0 THEN
    SELECT max(x) INTO s FROM unnest(got) AS x;
    -- Delivered to other replicas' watchers only when (and after) this transaction commits.
    PERFORM pg_notify('${commitChannel}', s || ' ' || p_token);
    IF pg_snapshot_xmin(pg_current_snapshot()) = me THEN
      last_seq := s;
      RETURN;
    END IF;
    settle := s;
    settle_xid := me;
  END IF;
  SELECT coalesce(max(seq), 0) INTO last_seq FROM agg_events WHERE ${settled};
END $fn$;
`;
