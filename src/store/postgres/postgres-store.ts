/**
 * The shared store: any number of replicas on one PostgreSQL database (`pg`
 * with a connection pool). Dedup is the unique constraint on (topic,
 * event_id) and `INSERT … ON CONFLICT DO NOTHING`; a group commit is one call
 * of the server-side function `agg_commit` — one statement, one round trip.
 *
 * Ordering without serializing commits. Replicas commit concurrently; the
 * only critical section is the draw of a transaction's xid and seq range (a
 * few microseconds, before any row is written), which makes xid order equal
 * seq order. Readers serve only rows whose transaction, and every older one,
 * has ended: a prefix of the seq order that never grows in the middle, so
 * `GET /events?after=` and live subscribers skip and repeat nothing, whatever
 * commits, rolls back or dies meanwhile. postgres-commit.ts has the details;
 * docs/design.md the alternatives measured.
 *
 * Counters live in one row per (instance, topic) and are summed on read, so
 * replicas never wait on each other's counter rows.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { redactUrl } from '../../config/redact-url.js';
import type { StoredEvent } from '../../domain/event.js';
import type {
  Batch,
  EventStore,
  InsertResult,
  ListQuery,
  NewestQuery,
  PruneRequest,
  PruneResult,
  RetentionStats,
  StoreStats,
  StoreTotals,
  TopicCounters,
} from '../event-store.js';
import { StoreUnavailableError, totalOf } from '../event-store.js';
import { commitArguments, decodeOutcomes } from './postgres-commit-args.js';
import { translatePgError } from './postgres-faults.js';
import { listNewest } from './postgres-newest.js';
import { pruneStep, retentionOf } from './postgres-retention.js';
import { migrate } from './postgres-schema.js';
import {
  commitSql,
  type EventRow,
  endedSql,
  lastSeqSql,
  listSql,
  listTopicSql,
  statsSql,
  toStoredEvent,
} from './postgres-statements.js';
import { readTotals } from './postgres-totals.js';
import { type CommitListener, CommitWatcher } from './postgres-watch.js';

export interface PostgresStoreOptions {
  readonly url: string;
  /** Names this process's counter rows (`--instance-id`). */
  readonly instanceId: string;
  /** Pooled connections for reads; the writer has one of its own. */
  readonly poolSize?: number;
}

/** How long an acknowledgment waits for older transactions to end (see #ended). */
const settleWaitMs = 1_000;

interface CommitRow {
  outcomes: string | null;
  last_seq: string;
  settle: string | null;
  settle_xid: string | null;
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
  /** Marks this process's NOTIFY payloads, so its watcher skips its own commits (the writer announces those). */
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
      // Bounds on a stuck peer or network: a commit that hangs holds every reader back
      // (its rows and all later ones wait for it); it loses its session instead of stalling them for long.
      statement_timeout: 30_000,
      lock_timeout: 15_000,
      idle_in_transaction_session_timeout: 30_000,
      query_timeout: 35_000,
    };
    this.#pool = new pg.Pool(config);
    // The writer keeps up to two commits in flight (ingest/writer.ts); they run side by side.
    this.#writePool = new pg.Pool({ ...config, max: 2 });
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
    let row: CommitRow;
    try {
      // One statement in autocommit: the statement is the transaction (postgres-commit.ts).
      const { rows } = await client.query<CommitRow>({
        name: 'agg_commit',
        text: commitSql,
        values: commitArguments(batch, this.#instanceId, this.#token),
      });
      row = rows[0];
    } catch (err) {
      fault = err as Error;
      throw translatePgError(err);
    } finally {
      // A connection that failed mid-commit may be half dead (or hold the seq lock): destroy it rather than reuse it.
      client.off('error', ignore);
      client.release(fault);
    }
    const outcomes = decodeOutcomes(row.outcomes ?? '', batch.events.length);
    let lastSeq = Number(row.last_seq);
    if (row.settle !== null && row.settle_xid !== null) {
      // Committed, but an older transaction still runs, so readers do not see these events yet.
      if (await this.#ended(row.settle_xid)) lastSeq = Number(row.settle);
      else this.#watcher.settle(Number(row.settle));
    }
    return { outcomes, lastSeq };
  }

  /**
   * Waits, up to `settleWaitMs`, until every transaction up to `xid` has ended:
   * usually another replica's commit, a few milliseconds. So an acknowledged
   * event is normally readable at once; behind a long transaction the
   * acknowledgment does not wait for it, and the watcher announces the events later.
   */
  async #ended(xid: string): Promise<boolean> {
    const deadline = performance.now() + settleWaitMs;
    for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
      try {
        const { rows } = await this.#pool.query<{ ended: boolean }>(endedSql, [xid]);
        if (rows[0].ended) return true;
      } catch {
        return false; // The commit stands; readers will see it when the database answers.
      }
      if (performance.now() + pauseMs > deadline) return false;
      await sleep(pauseMs);
    }
  }

  async #lastSeq(q: pg.Pool | pg.PoolClient): Promise<number> {
    const { rows } = await q.query<{ s: string }>(lastSeqSql);
    return Number(rows[0].s);
  }

  async stats(): Promise<StoreStats> {
    const { rows } = await this.#query<{
      topics: TopicCounters[];
      rejected: string;
      last_seq: string;
      retention: RetentionStats | null;
    }>(statsSql, []);
    const topics = rows[0].topics;
    return {
      ...totalOf(topics),
      topics,
      rejected: Number(rows[0].rejected),
      last_seq: Number(rows[0].last_seq),
      retention: retentionOf(rows[0].retention),
    };
  }

  /** One retention step on a read connection (postgres-retention.ts): commits never queue behind it here. */
  async prune(request: PruneRequest): Promise<PruneResult> {
    const client = await this.#connect(this.#pool);
    let fault: Error | undefined;
    try {
      return await pruneStep(client, request);
    } catch (err) {
      fault = err as Error;
      throw translatePgError(err);
    } finally {
      client.off('error', ignore);
      client.release(fault);
    }
  }

  async list(query: ListQuery): Promise<StoredEvent[]> {
    const { rows } =
      query.topic === undefined
        ? await this.#query<EventRow>(listSql, [query.after, query.limit])
        : await this.#query<EventRow>(listTopicSql, [query.topic, query.after, query.limit]);
    return rows.map(toStoredEvent);
  }

  totals(): Promise<StoreTotals> {
    return readTotals((text, values) => this.#query(text, values));
  }

  listNewest(query: NewestQuery): Promise<StoredEvent[]> {
    return listNewest((text, values) => this.#query(text, values), query);
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

  async #connect(pool: pg.Pool = this.#writePool): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
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
