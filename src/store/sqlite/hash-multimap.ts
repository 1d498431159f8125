/**
 * A compact in-memory multimap from a 53-bit key hash to the seqs stored under
 * it: open addressing with linear probing over two Float64Arrays (16 bytes a
 * slot, no per-entry objects, so a million entries cost ~32 MB and nothing for
 * the garbage collector to trace). Equal hashes (different keys that collide)
 * are simply separate entries; lookups return all of them.
 *
 * Values are seqs (≥ 1); 0 marks an empty slot and -1 a removed entry (a
 * rolled-back transaction's keys, or a pruned event's).
 */
const EMPTY = 0;
const REMOVED = -1;

export class HashMultimap {
  #keys: Float64Array;
  #values: Float64Array;
  #mask: number;
  #used = 0; // slots ever filled, removed ones included: they still lengthen probes
  #size = 0;

  constructor(capacity = 1024) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.#keys = new Float64Array(slots);
    this.#values = new Float64Array(slots);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#keys.byteLength + this.#values.byteLength;
  }

  add(hash: number, seq: number): void {
    if ((this.#used + 1) * 2 > this.#keys.length) this.#grow();
    let i = this.#slot(hash);
    while (this.#values[i] !== EMPTY) i = (i + 1) & this.#mask;
    this.#keys[i] = hash;
    this.#values[i] = seq;
    this.#used++;
    this.#size++;
  }

  /** Appends every seq stored under `hash` to `out`. */
  collect(hash: number, out: number[]): void {
    for (let i = this.#slot(hash); this.#values[i] !== EMPTY; i = (i + 1) & this.#mask) {
      if (this.#keys[i] === hash && this.#values[i] !== REMOVED) out.push(this.#values[i]);
    }
  }

  remove(hash: number, seq: number): void {
    for (let i = this.#slot(hash); this.#values[i] !== EMPTY; i = (i + 1) & this.#mask) {
      if (this.#keys[i] === hash && this.#values[i] === seq) {
        this.#values[i] = REMOVED;
        this.#size--;
        return;
      }
    }
  }

  /** Removes every entry, keeping the table's size. */
  clear(): void {
    this.#keys.fill(0);
    this.#values.fill(EMPTY);
    this.#used = 0;
    this.#size = 0;
  }

  /** Calls fn for every entry, in no particular order. */
  forEach(fn: (hash: number, seq: number) => void): void {
    for (let i = 0; i < this.#values.length; i++) {
      const v = this.#values[i];
      if (v !== EMPTY && v !== REMOVED) fn(this.#keys[i], v);
    }
  }

  #slot(hash: number): number {
    // The hash is already well mixed; its low 32 bits pick the slot.
    return (hash >>> 0) & this.#mask;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Float64Array(keys.length * 2);
    this.#values = new Float64Array(values.length * 2);
    this.#mask = this.#keys.length - 1;
    this.#used = 0;
    this.#size = 0;
    for (let i = 0; i < values.length; i++) {
      if (values[i] !== EMPTY && values[i] !== REMOVED) this.add(keys[i], values[i]);
    }
  }
}
