/**
 * The keys a table writer has inserted, as a scalable split-block Bloom filter: `mightHold` never answers false
 * for a key that was added, and answers true for one that was not one to three times in a thousand (0.11% at
 * 65,536 keys, 0.23% at 300,000, 0.30% at a million). An
 * import into a table that was empty when it began looks up in the table only the keys the filter might hold
 * (see `TableWriter.flush`).
 *
 * Keys are given by their 32-bit `keyHash`, computed once per row. Each key sets 8 bits in one 256-bit block
 * (one bit in each of the block's eight words, as Parquet's split-block filters do), so adding or testing a key
 * touches one cache line per layer instead of eight. Memory is 16 bits per key (a `Set` of the key strings would
 * be 50 bytes or more), in layers that grow fourfold: the first holds 65,536 keys. Past `maxBytes` no layer is
 * added and `mightHold` answers true for every key, so the writer looks every key up again, as it did before
 * there was a filter.
 */
export class KeyFilter {
  readonly #layers: Layer[] = [];
  readonly #firstCapacity: number;
  readonly #maxBytes: number;
  #bytes = 0;
  #saturated = false;

  constructor(options: { firstCapacity?: number; maxBytes?: number } = {}) {
    this.#firstCapacity = options.firstCapacity ?? 1 << 16;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isSafeInteger(this.#firstCapacity) || this.#firstCapacity < 1)
      throw new RangeError('KeyFilter: firstCapacity must be a positive integer');
  }

  /** Bytes the filter's blocks hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Past `maxBytes`: every key might be held. */
  get saturated(): boolean {
    return this.#saturated;
  }

  /** Adds the key whose `keyHash` is `hash`. */
  add(hash: number): void {
    if (this.#saturated) return;
    let layer = this.#layers.at(-1);
    if (layer === undefined || layer.count >= layer.capacity) {
      const capacity = layer === undefined ? this.#firstCapacity : layer.capacity * GROWTH;
      // A power of two of blocks, each 8 words: one block per BLOCK_KEYS keys.
      const blocks = 2 ** Math.ceil(Math.log2(Math.ceil(capacity / BLOCK_KEYS)));
      if (this.#bytes + blocks * 32 > this.#maxBytes) {
        this.#saturated = true;
        this.#layers.length = 0;
        this.#bytes = 0;
        return;
      }
      layer = { capacity, count: 0, words: new Uint32Array(blocks * 8) };
      this.#layers.push(layer);
      this.#bytes += blocks * 32;
    }
    const words = layer.words;
    const base = blockOf(words, fmix(hash));
    const bits = bitsOf(hash);
    for (let i = 0; i < 8; i++) words[base + i]! |= 1 << (Math.imul(bits, SALT[i]!) >>> 27);
    layer.count += 1;
  }

  /** False only when the key whose `keyHash` is `hash` was never added. */
  mightHold(hash: number): boolean {
    if (this.#saturated) return true;
    const block = fmix(hash);
    const bits = bitsOf(hash);
    for (const layer of this.#layers) {
      const words = layer.words;
      const base = blockOf(words, block);
      let all = true;
      for (let i = 0; all && i < 8; i++)
        all = (words[base + i]! & (1 << (Math.imul(bits, SALT[i]!) >>> 27))) !== 0;
      if (all) return true;
    }
    return false;
  }
}

interface Layer {
  readonly capacity: number;
  count: number;
  readonly words: Uint32Array;
}

/** 16 keys per 256-bit block: 16 bits a key. */
const BLOCK_KEYS = 16;
const GROWTH = 4;
/** Parquet's split-block salts: odd constants, one per word of a block. */
const SALT = new Uint32Array([
  0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31,
]);

/** The first word of the block `mixed` (the key's mixed hash) picks in `words`. */
function blockOf(words: Uint32Array, mixed: number): number {
  return (mixed & ((words.length >>> 3) - 1)) << 3;
}

/** A second mix of the hash, whose top five bits under each salt pick a bit of each word. */
function bitsOf(hash: number): number {
  return fmix(Math.imul(hash, 0x9e3779b1) ^ 0x5bd1e995);
}

/**
 * A key's 32-bit hash: FNV-1a over its UTF-16 code units and its length. Two keys with the same hash are one
 * key to the filter: at n keys that adds n / 2^32 to the false positives (0.01% at 489,306), and costs a
 * look-up only.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h ^ key.length) >>> 0;
}

/** MurmurHash3's finaliser. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
