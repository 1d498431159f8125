/**
 * The dedup index: which seqs are stored under a key hash. Two levels, so the
 * index stays cheap to write as history grows into tens of millions of events:
 *
 * - L0, in memory (HashMultimap): the keys of the newest events. Inserting a
 *   random key costs a memory write, not a random B-tree page in the WAL.
 * - L1, the `dedup (key_hash, seq)` table in the same database. Keys move
 *   there in bulk: L0 is frozen once it holds `mergeAt` keys, split into
 *   `chunks` hash ranges, and each range is inserted in key order in a short
 *   transaction of its own between commits. A sorted insert touches each L1
 *   leaf once per merge instead of once per key — measured ~4× less written
 *   per event than a B-tree index maintained row by row (bench/RESULTS.md).
 *
 * L0 is never written to disk: `meta.merged_seq` records that every event up
 * to that seq is in L1, and on open L0 is rebuilt from the (durable) event
 * rows after it. So after kill -9 nothing is lost; a merge interrupted
 * half-way merely re-inserts keys that are already there (INSERT OR IGNORE).
 *
 * Retention (sqlite-pruner.ts) replaces a pruned event's L1 entry with a
 * marker (pruned-keys.ts) in its own transaction, then calls forget(): the
 * key leaves L0 and enters the filter. It never prunes an event of a merge in
 * progress (prunableThrough), whose entry is on its way to L1 from memory.
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { HashMultimap } from './hash-multimap.js';
import { KeyFilter } from './key-filter.js';

export interface KeyIndexOptions {
  /** L0 keys that trigger a merge into L1. */
  readonly mergeAt: number;
  /** Hash ranges a merge is split into (one short transaction each). */
  readonly chunks: number;
}

const HASH_SPACE = 2 ** 53;

const keyIndexSchema = `
CREATE TABLE IF NOT EXISTS dedup (
  key_hash INTEGER NOT NULL,
  seq      INTEGER NOT NULL,
  PRIMARY KEY (key_hash, seq)
) WITHOUT ROWID;
`;

interface Merge {
  readonly buckets: Float64Array[]; // interleaved [hash, seq, hash, seq, …] per hash range
  readonly maxSeq: number;
  next: number;
}

export class KeyIndex {
  readonly #options: KeyIndexOptions;
  readonly #probe: Statement<[number], number>;
  readonly #put: Statement<[number, number]>;
  readonly #setMerged: Statement<[number]>;
  readonly #mergeStep: (bucket: Float64Array, last: boolean, maxSeq: number) => void;
  /** Every key in L1 (and possibly a few more): a "no" skips the L1 lookup. */
  readonly #filter = new KeyFilter();
  #active: HashMultimap;
  #frozen: HashMultimap | undefined;
  #merge: Merge | undefined;
  /** Keys added by the open transaction, so a rollback can take them back out of L0. */
  #added: number[] = [];
  /** Every event up to this seq has its key in L1 (meta.merged_seq). */
  #merged: number;

