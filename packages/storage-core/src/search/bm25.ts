/**
 * Okapi BM25 exactly as SQLite FTS5's built-in `bm25()` computes it, so an engine can score candidates in
 * JavaScript and rank them the way the index would: k1 = 1.2, b = 0.75; each phrase contributes
 * idf × f·(k1+1) / (f + k1·(1 − b + b·D/avgdl)), where f is the phrase's instance count weighted by the
 * column weights, D the entry's token count over all columns and avgdl the average over all rows; an idf
 * that would be zero or negative (a phrase in more than half of the rows) becomes 1e-6.
 *
 * FTS5 returns the negated sum (smaller is better); these functions return the sum (larger is better).
 */

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** Row count and average row length (tokens over all columns), as FTS5 keeps them. */
export interface Bm25Stats {
  rows: number;
  avgLength: number;
}

export function bm25Idf(rows: number, hits: number): number {
  const idf = Math.log((rows - hits + 0.5) / (hits + 0.5));
  return idf <= 0 ? 1e-6 : idf;
}

/** One phrase's saturation term (the part after idf): what a per-term impact list is ordered by. */
export function bm25Saturation(freq: number, length: number, avgLength: number): number {
  if (freq <= 0) return 0;
  return (freq * (BM25_K1 + 1)) / (freq + BM25_K1 * (1 - BM25_B + (BM25_B * length) / avgLength));
}

/** The BM25 score of one row: `freqs[i]` and `idfs[i]` per phrase, `length` the row's token count. */
export function bm25Score(
  freqs: ArrayLike<number>,
  idfs: ArrayLike<number>,
  length: number,
  avgLength: number,
): number {
  let score = 0;
  for (let i = 0; i < freqs.length; i++) {
    const f = freqs[i]!;
    if (f > 0) {
      score +=
        idfs[i]! * ((f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - BM25_B + (BM25_B * length) / avgLength)));
    }
  }
  return score;
}
