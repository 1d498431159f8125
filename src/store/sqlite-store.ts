/**
 * The embedded store: one SQLite file in WAL mode (better-sqlite3 12.x).
 *
 * Layout, chosen so the dedup lookup stays cheap as history grows:
 * - `events` rows are keyed by `seq` (the rowid), so every insert appends at
 *   the right edge of the table B-tree;
 * - the dedup index is on `key_hash`, a seeded 53-bit hash of (topic, event_id):
 *   8 bytes per entry instead of the full text key, so far more of it stays in
 *   the page cache. A hash match is confirmed against the full key, so dedup is
 *   exact even when two keys collide;
 * - `(topic, seq)` serves topic-filtered reads in commit order;
 * - `counters` holds lifetime totals per topic and moves in the same
 *   transaction as the rows, so it survives kill -9 consistent with them.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import type { PreparedEvent, StoredEvent } from '../domain/event.js';
import { keyHash, sameBody } from '../domain/fingerprint.js';
import type { Outcome } from '../domain/outcome.js';
import {
  type Batch,
  type EventStore,
  type InsertResult,
  type ListQuery,
  StorageFullError,
  type StoreStats,
  StoreUnavailableError,
  type TopicCounters,
} from './event-store.js';

export interface SqliteStoreOptions {
  readonly dataDir: string;
  /** `full` fsyncs the WAL on every commit (the durable default); `normal` only at checkpoints. */
  readonly sync: 'full' | 'normal';
  /** Page cache in MiB. */
  readonly cacheMiB?: number;
}

const SCHEMA_VERSION = 1;

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  seq          INTEGER PRIMARY KEY,
  key_hash     INTEGER NOT NULL,
  topic        TEXT    NOT NULL,
  event_id     TEXT    NOT NULL,
  timestamp    TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  payload      TEXT    NOT NULL,
  fingerprint  INTEGER NOT NULL,
  received_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_key   ON events (key_hash);
