/**
 * Concurrent commits on PostgreSQL (schema version 2): readers serve only the
 * settled prefix of the seq order, so a transaction that is still running,
 * rolls back or dies holds readers back and never makes them skip; and a
 * version-1 database is upgraded when a replica opens it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Event } from '../../src/domain/event.js';
import { commitArguments } from '../../src/store/postgres/postgres-commit-args.js';
import { commitSql } from '../../src/store/postgres/postgres-statements.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { event, prepared } from '../support/harness.js';
import { freshDatabase, postgresGate, type TestDatabase } from '../support/services.js';

const gate = await postgresGate();
type T = Parameters<typeof freshDatabase>[0];

const batch = (events: Event[]) => ({ events: prepared(events), receivedAt: Date.now(), rejected: 0 });

async function open(t: T, db: TestDatabase, instance = 'a') {
  const store = await PostgresStore.open({ url: db.url, instanceId: instance });
  t.after(() => store.close());
  return store;
}

async function client(t: T, db: TestDatabase) {
  const c = new pg.Client({ connectionString: db.url });
  c.on('error', () => {});
  await c.connect();
  t.after(() => c.end().catch(() => {}));
  return c;
}

async function until(check: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const ids = async (s: PostgresStore) => (await s.list({ after: 0, limit: 100 })).map((r) => r.event_id);

describe('PostgreSQL: concurrent commits, settled reads', { skip: gate.skip }, () => {
  test('a writing transaction elsewhere holds readers back; when it rolls back they see everything, in order', async (t) => {
    const db = await freshDatabase(t, gate);
    const store = await open(t, db);
    await store.insertBatch(batch([event(1)]));
    const other = await client(t, db);
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()'); // a transaction with an xid, as any writer has
    const later = await store.insertBatch(batch([event(2), event(3)]));
    assert.deepEqual(later.outcomes, ['stored', 'stored'], 'committed and acknowledged');
    assert.deepEqual(await ids(store), ['evt-1'], 'but not served while an older transaction runs');
    assert.equal((await store.stats()).last_seq, later.lastSeq);
    await other.query('ROLLBACK');
    assert.deepEqual(await ids(store), ['evt-1', 'evt-2', 'evt-3']);
  });

  test('a replica dying mid-commit: its events never appear, later ones do, and live readers hear of them', async (t) => {
    const db = await freshDatabase(t, gate);
    const [a, b] = [await open(t, db, 'a'), await open(t, db, 'b')];
    const heard: number[] = [];
    t.after(a.watch((seq) => heard.push(seq)));
    await until(() => a.watching, 'LISTEN');
    // A replica's commit caught half way: the function ran inside a transaction that never commits.
    const dying = await client(t, db);
    await dying.query('BEGIN');
    await dying.query(
      `SELECT * FROM agg_commit('dying', 'x', 0, 0, ARRAY['orders.created'], ARRAY['evt-lost'],
         ARRAY['2026-11-25T10:00:00Z'], ARRAY['test'], ARRAY['{}'], ARRAY[1::bigint], ARRAY[1])`,
    );
    const later = await b.insertBatch(batch([event(1), event(2)]));
    assert.deepEqual(later.outcomes, ['stored', 'stored']);
    assert.deepEqual(await ids(a), [], 'held back behind the dying commit');
    const { rows } = await dying.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = await client(t, db);
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await until(async () => (await ids(a)).length === 2, 'the held-back events');
    assert.deepEqual(await ids(a), ['evt-1', 'evt-2']);
    const all = await a.list({ after: 0, limit: 100 });
    await until(() => heard.includes(all[1].seq), 'the announcement once they are readable');
    const s = await a.stats();
    assert.deepEqual(
      [s.received, s.unique_processed, s.last_seq],
      [2, 2, all[1].seq],
      'the dead commit counted nothing',
    );
  });

  test('keys another replica stores between the check and the INSERT: duplicate or conflict, each counted once', async (t) => {
    const db = await freshDatabase(t, gate);
    const store = await open(t, db, 'a');
    // Another replica's commit, caught before COMMIT: evt-1 with the same body, evt-3 with another one.
    const other = await client(t, db);
    await other.query('BEGIN');
    const theirs = batch([event(1), event(3, { source: 'elsewhere' })]);
    await other.query({ text: commitSql, values: commitArguments(theirs, 'b', 'x') });
    // This commit finds the keys absent (not committed yet), draws seqs, and its INSERT waits on theirs.
    const ours = store.insertBatch(batch([event(1), event(2), event(3)]));
    const admin = await client(t, db);
    await until(async () => {
      const { rows } = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%agg_commit%'",
      );
      return rows.length > 0;
    }, 'the INSERT waiting on the other commit');
    await other.query('COMMIT');
    const result = await ours;
    assert.deepEqual(result.outcomes, ['duplicate', 'stored', 'conflict']);
    const s = await store.stats();
    assert.deepEqual(
      [s.received, s.unique_processed, s.duplicate_dropped, s.conflicts],
      [5, 3, 2, 1],
      'their two and our three deliveries, each counted once',
    );
    assert.deepEqual((await ids(store)).sort(), ['evt-1', 'evt-2', 'evt-3']);
    const again = await store.insertBatch(batch([event(2)]));
    assert.deepEqual(again.outcomes, ['duplicate'], 'the connection is usable after the retried INSERT');
  });

  test('commits of several replicas interleave; seqs of each commit are consecutive and in input order', async (t) => {
    const db = await freshDatabase(t, gate);
    const stores = await Promise.all([open(t, db, 'a'), open(t, db, 'b'), open(t, db, 'c')]);
    await Promise.all(
      stores.flatMap((s, w) =>
        Array.from({ length: 10 }, (_, k) =>
          s.insertBatch(batch(Array.from({ length: 50 }, (_, i) => event(w * 10_000 + k * 100 + (49 - i))))),
        ),
      ),
    );
    const rows = await stores[0].list({ after: 0, limit: 10_000 });
    assert.equal(rows.length, 1500);
    const n = (r: { payload: string }) => (JSON.parse(r.payload) as { n: number }).n;
    for (let i = 0; i < rows.length; i += 50) {
      const commit = rows.slice(i, i + 50);
      assert.ok(
        commit.every((r, j) => j === 0 || (r.seq === commit[j - 1].seq + 1 && n(r) === n(commit[j - 1]) - 1)),
        'one commit, consecutive seqs, in the order sent (not the order inserted)',
      );
    }
  });
});

describe('PostgreSQL: schema upgrade', { skip: gate.skip }, () => {
  test('a version-1 database is upgraded on open: events, counters and dedup stay, new events follow', async (t) => {
    const db = await freshDatabase(t, gate);
    const v1 = await client(t, db);
    await v1.query(`
      CREATE TABLE agg_meta (key text PRIMARY KEY, value bigint NOT NULL);
      INSERT INTO agg_meta VALUES ('schema_version', 1);
      CREATE TABLE agg_events (
        seq bigint GENERATED BY DEFAULT AS IDENTITY (CACHE 1) PRIMARY KEY,
        topic text NOT NULL, event_id text NOT NULL, "timestamp" text NOT NULL, source text NOT NULL,
        payload text NOT NULL, fingerprint bigint NOT NULL, received_at bigint NOT NULL,
        CONSTRAINT agg_events_key UNIQUE (topic, event_id));
      CREATE INDEX agg_events_by_topic ON agg_events (topic, seq);
      CREATE TABLE agg_counters (instance_id text NOT NULL, topic text NOT NULL, received bigint NOT NULL,
        unique_processed bigint NOT NULL, duplicate_dropped bigint NOT NULL, conflicts bigint NOT NULL,
        PRIMARY KEY (instance_id, topic));
      CREATE TABLE agg_rejected (instance_id text PRIMARY KEY, value bigint NOT NULL);
      INSERT INTO agg_events (topic, event_id, "timestamp", source, payload, fingerprint, received_at)
        VALUES ('orders.created', 'evt-1', '2026-11-25T10:00:00Z', 'test', '{"n":1,"text":"hello"}', 0, 1);
      INSERT INTO agg_counters VALUES ('old', 'orders.created', 1, 1, 0, 0);
      INSERT INTO agg_rejected VALUES ('old', 3);`);
    const store = await open(t, db);
    const again = await store.insertBatch(batch([event(1), event(2)]));
    assert.deepEqual(again.outcomes, ['duplicate', 'stored'], 'dedup covers the version-1 rows');
    const rows = await store.list({ after: 0, limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.seq, r.event_id]),
      [
        [1, 'evt-1'],
        [2, 'evt-2'],
      ],
    );
    const s = await store.stats();
    assert.deepEqual([s.received, s.unique_processed, s.duplicate_dropped, s.rejected], [3, 2, 1, 3]);
    const { rows: meta } = await v1.query("SELECT value FROM agg_meta WHERE key = 'schema_version'");
    // Version 3 (retention's agg_pruned_keys) is applied in the same upgrade.
    assert.equal(Number(meta[0].value), 3);
    await store.close();
    const reopened = await open(t, db, 'b');
    assert.equal((await reopened.stats()).unique_processed, 2, 'a second open finds version 3 and keeps it');
  });

  test('a database from a newer version is refused, naming both versions', async (t) => {
    const db = await freshDatabase(t, gate);
    const c = await client(t, db);
    await c.query(`CREATE TABLE agg_meta (key text PRIMARY KEY, value bigint NOT NULL);
                   INSERT INTO agg_meta VALUES ('schema_version', 9)`);
    await assert.rejects(
      PostgresStore.open({ url: db.url, instanceId: 'x' }),
      /schema version 9; this build reads 3/,
    );
  });
});
