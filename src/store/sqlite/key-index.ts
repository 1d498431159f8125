/**
 * The dedup index: which seqs are stored under a key hash. Two levels, so the
 * index stays cheap to write as history grows into tens of millions of events:
 *
 * - L0, in memory (HashMultimap): the keys of the newest events. Inserting a
 *   random key costs a memory write, not a random B-tree page in the WAL.
 * - L1, the `dedup (key_hash, seq)` table in the same database. Keys move
 *   there in bulk: once L0 holds `mergeAt` keys they are copied out, sorted
 *   by hash, into one flat array (16 bytes a key, half of L0's table, which
 *   is cleared and reused), split into `chunks` hash ranges, and each range
 *   is inserted in key order in a short transaction of its own between
 *   commits. A sorted insert touches each L1 leaf once per merge instead of
 *   once per key — measured ~4× less written per event than a B-tree index
 *   maintained row by row (bench/RESULTS.md).
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
  /** Hash ranges a merge is split into (one short transaction each): a power of two up to 65,536. */
  readonly chunks: number;
}

/**
 * Keys being merged are grouped by the top 16 bits of their 53-bit hash: a
 * counting sort into 65,536 groups of a few keys each (then an insertion sort
 * inside each) sorts a merge in linear time, and a lookup scans one group.
 */
const GROUP_BITS = 16;
const GROUPS = 2 ** GROUP_BITS;
const group = (hash: number) => Math.floor(hash / 2 ** (53 - GROUP_BITS));

const keyIndexSchema = `
CREATE TABLE IF NOT EXISTS dedup (
  key_hash INTEGER NOT NULL,
  seq      INTEGER NOT NULL,
  PRIMARY KEY (key_hash, seq)
) WITHOUT ROWID;
`;

interface Merge {
  /** The keys being merged, [hash, seq, hash, seq, …] sorted by hash. */
  readonly pairs: Float64Array;
  /** Group g's pairs are pairs[2 * starts[g] … 2 * starts[g + 1]). */
  readonly starts: Uint32Array;
  readonly maxSeq: number;
  /** Chunks already in L1 (in the filter too, so lookups find them there). */
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
  #merge: Merge | undefined;
  /** Keys added by the open transaction, so a rollback can take them back out of L0. */
  #added: number[] = [];
  /** Every event up to this seq has its key in L1 (meta.merged_seq). */
  #merged: number;

  constructor(db: Database.Database, options: KeyIndexOptions) {
    if (!Number.isInteger(Math.log2(options.chunks)) || options.chunks > GROUPS)
      throw new RangeError(`chunks must be a power of two up to ${GROUPS}, not ${options.chunks}`);
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
    const merge = this.#merge;
    if (merge === undefined) return this.#active.size;
    return this.#active.size + merge.pairs.length / 2 - merge.starts[this.#chunkStart(merge.next)];
  }

  /** Seqs of stored events whose key hash is `hash` (confirm each against the full key). Call inside a transaction. */
  candidates(hash: number): number[] {
    const out: number[] = [];
    this.#active.collect(hash, out);
    if (this.#merge !== undefined) this.#collectMerging(this.#merge, hash, out);
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
    const from = merge.starts[this.#chunkStart(merge.next)];
    const to = merge.starts[this.#chunkStart(merge.next + 1)];
    const chunk = merge.pairs.subarray(2 * from, 2 * to);
    const last = merge.next === this.#options.chunks - 1;
    this.#mergeStep(chunk, last, merge.maxSeq);
    // After the commit, before lookups stop looking at this chunk in memory.
    for (let i = 0; i < chunk.length; i += 2) this.#filter.add(chunk[i]);
    merge.next++;
    if (last) {
      this.#merge = undefined;
      this.#merged = merge.maxSeq;
    }
    return !last;
  }

  /** The first group of chunk c. */
  #chunkStart(c: number): number {
    return c * (GROUPS / this.#options.chunks);
  }

  #collectMerging(merge: Merge, hash: number, out: number[]): void {
    const g = group(hash);
    if (g < this.#chunkStart(merge.next)) return; // merged: L1 has it
    const { pairs, starts } = merge;
    for (let i = starts[g]; i < starts[g + 1]; i++) if (pairs[2 * i] === hash) out.push(pairs[2 * i + 1]);
  }

  /** Copies L0 out sorted by hash (see `group`) and empties its table for the keys to come. */
  #freeze(): void {
    const l0 = this.#active;
    const starts = new Uint32Array(GROUPS + 1);
    let maxSeq = 0;
    l0.forEach((hash, seq) => {
      starts[group(hash) + 1]++;
      if (seq > maxSeq) maxSeq = seq;
    });
    for (let g = 0; g < GROUPS; g++) starts[g + 1] += starts[g];
    const fill = starts.slice(0, GROUPS);
    const pairs = new Float64Array(2 * l0.size);
    l0.forEach((hash, seq) => {
      const i = fill[group(hash)]++;
      pairs[2 * i] = hash;
      pairs[2 * i + 1] = seq;
    });
    for (let g = 0; g < GROUPS; g++) sortGroup(pairs, starts[g], starts[g + 1]);
    // Reused rather than replaced: a new table next to the old one until a GC frees it is 2× the memory.
    l0.clear();
    this.#merge = { pairs, starts, maxSeq, next: 0 };
  }
}

/** Insertion sort of pairs [from, to) by hash: a group holds a handful of keys. */
function sortGroup(pairs: Float64Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    const hash = pairs[2 * i];
    const seq = pairs[2 * i + 1];
    let j = i - 1;
    for (; j >= from && pairs[2 * j] > hash; j--) {
      pairs[2 * j + 2] = pairs[2 * j];
      pairs[2 * j + 3] = pairs[2 * j + 1];
    }
    pairs[2 * j + 2] = hash;
    pairs[2 * j + 3] = seq;
  }
}