  constructor(db: Database.Database, options: KeyIndexOptions) {
    this.#options = options;
    db.exec(keyIndexSchema);
    this.#probe = db.prepare<[number], number>('SELECT seq FROM dedup WHERE key_hash = ?').pluck();
    this.#put = db.prepare('INSERT OR IGNORE INTO dedup (key_hash, seq) VALUES (?, ?)');
    this.#setMerged = db.prepare(
      "INSERT INTO meta (key, value) VALUES ('merged_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    this.#mergeStep = db.transaction((bucket: Float64Array, last: boolean, maxSeq: number) => {
      for (let i = 0; i < bucket.length; i += 2) this.#put.run(bucket[i], bucket[i + 1]);
      if (last) this.#setMerged.run(maxSeq);
    }).immediate;

    // The filter is memory only: rebuilt from L1's keys (a covering scan of its primary key).
    const l1Keys = db.prepare<[], number>('SELECT key_hash FROM dedup').pluck();
    for (const hash of l1Keys.iterate()) this.#filter.add(hash);

    // Rebuild L0 from the durable rows that L1 does not hold yet.
    const merged =
      db.prepare<[], number>("SELECT value FROM meta WHERE key = 'merged_seq'").pluck().get() ?? 0;
    this.#merged = merged;
    this.#active = new HashMultimap(options.mergeAt);
    const tail = db
      .prepare<[number], [number, number]>('SELECT key_hash, seq FROM events WHERE seq > ?')
      .raw();
    for (const [hash, seq] of tail.iterate(merged)) this.#active.add(hash, seq);
  }

  /** Keys held in memory (L0, both the active and the merging part). */
  get memoryKeys(): number {
    return this.#active.size + (this.#frozen?.size ?? 0);
  }

  /** Seqs of stored events whose key hash is `hash` (confirm each against the full key). Call inside a transaction. */
  candidates(hash: number): number[] {
    const out: number[] = [];
    this.#active.collect(hash, out);
    this.#frozen?.collect(hash, out);
    if (!this.#filter.mightContain(hash)) return out;
    // all(), not iterate(): an iterator costs ~10k instructions to set up, more than the lookup itself.
    for (const seq of this.#probe.all(hash)) if (!out.includes(seq)) out.push(seq);
    return out;
  }

  /** Records a key stored by the open transaction. */
  add(hash: number, seq: number): void {
    this.#active.add(hash, seq);
    this.#added.push(hash, seq);
  }

  /** The open transaction committed. */
  committed(): void {
    this.#added.length = 0;
  }

  /** The open transaction rolled back: forget its keys. */
  rolledBack(): void {
    for (let i = 0; i < this.#added.length; i += 2) this.#active.remove(this.#added[i], this.#added[i + 1]);
    this.#added.length = 0;
  }

  /** Highest seq retention may prune now: none of a merge in progress, any otherwise. */
  prunableThrough(): number {
    return this.#merge === undefined ? Number.POSITIVE_INFINITY : this.#merged;
  }

  /**
   * A committed prune replaced this event's entry with a marker in L1: the
   * filter must now let the key through to L1, and L0 must drop the seq
   * (its row is gone, and L0 is rebuilt from rows on open).
   */
  forget(hash: number, seq: number): void {
    this.#filter.add(hash);
    this.#active.remove(hash, seq);
  }

  /**
   * Does one bounded piece of merge work in its own transaction: starts a merge
   * when L0 is full, or moves the next hash range into L1. Call between
   * commits, never inside one. Returns true while a merge is in progress.
   */
  maintain(): boolean {
    if (this.#merge === undefined) {
      if (this.#active.size < this.#options.mergeAt) return false;
      this.#freeze();
    }
    const merge = this.#merge as Merge;
    const bucket = sortPairs(merge.buckets[merge.next]);
    const last = merge.next === merge.buckets.length - 1;
    this.#mergeStep(bucket, last, merge.maxSeq);
    // After the commit, before the keys leave L0 (the frozen part is dropped with the last chunk).
    for (let i = 0; i < bucket.length; i += 2) this.#filter.add(bucket[i]);
    merge.buckets[merge.next] = new Float64Array(0);
    merge.next++;
    if (last) {
      this.#merge = undefined;
      this.#frozen = undefined;
      this.#merged = merge.maxSeq;
    }
    return !last;
  }

  #freeze(): void {
    const frozen = this.#active;
    this.#frozen = frozen;
    this.#active = new HashMultimap(this.#options.mergeAt);
    const chunks = this.#options.chunks;
    const counts = new Array<number>(chunks).fill(0);
    let maxSeq = 0;
    frozen.forEach((hash, seq) => {
      counts[Math.floor((hash / HASH_SPACE) * chunks)]++;
      if (seq > maxSeq) maxSeq = seq;
    });
    const buckets = counts.map((n) => new Float64Array(n * 2));
    const fill = new Array<number>(chunks).fill(0);
    frozen.forEach((hash, seq) => {
      const c = Math.floor((hash / HASH_SPACE) * chunks);
      buckets[c][fill[c]++] = hash;
      buckets[c][fill[c]++] = seq;
    });
    this.#merge = { buckets, maxSeq, next: 0 };
  }
}

/** Returns the [hash, seq] pairs sorted by hash, so the L1 insert walks its B-tree left to right. */
function sortPairs(pairs: Float64Array): Float64Array {
  const n = pairs.length / 2;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => pairs[2 * a] - pairs[2 * b]);
  const sorted = new Float64Array(pairs.length);
  for (let i = 0; i < n; i++) {
    sorted[2 * i] = pairs[2 * order[i]];
    sorted[2 * i + 1] = pairs[2 * order[i] + 1];
  }
  return sorted;
}
