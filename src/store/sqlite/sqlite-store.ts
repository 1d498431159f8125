/**
 * The embedded store: one SQLite file in WAL mode (better-sqlite3 12.x),
 * synchronous. Used directly in tests and benchmarks, and inside a worker
 * thread by ThreadedSqliteStore in the server.
 *
 * Layout, chosen so writing stays cheap as history grows:
 * - `events` rows are keyed by `seq` (the rowid), so every insert appends at
 *   the right edge of the table B-tree; each row carries `key_hash`, a seeded
 *   53-bit hash of (topic, event_id);
 * - the dedup index is a KeyIndex (key-index.ts): new keys in memory, merged
 *   into the `dedup` table in sorted bulk, rebuilt from the rows on open. A
 *   hash match is always confirmed against the full key, so dedup is exact
 *   even when two keys collide;
 * - `(topic, seq)` serves topic-filtered reads in commit order (inserts land
 *   at the end of each topic's range, so this index is written sequentially);
 * - `counters` holds lifetime totals per topic and moves in the same
 *   transaction as the rows, so it survives kill -9 consistent with them;
 * - retention (sqlite-pruner.ts) deletes the oldest rows and leaves a marker
 *   of each key in the dedup index (pruned-keys.ts).
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { PreparedEvent, StoredEvent } from '../../domain/event.js';
import { keyHash, sameBody } from '../../domain/fingerprint.js';
import { type Outcome, TopicTally } from '../../domain/outcome.js';
import type {
  Batch,
  EventStore,
  InsertResult,
  ListQuery,
  NewestQuery,
  PruneRequest,
  PruneResult,
  StoreStats,
  StoreTotals,
} from '../event-store.js';
import { KeyIndex, type KeyIndexOptions } from './key-index.js';
import { isPrunedMarker, prunedMarker } from './pruned-keys.js';
import { pingSqlite, translate } from './sqlite-faults.js';
import { SqlitePruner } from './sqlite-pruner.js';
import { SqliteReader } from './sqlite-reader.js';
import { openDatabase } from './sqlite-schema.js';

export interface SqliteStoreOptions {
  readonly dataDir: string;
  /** `full` fsyncs the WAL on every commit (the durable default); `normal` only at checkpoints. */
  readonly sync: 'full' | 'normal';
  /** Page cache in MiB (default 8). */
  readonly cacheMiB?: number;
  /** Page size of a NEW database in bytes (an existing file keeps its own). */
  readonly pageSize?: number;
  readonly keyIndex?: Partial<KeyIndexOptions>;
  /** Replaces the key hash; tests pass a degenerate one to prove dedup is exact under collisions. */
  readonly hashKey?: (topic: string, eventId: string, seed: number) => number;
}

const ROWS_PER_STATEMENT = 32;

export class SqliteStore implements EventStore {
  readonly location: string;
  /** Commits run on the caller's thread (the event loop, or the writer thread that owns this store). */
  readonly commitsOffLoop = false;
  readonly #db: Database.Database;
  readonly #seed: number;
  readonly #hashKey: (topic: string, eventId: string, seed: number) => number;
  readonly #keys: KeyIndex;
  readonly #row: Statement<[number], [string, string, number]>;
  readonly #inserts = new Map<number, Statement<(string | number)[]>>();
  readonly #body: Statement<[number], { timestamp: string; source: string; payload: string }>;
  readonly #count: Statement<[string, number, number, number, number]>;
  readonly #reject: Statement<[number]>;
  readonly #transaction: (batches: readonly Batch[]) => InsertResult[];
  readonly #reader: SqliteReader;
  readonly #pruner: SqlitePruner;
  #lastSeq: number;

