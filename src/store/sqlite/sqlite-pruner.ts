/**
 * Retention on SQLite: deletes the oldest event bodies, a bounded step at a
 * time, and keeps each pruned key as a marker in the dedup index
 * (pruned-keys.ts), so a re-send of a pruned event is still a duplicate.
 *
 * One step is one short transaction on the writing connection, run between
 * group commits (in the writer thread when there is one): it holds a commit
 * up by at most one step, never by a whole prune. A step:
 * - reads the next `maxEvents` rows in seq order after `meta.pruned_seq`,
 *   and takes the leading ones that are due (older than the cutoff, or any
 *   while the database is over its byte limit) — pruning is always a prefix
 *   of the seq order, so `GET /events` and `/subscribe` simply start at the
 *   oldest event kept;
 * - replaces each one's dedup entry with its marker, deletes the rows as one
 *   seq range, and moves `pruned_seq`, `pruned_events` and `pruned_bytes` —
 *   all in the same transaction, so kill -9 leaves either the whole step or
 *   none of it, and the counters always match the rows.
 *
 * The step commits with synchronous=NORMAL: it is not acknowledged to
 * anyone, and the next group commit's fsync (FULL) makes it durable with its
 * own frames. A power loss before that can only undo the step whole.
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { noRetention, type PruneRequest, type PruneResult, type RetentionStats } from '../event-store.js';
import type { KeyIndex } from './key-index.js';
import { prunedMarker } from './pruned-keys.js';
import { retentionStatsSql } from './sqlite-schema.js';

interface DueRow {
  readonly seq: number;
  readonly key_hash: number;
  readonly topic: string;
  readonly event_id: string;
  readonly received_at: number;
  readonly bytes: number;
}

const counterKeys = ['pruned_seq', 'pruned_events', 'pruned_bytes'] as const;

export class SqlitePruner {
  readonly #db: Database.Database;
  readonly #keys: KeyIndex;
  readonly #seed: number;
  readonly #next: Statement<[number, number, number], DueRow>;
  readonly #forgetEntry: Statement<[number, number]>;
  readonly #keepMarker: Statement<[number, number]>;
  readonly #deleteRange: Statement<[number, number]>;
  readonly #add: Statement<[string, number]>;
  readonly #set: Statement<[string, number]>;
  readonly #stats: Statement<[], RetentionStats>;
  readonly #pageSize: number;
  readonly #step: (rows: readonly DueRow[], bytes: number) => void;
  readonly #restoreSync: string;
  #prunedSeq: number;

  constructor(db: Database.Database, keys: KeyIndex, seed: number) {
    this.#db = db;
    this.#keys = keys;
    this.#seed = seed;
    this.#next = db.prepare(
      `SELECT seq, key_hash, topic, event_id, received_at,
         octet_length(topic) + octet_length(event_id) + octet_length(timestamp) + octet_length(source)
           + octet_length(payload) AS bytes
       FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    );
    this.#forgetEntry = db.prepare('DELETE FROM dedup WHERE key_hash = ? AND seq = ?');
    this.#keepMarker = db.prepare('INSERT OR IGNORE INTO dedup (key_hash, seq) VALUES (?, ?)');
    this.#deleteRange = db.prepare('DELETE FROM events WHERE seq BETWEEN ? AND ?');
    this.#add = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value',
    );
    this.#set = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.#stats = db.prepare(retentionStatsSql);
    this.#pageSize = db.pragma('page_size', { simple: true }) as number;
    this.#restoreSync = String(db.pragma('synchronous', { simple: true }));
    this.#prunedSeq = this.stats().pruned_through_seq;
    this.#step = db.transaction((rows: readonly DueRow[], bytes: number) => {
      for (const r of rows) {
        this.#forgetEntry.run(r.key_hash, r.seq);
        this.#keepMarker.run(r.key_hash, prunedMarker(r.topic, r.event_id, this.#seed));
      }
      const last = rows[rows.length - 1].seq;
      this.#deleteRange.run(rows[0].seq, last);
      this.#set.run(counterKeys[0], last);
      this.#add.run(counterKeys[1], rows.length);
      this.#add.run(counterKeys[2], bytes);
    }).immediate;
  }

  /** Highest pruned seq (0: none): seqs are never reused, so the next one starts above it. */
  get prunedThrough(): number {
    return this.#prunedSeq;
  }

  stats(): RetentionStats {
    return this.#stats.get() ?? noRetention;
  }

  /** Bytes of the database's pages in use (free pages, which new rows reuse, excluded). */
  usedBytes(): number {
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const free = this.#db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * this.#pageSize;
  }

  /** One bounded step; call between commits, never inside one. */
  step(request: PruneRequest): PruneResult {
    const over = request.maxBytes !== undefined && this.usedBytes() > request.maxBytes;
    const before = request.receivedBefore ?? Number.NEGATIVE_INFINITY;
    if (!over && request.receivedBefore === undefined) return { pruned: 0, more: false };
    const through = Math.min(this.#keys.prunableThrough(), Number.MAX_SAFE_INTEGER);
    const candidates = this.#next.all(this.#prunedSeq, through, request.maxEvents);
    let due = 0;
    let bytes = 0;
    while (due < candidates.length && (over || candidates[due].received_at < before)) {
      bytes += candidates[due].bytes;
      due++;
    }
    if (due === 0) return { pruned: 0, more: false };
    const rows = due === candidates.length ? candidates : candidates.slice(0, due);
    this.#db.pragma('synchronous = NORMAL');
    try {
      this.#step(rows, bytes);
    } finally {
      this.#db.pragma(`synchronous = ${this.#restoreSync}`);
    }
    this.#prunedSeq = rows[rows.length - 1].seq;
    for (const r of rows) this.#keys.forget(r.key_hash, r.seq);
    // A full step may have more behind it; a partial one stopped at the first event not due.
    return { pruned: due, more: due === request.maxEvents };
  }
}
