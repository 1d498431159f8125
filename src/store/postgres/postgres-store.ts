/**
 * The shared store: any number of replicas on one PostgreSQL database (`pg`
 * with a connection pool). Dedup is the unique constraint on (topic,
 * event_id) and `INSERT … ON CONFLICT DO NOTHING RETURNING`, one multi-row
 * statement per group commit (arrays through `unnest`).
 *
 * Ordering. `seq` comes from a sequence, and sequence order is not commit
 * order: with two concurrent writers, seq 11 can commit after a reader has
 * already paged past 12 — the reader would skip 11 forever. So every
 * transaction that inserts takes one database-wide advisory lock right before
 * the INSERT and keeps it until it commits: seq assignment and commit are
 * serialized across replicas, commit order equals seq order, and every
 * snapshot sees a prefix of the seq order (gaps from rollbacks aside).
 * `GET /events?after=` and live subscribers therefore never skip an event.
 * The cost is one commit at a time across all replicas; group commit keeps
 * each one large. The alternatives are discussed in the README ("Scale-out").
 *
 * Counters live in one row per (instance, topic) and are summed on read, so
 * replicas never wait on each other's counter rows.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { redactUrl } from '../../config/redact-url.js';
import type { PreparedEvent, StoredEvent } from '../../domain/event.js';
import type { Outcome } from '../../domain/outcome.js';
import type {
  Batch,
  EventStore,
  InsertResult,
  ListQuery,
  StoreStats,
  TopicCounters,
} from '../event-store.js';
import { noRetention, StoreUnavailableError, totalOf } from '../event-store.js';
import { translatePgError } from './postgres-faults.js';
import { decideOutcomes, type StoredBody, tallyByTopic } from './postgres-outcomes.js';
import { commitChannel, migrate, seqLock } from './postgres-schema.js';
import {
  countSql,
  insertSql,
  lastSeqSql,
  listSql,
  listTopicSql,
  rejectSql,
  statsSql,
  storedSql,
} from './postgres-statements.js';
import { type CommitListener, CommitWatcher } from './postgres-watch.js';

export interface PostgresStoreOptions {
  readonly url: string;
  /** Names this process's counter rows (`--instance-id`). */
  readonly instanceId: string;
  /** Pooled connections for reads; the writer has one of its own. */
  readonly poolSize?: number;
}

interface EventRow {
  seq: string;
  topic: string;
  event_id: string;
  timestamp: string;
  source: string;
  payload: string;
  received_at: string;
}

export class PostgresStore implements EventStore {
  readonly location: string;
  /** The database server commits; the event loop only waits for the answer. */
  readonly commitsOffLoop = true;
  /** Reads (stats, list, ping, live subscribers). */
  readonly #pool: pg.Pool;
  /** The writer's commits, apart from reads, so a burst of readers never delays a commit. */
  readonly #writePool: pg.Pool;
  readonly #instanceId: string;
  /** Marks this process's NOTIFY payloads, so its watcher skips its own commits. */
  readonly #token = randomUUID();
  readonly #watcher: CommitWatcher;
  #closed = false;

  private constructor(options: PostgresStoreOptions) {
    this.location = redactUrl(options.url);
    this.#instanceId = options.instanceId;
    const config: pg.PoolConfig = {
      connectionString: options.url,
      max: options.poolSize ?? 8,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // TCP keepalives after 10 s idle: a silently dropped connection (the LISTEN one above all) is noticed.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: `pubsub-aggregator ${options.instanceId}`.slice(0, 63),
      // Bounds on a stuck peer or network: a replica that hangs while holding the
      // seq lock loses its session instead of stalling every other replica.
      statement_timeout: 30_000,
      lock_timeout: 15_000,
      idle_in_transaction_session_timeout: 30_000,
      query_timeout: 35_000,
    };
    this.#pool = new pg.Pool(config);
    // The writer commits one transaction at a time.
    this.#writePool = new pg.Pool({ ...config, max: 1 });
    // An idle pooled connection that dies (server restart, pg_terminate_backend) is
    // dropped by the pool; the next query opens a new one. Without a listener it would crash the process.
    this.#pool.on('error', ignore);
    this.#writePool.on('error', ignore);
    this.#watcher = new CommitWatcher(config, this.#token, () => this.#lastSeq(this.#pool));
  }

