/**
 * The read side of the SQLite store: stats and pages of events. It runs on
 * whatever connection it is given — the store's own, or the server thread's
 * read-only connection while the worker thread writes (WAL lets readers see
 * every committed transaction without blocking the writer).
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { StoredEvent } from '../../domain/event.js';
import {
  type ListQuery,
  type NewestQuery,
  noRetention,
  type RetentionStats,
  type StoreStats,
  type StoreTotals,
  type TopicCounters,
  totalOf,
} from '../event-store.js';
import { retentionStatsSql } from './sqlite-schema.js';

const eventColumns = 'seq, topic, event_id, timestamp, source, payload, received_at';

export class SqliteReader {
  readonly #topics: Statement<[], TopicCounters>;
  readonly #rejected: Statement<[], number>;
  readonly #lastSeq: Statement<[], number | null>;
  readonly #retention: Statement<[], RetentionStats>;
  readonly #listAll: Statement<[number, number], StoredEvent>;
  readonly #listTopic: Statement<[string, number, number], StoredEvent>;
  readonly #newestAll: Statement<[number, number], StoredEvent>;
  readonly #newestTopic: Statement<[string, number, number], StoredEvent>;
  readonly #ping: Statement<[], number>;
  readonly #snapshot: () => StoreStats;
  readonly #sums: Statement<[], Omit<StoreTotals, 'rejected' | 'last_seq'>>;
  readonly #totals: () => StoreTotals;

  constructor(db: Database.Database) {
    this.#topics = db.prepare(
      'SELECT topic, received, unique_processed, duplicate_dropped, conflicts FROM counters ORDER BY topic',
    );
    this.#rejected = db.prepare<[], number>("SELECT value FROM meta WHERE key = 'rejected'").pluck();
    // Pruning may have removed the newest rows too; seqs are never reused, so the last one stays.
    this.#lastSeq = db
      .prepare<[], number | null>(
        "SELECT max(coalesce((SELECT max(seq) FROM events), 0), coalesce((SELECT value FROM meta WHERE key = 'pruned_seq'), 0))",
      )
      .pluck();
    this.#retention = db.prepare(retentionStatsSql);
    this.#listAll = db.prepare(`SELECT ${eventColumns} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.#listTopic = db.prepare(
      `SELECT ${eventColumns} FROM events WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    this.#newestAll = db.prepare(
      `SELECT ${eventColumns} FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?`,
    );
    this.#newestTopic = db.prepare(
      `SELECT ${eventColumns} FROM events WHERE topic = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    );
    this.#ping = db.prepare<[], number>('SELECT 1').pluck();
    // Separate statements would each see their own snapshot; one read
    // transaction keeps counters, rejected and last_seq mutually consistent.
    this.#snapshot = db.transaction(() => this.#read());
    this.#sums = db.prepare(
      `SELECT count(*) AS topic_count, coalesce(sum(received), 0) AS received,
              coalesce(sum(unique_processed), 0) AS unique_processed,
              coalesce(sum(duplicate_dropped), 0) AS duplicate_dropped, coalesce(sum(conflicts), 0) AS conflicts
         FROM counters`,
    );
    this.#totals = db.transaction(() => ({
      ...(this.#sums.get() as Omit<StoreTotals, 'rejected' | 'last_seq'>),
      last_seq: this.#lastSeq.get() ?? 0,
      rejected: this.#rejected.get() ?? 0,
    }));
  }

  /** Counters, topics and the last seq, read in one snapshot. */
  stats(): StoreStats {
    return this.#snapshot();
  }

  /** The totals summed by SQLite, in one snapshot. */
  totals(): StoreTotals {
    return this.#totals();
  }

  #read(): StoreStats {
    const topics = this.#topics.all();
    return {
      ...totalOf(topics),
      topics,
      last_seq: this.#lastSeq.get() ?? 0,
      rejected: this.#rejected.get() ?? 0,
      retention: this.#retention.get() ?? noRetention,
    };
  }

  list(query: ListQuery): StoredEvent[] {
    return query.topic === undefined
      ? this.#listAll.all(query.after, query.limit)
      : this.#listTopic.all(query.topic, query.after, query.limit);
  }

  listNewest(query: NewestQuery): StoredEvent[] {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    return query.topic === undefined
      ? this.#newestAll.all(before, query.limit)
      : this.#newestTopic.all(query.topic, before, query.limit);
  }

  ping(): void {
    this.#ping.get();
  }
}
