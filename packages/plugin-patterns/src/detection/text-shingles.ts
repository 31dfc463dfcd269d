const STOPWORDS = new Set(
  'a an and are as at be been by for from has have in into is it its of on or that the this to was were will with when while after before not no'.split(
    ' ',
  ),
);

/**
 * Lower-cased word tokens without stop words; a token holding a digit becomes `#`, so dataset names, job
 * numbers and timestamps that differ between otherwise identical incidents do not make them look different.
 */
const WORD = /[a-z0-9$#@]{2,}/g;
const HAS_DIGIT = /\d/;

export function normalizedTokens(text: string): string[] {
  const words = text.toLowerCase().match(WORD);
  if (words === null) return [];
  const out: string[] = [];
  for (const w of words) {
    if (!STOPWORDS.has(w)) out.push(HAS_DIGIT.test(w) ? '#' : w);
  }
  return out;
}

/** FNV-1a, 32 bits. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The sorted, distinct hashes of a text's word bigrams (unigrams for a one-word text). */
export function shingleSet(text: string): Uint32Array {
  const tokens = normalizedTokens(text);
  if (tokens.length === 0) return new Uint32Array(0);
  if (tokens.length === 1) return Uint32Array.of(fnv1a(tokens[0]!));
  const hashes = new Uint32Array(tokens.length - 1);
  let previous = fnv1a(tokens[0]!);
  for (let i = 1; i < tokens.length; i++) {
    const current = fnv1a(tokens[i]!);
    // An ordered pair of word hashes, mixed: "a b" and "b a" are different shingles.
    hashes[i - 1] = fmix32((Math.imul(previous, 0x9e3779b1) ^ current) >>> 0);
    previous = current;
  }
  hashes.sort();
  let n = 0;
  for (let i = 0; i < hashes.length; i++)
    if (i === 0 || hashes[i] !== hashes[i - 1]) hashes[n++] = hashes[i]!;
  return hashes.subarray(0, n);
}

/** Exact Jaccard similarity of two sorted distinct hash sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return common / (a.length + b.length - common);
}

/** murmur3's finaliser: a bijection on 32-bit integers that mixes every input bit into every output bit. */
function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const MINHASH_BANDS = 16;
export const MINHASH_ROWS = 3;
const MINHASH_SIZE = MINHASH_BANDS * MINHASH_ROWS;
// Multiply-add hashing of already well-mixed shingle hashes: odd multipliers make each a permutation of the
// 32-bit integers, and the minimum, which is decided by the high bits, is what MinHash needs.
const MULTIPLIERS = Uint32Array.from(
  { length: MINHASH_SIZE },
  (_, k) => fmix32(0x9e3779b9 + k * 0x632be5ab) | 1,
);
const ADDENDS = Uint32Array.from({ length: MINHASH_SIZE }, (_, k) => fmix32(0x7f4a7c15 + k * 0x2545f491));

/**
 * One LSH bucket key per band of the MinHash signature: two texts with Jaccard similarity s share at least
 * one bucket with probability 1 − (1 − s³)¹⁶ (0.98 at s = 0.6, 0.35 at s = 0.3).
 */
const SIGNATURE = new Uint32Array(MINHASH_SIZE);

export function bandKeys(shingles: Uint32Array): number[] {
  const signature = SIGNATURE.fill(0xffffffff);
  for (let i = 0; i < shingles.length; i++) {
    const s = shingles[i]!;
    for (let k = 0; k < MINHASH_SIZE; k++) {
      const h = (Math.imul(s, MULTIPLIERS[k]!) + ADDENDS[k]!) >>> 0;
      if (h < signature[k]!) signature[k] = h;
    }
  }
  const keys: number[] = [];
  for (let b = 0; b < MINHASH_BANDS; b++) {
    let h = fmix32(b + 1);
    for (let r = 0; r < MINHASH_ROWS; r++) h = fmix32(h ^ signature[b * MINHASH_ROWS + r]!);
    keys.push(h);
  }
  return keys;
}
