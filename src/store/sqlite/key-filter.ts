/**
 * A scalable Bloom filter over 53-bit key hashes: "is this key possibly in
 * the on-disk dedup table?" A "no" is certain, so a new key — most of the
 * traffic — skips the table lookup, which at tens of millions of keys is a
 * random page read. A "maybe" (every stored key, plus ~1 % of new ones) is
 * settled by the lookup, so the filter never decides a duplicate by itself.
 *
 * Scalable: when a filter reaches its capacity a twice-as-large one is added
 * (Almeida et al., "Scalable Bloom Filters", 2007), so it never needs the
 * key count in advance nor a rebuild while running. 10 bits and 7 probes a
 * key: ~0.8 % false positives per filter, ~1.3 MB a million keys.
 */
const BITS_PER_KEY = 10;
const PROBES = 7;

interface Layer {
  readonly bits: Uint32Array;
  readonly mask: number;
  readonly capacity: number;
  count: number;
}

export class KeyFilter {
  readonly #layers: Layer[] = [];
  #size = 0;

  constructor(readonly initialCapacity = 1 << 20) {}

  get size(): number {
    return this.#size;
  }

  get bytes(): number {
    return this.#layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }

  add(hash: number): void {
    let layer = this.#layers.at(-1);
    if (layer === undefined || layer.count >= layer.capacity) {
      // Power-of-two sizes (a mask, not a division, per probe); the capacity follows the size.
      const bitCount =
        layer === undefined
          ? 2 ** Math.ceil(Math.log2(this.initialCapacity * BITS_PER_KEY))
          : (layer.mask + 1) * 2;
      const capacity = Math.floor(bitCount / BITS_PER_KEY);
      layer = { bits: new Uint32Array(bitCount / 32), mask: bitCount - 1, capacity, count: 0 };
      this.#layers.push(layer);
    }
    const b = second(hash);
    for (let i = 0, a = hash >>> 0; i < PROBES; i++, a = (a + b) >>> 0) {
      const bit = a & layer.mask;
      layer.bits[bit >>> 5] |= 1 << (bit & 31);
    }
    layer.count++;
    this.#size++;
  }

  mightContain(hash: number): boolean {
    for (const layer of this.#layers) if (contains(layer, hash)) return true;
    return false;
  }
}

function contains(layer: Layer, hash: number): boolean {
  const b = second(hash);
  for (let i = 0, a = hash >>> 0; i < PROBES; i++, a = (a + b) >>> 0) {
    const bit = a & layer.mask;
    if ((layer.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}

/**
 * Double hashing (Kirsch & Mitzenmacher): probe i is a + i·b, with a the
 * hash's low 32 bits and b an odd mix of both halves.
 */
function second(hash: number): number {
  return (Math.imul(((hash / 4294967296) >>> 0) ^ (hash >>> 0), 0x9e3779b1) | 1) >>> 0;
}