CREATE INDEX IF NOT EXISTS events_by_topic ON events (topic, seq);
CREATE TABLE IF NOT EXISTS counters (
  topic             TEXT PRIMARY KEY,
  received          INTEGER NOT NULL,
  unique_processed  INTEGER NOT NULL,
  duplicate_dropped INTEGER NOT NULL,
  conflicts         INTEGER NOT NULL
) WITHOUT ROWID;
`;

const eventColumns = 'seq, topic, event_id, timestamp, source, payload, received_at';

export class SqliteStore implements EventStore {
  readonly location: string;
  readonly #db: Database.Database;
  readonly #seed: number;
  readonly #find: Statement<[number, string, string]>;
  readonly #insert: Statement<[number, string, string, string, string, string, number, number]>;
  readonly #body: Statement<[number], { timestamp: string; source: string; payload: string }>;
  readonly #count: Statement<[string, number, number, number, number]>;
  readonly #topics: Statement<[], TopicCounters>;
  readonly #listAll: Statement<[number, number], StoredEvent>;
  readonly #listTopic: Statement<[string, number, number], StoredEvent>;
  readonly #insertBatch: (batch: Batch) => Outcome[];
  readonly #reject: Statement<[number]>;
  readonly #rejected: Statement<[], { value: number }>;
  #lastSeq: number;

  constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.location = join(options.dataDir, 'aggregator.db');
    const db = new Database(this.location);
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`cache_size = ${-1024 * (options.cacheMiB ?? 32)}`);
    db.pragma('busy_timeout = 5000');
    db.exec(schema);
    this.#seed = this.#loadMeta();

    this.#find = db.prepare(
      'SELECT seq, fingerprint FROM events WHERE key_hash = ? AND topic = ? AND event_id = ?',
    );
    this.#find.raw(true);
    this.#insert = db.prepare(
      'INSERT INTO events (key_hash, topic, event_id, timestamp, source, payload, fingerprint, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#body = db.prepare('SELECT timestamp, source, payload FROM events WHERE seq = ?');
    this.#count = db.prepare(
      `INSERT INTO counters (topic, received, unique_processed, duplicate_dropped, conflicts) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (topic) DO UPDATE SET received = received + excluded.received,
         unique_processed = unique_processed + excluded.unique_processed,
         duplicate_dropped = duplicate_dropped + excluded.duplicate_dropped,
         conflicts = conflicts + excluded.conflicts`,
    );
    this.#topics = db.prepare(
      'SELECT topic, received, unique_processed, duplicate_dropped, conflicts FROM counters ORDER BY topic',
    );
    this.#listAll = db.prepare(`SELECT ${eventColumns} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.#listTopic = db.prepare(
      `SELECT ${eventColumns} FROM events WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    this.#lastSeq = (db.prepare('SELECT max(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
    this.#reject = db.prepare(
      "INSERT INTO meta (key, value) VALUES ('rejected', ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
    );
    this.#rejected = db.prepare("SELECT value FROM meta WHERE key = 'rejected'");
    this.#insertBatch = db.transaction((batch: Batch) => {
      if (batch.rejected > 0) this.#reject.run(batch.rejected);
      return this.#apply(batch.events, batch.receivedAt);
    }).immediate;
  }

  /** Creates or checks the schema version and returns this database's key-hash seed. */
  #loadMeta(): number {
    const get = this.#db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?');
    const put = this.#db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
    put.run('schema_version', SCHEMA_VERSION);
    const version = get.get('schema_version')?.value;
    if (version !== SCHEMA_VERSION) {
      throw new Error(`${this.location} has schema version ${version}; this build reads ${SCHEMA_VERSION}`);
    }
    // A per-database seed keeps crafted key collisions from being portable between installations.
    put.run('hash_seed', randomInt(0, 2 ** 31));
    return get.get('hash_seed')?.value ?? 0;
  }

  #apply(events: readonly PreparedEvent[], receivedAt: number): Outcome[] {
    const outcomes = new Array<Outcome>(events.length);
    const tally = new Map<string, [received: number, stored: number, dup: number, conflict: number]>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const h = keyHash(e.topic, e.event_id, this.#seed);
      const found = this.#find.get(h, e.topic, e.event_id) as [number, number] | undefined;
      let outcome: Outcome;
      if (found === undefined) {
        const info = this.#insert.run(
          h,
          e.topic,
          e.event_id,
          e.timestamp,
          e.source,
          e.payload,
          e.fingerprint,
          receivedAt,
        );
        this.#lastSeq = Number(info.lastInsertRowid);
        outcome = 'stored';
      } else if (found[1] === e.fingerprint) {
        outcome = 'duplicate';
      } else {
        const stored = this.#body.get(found[0]);
        outcome = stored !== undefined && sameBody(stored, e) ? 'duplicate' : 'conflict';
      }
      outcomes[i] = outcome;
      let t = tally.get(e.topic);
      if (t === undefined) {
        t = [0, 0, 0, 0];
        tally.set(e.topic, t);
      }
      t[0]++;
      if (outcome === 'stored') t[1]++;
      else {
        t[2]++;
        if (outcome === 'conflict') t[3]++;
      }
    }
    for (const [topic, t] of tally) this.#count.run(topic, t[0], t[1], t[2], t[3]);
    return outcomes;
  }

  async insertBatch(batch: Batch): Promise<InsertResult> {
    const before = this.#lastSeq;
    try {
      return { outcomes: this.#insertBatch(batch), lastSeq: this.#lastSeq };
    } catch (err) {
      this.#lastSeq = before; // the transaction rolled back
      throw translate(err);
    }
  }

  async stats(): Promise<StoreStats> {
    const topics = this.#topics.all();
    const total = { received: 0, unique_processed: 0, duplicate_dropped: 0, conflicts: 0 };
    for (const t of topics) {
      total.received += t.received;
      total.unique_processed += t.unique_processed;
      total.duplicate_dropped += t.duplicate_dropped;
      total.conflicts += t.conflicts;
    }
    return { ...total, topics, last_seq: this.#lastSeq, rejected: this.#rejected.get()?.value ?? 0 };
  }

  async list(query: ListQuery): Promise<StoredEvent[]> {
    return query.topic === undefined
      ? this.#listAll.all(query.after, query.limit)
      : this.#listTopic.all(query.topic, query.after, query.limit);
  }

  async ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** SQLite's result codes → the store's faults; anything else is a bug and stays as it is. */
function translate(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  if (code === 'SQLITE_FULL') return new StorageFullError(err);
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN') {
    return new StoreUnavailableError(err);
  }
  return err;
}