  /** Connects and creates or checks the schema; rejects with the reason when the database cannot be used. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      const client = await store.#pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await Promise.all([store.#pool.end(), store.#writePool.end()]).catch(() => {});
      throw new Error(`cannot open PostgreSQL at ${store.location}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return store;
  }

  async insertBatch(batch: Batch): Promise<InsertResult> {
    const client = await this.#connect();
    let fault: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await this.#apply(client, batch);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      fault = err as Error;
      await client.query('ROLLBACK').catch(() => {});
      throw translatePgError(err);
    } finally {
      // A connection that failed mid-transaction may be half dead: destroy it rather than reuse it.
      client.off('error', ignore);
      client.release(fault);
    }
  }

  async #apply(client: pg.PoolClient, batch: Batch): Promise<InsertResult> {
    const events = batch.events;
    let outcomes: Outcome[] = [];
    let lastSeq = 0;
    let stored = 0;
    if (events.length > 0) {
      // Serializes seq assignment and commit across replicas (see the module comment).
      await client.query('SELECT pg_advisory_xact_lock($1)', [seqLock]);
      const inserted = await this.#insert(client, events, batch.receivedAt);
      for (const seq of inserted.values()) lastSeq = Math.max(lastSeq, seq);
      stored = inserted.size;
      outcomes = await decideOutcomes(events, inserted, (keys, withBody) =>
        this.#storedBodies(client, keys, withBody),
      );
      const tally = tallyByTopic(events, outcomes);
      await client.query({
        name: 'agg_count',
        text: countSql,
        values: [this.#instanceId, ...tally],
      });
    }
    if (batch.rejected > 0) await client.query(rejectSql, [this.#instanceId, batch.rejected]);
    if (stored > 0) {
      // Delivered to other replicas' watchers only when (and after) this transaction commits.
      await client.query('SELECT pg_notify($1, $2)', [commitChannel, `${lastSeq} ${this.#token}`]);
    } else {
      lastSeq = await this.#lastSeq(client);
    }
    return { outcomes, lastSeq };
  }

  /** Inserts the first delivery of each key; returns key → seq of the rows this batch stored. */
  async #insert(client: pg.PoolClient, events: readonly PreparedEvent[], receivedAt: number) {
    const n = events.length;
    const cols = [[], [], [], [], [], []] as [string[], string[], string[], string[], string[], number[]];
    for (let i = 0; i < n; i++) {
      const e = events[i];
      cols[0].push(e.topic);
      cols[1].push(e.event_id);
      cols[2].push(e.timestamp);
      cols[3].push(e.source);
      cols[4].push(e.payload);
      cols[5].push(e.fingerprint);
    }
    const { rows } = await client.query<{ seq: string; topic: string; event_id: string }>({
      name: 'agg_insert',
      text: insertSql,
      values: [...cols, receivedAt],
    });
    const inserted = new Map<string, number>();
    for (const r of rows) inserted.set(`${r.topic}\u0000${r.event_id}`, Number(r.seq));
    return inserted;
  }

  async #storedBodies(
    client: pg.PoolClient,
    keys: readonly (readonly [string, string])[],
    withBody: boolean,
  ): Promise<StoredBody[]> {
    const columns = withBody ? 'e.fingerprint, e."timestamp", e.source, e.payload' : 'e.fingerprint';
    const { rows } = await client.query<StoredBody & { fingerprint: string }>({
      name: withBody ? 'agg_bodies' : 'agg_fingerprints',
      text: storedSql(columns),
      values: [keys.map((k) => k[0]), keys.map((k) => k[1])],
    });
    return rows.map((r) => ({ ...r, fingerprint: Number(r.fingerprint) }));
  }

  async #lastSeq(q: pg.Pool | pg.PoolClient): Promise<number> {
    const { rows } = await q.query<{ s: string }>(lastSeqSql);
    return Number(rows[0].s);
  }

  async stats(): Promise<StoreStats> {
    const { rows } = await this.#query<{ topics: TopicCounters[]; rejected: string; last_seq: string }>(
      statsSql,
      [],
    );
    const topics = rows[0].topics;
    return {
      ...totalOf(topics),
      topics,
      rejected: Number(rows[0].rejected),
      last_seq: Number(rows[0].last_seq),
      retention: noRetention,
    };
  }

  async list(query: ListQuery): Promise<StoredEvent[]> {
    const { rows } =
      query.topic === undefined
        ? await this.#query<EventRow>(listSql, [query.after, query.limit])
        : await this.#query<EventRow>(listTopicSql, [query.topic, query.after, query.limit]);
    return rows.map((r) => ({ ...r, seq: Number(r.seq), received_at: Number(r.received_at) }));
  }

  async ping(): Promise<void> {
    await this.#query('SELECT 1', []);
  }

  watch(listener: CommitListener): () => void {
    return this.#watcher.add(listener);
  }

  /** Whether the watch connection is listening (for tests). */
  get watching(): boolean {
    return this.#watcher.listening;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher.close();
    await Promise.all([this.#pool.end(), this.#writePool.end()]);
  }

  async #connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.#writePool.connect();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
    // A checked-out connection that dies between two queries emits 'error' with nobody
    // listening — an uncaught exception. The next query on it fails, and that is reported.
    client.on('error', ignore);
    return client;
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (err) {
      throw translatePgError(err);
    }
  }
}

const ignore = () => {};