  constructor(options: SqliteStoreOptions) {
    const { db, location, seed } = openDatabase(options);
    this.location = location;
    this.#db = db;
    this.#seed = seed;
    this.#hashKey = options.hashKey ?? keyHash;
    this.#keys = new KeyIndex(db, { mergeAt: 250_000, chunks: 16, ...options.keyIndex });

    this.#row = db
      .prepare<[number], [string, string, number]>(
        'SELECT topic, event_id, fingerprint FROM events WHERE seq = ?',
      )
      .raw();
    this.#body = db.prepare('SELECT timestamp, source, payload FROM events WHERE seq = ?');
    this.#count = db.prepare(
      `INSERT INTO counters (topic, received, unique_processed, duplicate_dropped, conflicts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (topic) DO UPDATE SET received = received + excluded.received,
         unique_processed = unique_processed + excluded.unique_processed,
         duplicate_dropped = duplicate_dropped + excluded.duplicate_dropped,
         conflicts = conflicts + excluded.conflicts`,
    );
    this.#reject = db.prepare(
      "INSERT INTO meta (key, value) VALUES ('rejected', ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
    );
    this.#reader = new SqliteReader(db);
    this.#pruner = new SqlitePruner(db, this.#keys, this.#seed);
    // Never reuse a seq, even when retention pruned the newest rows: readers' cursors are seqs.
    this.#lastSeq = Math.max(
      db.prepare<[], number | null>('SELECT max(seq) FROM events').pluck().get() ?? 0,
      this.#pruner.prunedThrough,
    );
    this.#transaction = db.transaction((batches: readonly Batch[]) => this.#apply(batches)).immediate;
  }

  /**
   * The stored event with exactly this key, if any: [seq, fingerprint, event].
   * Candidates at or below `committed` are rows on disk; above it, events of
   * this batch not yet written (`pending[seq - committed - 1]`).
   */
  #find(
    hash: number,
    e: PreparedEvent,
    committed: number,
    pending: readonly PreparedEvent[],
  ): [seq: number, fingerprint: number] | undefined {
    let marker: number | undefined;
    for (const seq of this.#keys.candidates(hash)) {
      if (isPrunedMarker(seq)) {
        // A pruned key: its body is gone, so it is a duplicate whatever it carries now.
        marker ??= prunedMarker(e.topic, e.event_id, this.#seed);
        if (seq === marker) return [seq, e.fingerprint];
        continue;
      }
      if (seq > committed) {
        const p = pending[seq - committed - 1];
        if (p.topic === e.topic && p.event_id === e.event_id) return [seq, p.fingerprint];
        continue;
      }
      const row = this.#row.get(seq);
      if (row !== undefined && row[0] === e.topic && row[1] === e.event_id) return [seq, row[2]];
    }
    return undefined;
  }

  /**
   * Decides each batch's deliveries in order as if alone, but writes all batches together (multi-row
   * statements, one counter row a topic): single-event requests cost no statement of their own.
   */
  #apply(batches: readonly Batch[]): InsertResult[] {
    const committed = this.#lastSeq;
    const pending: PreparedEvent[] = [];
    const hashes: number[] = [];
    const receivedAts: number[] = [];
    const tally = new TopicTally();
    let rejected = 0;
    const perBatch = batches.map((batch) => {
      rejected += batch.rejected;
      const { events, receivedAt } = batch;
      const outcomes = new Array<Outcome>(events.length);
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        const h = this.#hashKey(e.topic, e.event_id, this.#seed);
        const found = this.#find(h, e, committed, pending);
        let outcome: Outcome;
        if (found === undefined) {
          pending.push(e);
          hashes.push(h);
          receivedAts.push(receivedAt);
          // Seqs are assigned here, explicitly: the rows are written below in multi-row statements.
          this.#keys.add(h, committed + pending.length);
          outcome = 'stored';
        } else if (found[1] === e.fingerprint) {
          outcome = 'duplicate';
        } else {
          const stored = found[0] > committed ? pending[found[0] - committed - 1] : this.#body.get(found[0]);
          outcome = stored !== undefined && sameBody(stored, e) ? 'duplicate' : 'conflict';
        }
        outcomes[i] = outcome;
        tally.add(e.topic, outcome);
      }
      return { outcomes, lastSeq: committed + pending.length };
    });
    this.#write(pending, hashes, receivedAts, committed + 1);
    this.#lastSeq = committed + pending.length;
    for (const [topic, t] of tally) this.#count.run(topic, t.received, t.stored, t.duplicates, t.conflicts);
    if (rejected > 0) this.#reject.run(rejected);
    return perBatch;
  }

  /** ROWS_PER_STATEMENT rows a statement: a statement step per row costs more than the row (bench/RESULTS.md). */
  #write(
    events: readonly PreparedEvent[],
    hashes: readonly number[],
    receivedAts: readonly number[],
    firstSeq: number,
  ): void {
    const params: (string | number)[] = [];
    for (let start = 0; start < events.length; start += ROWS_PER_STATEMENT) {
      const end = Math.min(events.length, start + ROWS_PER_STATEMENT);
      params.length = 0;
      for (let i = start; i < end; i++) {
        const e = events[i];
        params.push(
          firstSeq + i,
          hashes[i],
          e.topic,
          e.event_id,
          e.timestamp,
          e.source,
          e.payload,
          e.fingerprint,
          receivedAts[i],
        );
      }
      this.#insertRows(end - start).run(...params);
    }
  }

  #insertRows(rows: number): Statement<(string | number)[]> {
    let statement = this.#inserts.get(rows);
    if (statement === undefined) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.#db.prepare(
        `INSERT INTO events (seq, key_hash, topic, event_id, timestamp, source, payload, fingerprint, received_at) VALUES ${values}`,
      );
      this.#inserts.set(rows, statement);
    }
    return statement;
  }

  insertBatchSync(batch: Batch): InsertResult {
    return this.insertBatchesSync([batch])[0];
  }

  /** Batches in ONE transaction (one fsync), each decided in order as if alone (the writer thread's group). */
  insertBatchesSync(batches: readonly Batch[]): InsertResult[] {
    const before = this.#lastSeq;
    try {
      const results = this.#transaction(batches);
      this.#keys.committed();
      return results;
    } catch (err) {
      this.#lastSeq = before;
      this.#keys.rolledBack();
      throw translate(err, this.location);
    }
  }

  async insertBatch(batch: Batch): Promise<InsertResult> {
    const result = this.insertBatchSync(batch);
    this.maintain();
    return result;
  }

  /** One bounded step of index work (a merge chunk) in its own transaction, between commits; true while more is pending. */
  maintain(): boolean {
    try {
      return this.#keys.maintain();
    } catch (err) {
      // Index maintenance is redone later; the events it covers are durable already.
      throw translate(err, this.location);
    }
  }

  /** The synchronous core of prune (the worker thread calls this directly). */
  pruneSync(request: PruneRequest): PruneResult {
    try {
      return this.#pruner.step(request);
    } catch (err) {
      throw translate(err, this.location);
    }
  }

  async prune(request: PruneRequest): Promise<PruneResult> {
    return this.pruneSync(request);
  }

  async stats(): Promise<StoreStats> {
    return this.#reader.stats();
  }

  async list(query: ListQuery): Promise<StoredEvent[]> {
    return this.#reader.list(query);
  }

  async listNewest(query: NewestQuery): Promise<StoredEvent[]> {
    return this.#reader.listNewest(query);
  }

  async totals(): Promise<StoreTotals> {
    return this.#reader.totals();
  }

  async ping(): Promise<void> {
    pingSqlite(this.#reader, this.location);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
