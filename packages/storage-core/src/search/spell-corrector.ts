import type { QueryAtom, QueryClause } from './query-types.js';
import type { SearchCorrection } from './search-types.js';
import { hasDigit } from './tokenizer.js';

/**
 * Typo correction against the index vocabulary. A query word that the index does not hold is replaced by the
 * vocabulary word it most plausibly misspells: within one edit (two for words of 8 characters or more),
 * counting an adjacent transposition as one edit (`VASM` → `vsam`), and preferring, among candidates, the
 * cheapest kind of slip and then the most frequent word.
 *
 * Edits are weighted by how people mistype: swapping two letters (0.6) and leaving one out (0.7, `abnd` →
 * `abend`) are commoner than typing a wrong one or an extra one (1.0), and a correction shorter than what was
 * typed ranks a little lower still (short words are mostly function words nobody searches for). The weights
 * matter: `abnd` is one edit from `abend` and from the far more frequent `and`, and an analyst means `abend`.
 *
 * Terms with digits are never corrected and never offered: codes differ by one character on purpose
 * (IEF212I and IEF213I, S0C7 and S0C4 are different errors), so fuzzing them only hurts precision.
 *
 * Lookup scans only the vocabulary words whose length is within the edit budget, and skips most of those
 * with a character-set bitmask before computing the distance; a few thousand to a few hundred thousand
 * words answer in well under a millisecond to a few milliseconds.
 */

export interface CorrectionCandidate {
  term: string;
  /** Entries holding the term (as the vocabulary knew it). */
  df: number;
  /** Weighted edit cost from the query word. */
  cost: number;
}

const COST = { transpose: 0.6, missing: 0.7, extra: 1.0, substitute: 1.0 } as const;
/** Added when ranking a candidate shorter than the typed word. */
const SHORTER_PENALTY = 0.15;
/** Each tenfold in document frequency is worth this much edit cost. */
const DF_WEIGHT = 0.15;
/** Changing the first letter is a rarer slip than any other. */
const FIRST_LETTER_PENALTY = 0.3;
/** Words shorter than this are too ambiguous to correct. */
export const MIN_CORRECTABLE_LENGTH = 3;

interface Bucket {
  terms: string[];
  masks: number[];
  dfs: number[];
  index: Map<string, number>;
}

function charMask(term: string): number {
  let mask = 0;
  for (let i = 0; i < term.length; i++) {
    const c = term.charCodeAt(i);
    mask |= 1 << (c >= 97 && c <= 122 ? c - 97 : 26 + (c % 6));
  }
  return mask;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The largest number of edits allowed for a word of this length. */
export function maxEdits(length: number): number {
  return length >= 8 ? 2 : 1;
}

/**
 * Weighted restricted Damerau–Levenshtein (optimal string alignment) cost of turning `typed` into `word`,
 * or Infinity once it must exceed `limit`.
 */
export function editCost(typed: string, word: string, limit: number): number {
  const n = typed.length;
  const m = word.length;
  let prev2 = new Float64Array(m + 1);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * COST.missing;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * COST.extra;
    let rowMin = cur[0]!;
    const a = typed.charCodeAt(i - 1);
    for (let j = 1; j <= m; j++) {
      const b = word.charCodeAt(j - 1);
      let best = Math.min(
        prev[j]! + COST.extra,
        cur[j - 1]! + COST.missing,
        prev[j - 1]! + (a === b ? 0 : COST.substitute),
      );
      if (i > 1 && j > 1 && a === word.charCodeAt(j - 2) && typed.charCodeAt(i - 2) === b && a !== b) {
        best = Math.min(best, prev2[j - 2]! + COST.transpose);
      }
      cur[j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > limit + 1e-9) return Number.POSITIVE_INFINITY;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  const cost = prev[m]!;
  return cost <= limit + 1e-9 ? cost : Number.POSITIVE_INFINITY;
}

export class SpellCorrector {
  readonly #buckets = new Map<number, Bucket>();

  /** `vocabulary`: index terms with the number of entries holding each. */
  constructor(vocabulary: Iterable<readonly [string, number]> = []) {
    for (const [term, df] of vocabulary) this.add(term, df);
  }

  /** Adds `df` to a term's count (adding the term when it is new); terms with digits are ignored. */
  add(term: string, df: number): void {
    if (term.length < MIN_CORRECTABLE_LENGTH || hasDigit(term)) return;
    let bucket = this.#buckets.get(term.length);
    if (!bucket) {
      bucket = { terms: [], masks: [], dfs: [], index: new Map() };
      this.#buckets.set(term.length, bucket);
    }
    const at = bucket.index.get(term);
    if (at !== undefined) {
      bucket.dfs[at] = bucket.dfs[at]! + df;
      return;
    }
    bucket.index.set(term, bucket.terms.length);
    bucket.terms.push(term);
    bucket.masks.push(charMask(term));
    bucket.dfs.push(df);
  }

  /** Entries holding `term` as far as this vocabulary knows (0 when unknown or a code). */
  df(term: string): number {
    const bucket = this.#buckets.get(term.length);
    const at = bucket?.index.get(term);
    return at === undefined ? 0 : bucket!.dfs[at]!;
  }

  /** Vocabulary words within the edit budget of `word`, best first. */
  candidates(word: string): CorrectionCandidate[] {
    if (word.length < MIN_CORRECTABLE_LENGTH || hasDigit(word)) return [];
    const edits = maxEdits(word.length);
    const limit = edits * 1.0;
    const mask = charMask(word);
    const out: (CorrectionCandidate & { rank: number })[] = [];
    for (let length = word.length - edits; length <= word.length + edits; length++) {
      const bucket = this.#buckets.get(length);
      if (!bucket) continue;
      for (let k = 0; k < bucket.terms.length; k++) {
        if (popcount(mask ^ bucket.masks[k]!) > 2 * edits) continue;
        const term = bucket.terms[k]!;
        if (term === word || bucket.dfs[k]! <= 0) continue;
        const cost = editCost(word, term, limit);
        if (cost === Number.POSITIVE_INFINITY) continue;
        const df = bucket.dfs[k]!;
        const penalty =
          (term.charCodeAt(0) === word.charCodeAt(0) ? 0 : FIRST_LETTER_PENALTY) +
          (term.length < word.length ? SHORTER_PENALTY : 0);
        out.push({ term, df, cost, rank: cost + penalty - DF_WEIGHT * Math.log10(1 + df) });
      }
    }
    out.sort((a, b) => a.rank - b.rank || b.df - a.df || (a.term < b.term ? -1 : 1));
    return out.map(({ rank: _rank, ...c }) => c);
  }

  /** The most plausible intended word for `word`, if any. */
  best(word: string): CorrectionCandidate | undefined {
    return this.candidates(word)[0];
  }
}

/** Words held by fewer entries than this are checked for a much commoner neighbour (likely a typo in the data). */
export const RARE_WORD_DF = 3;
/** A correction is offered for a present-but-rare word only when the neighbour is this many times commoner. */
export const RARE_WORD_RATIO = 20;

/**
 * Applies a correction the engines found for `atom.terms[i]`, held by `held` entries: an absent word is
 * replaced by `to` (noted in `correctedFrom`); a rare single word is widened with `to` as an alternative when
 * `to` is held by at least RARE_WORD_RATIO times as many entries (`toDf`). Records what it did.
 */
export function applyCorrection(
  clause: QueryClause,
  atom: QueryAtom,
  i: number,
  held: number,
  to: string,
  toDf: number,
  corrections: SearchCorrection[],
): void {
  const term = atom.terms[i]!;
  const from = atom.terms.length === 1 ? atom.raw : term;
  if (held === 0) {
    atom.correctedFrom ??= [...atom.terms];
    atom.terms[i] = to;
    corrections.push({ from, to });
  } else if (atom.terms.length === 1 && !atom.prefix && toDf >= RARE_WORD_RATIO * held) {
    clause.atoms.push({ raw: to, terms: [to], prefix: false, quoted: false, correctedFrom: [term] });
    corrections.push({ from, to });
  }
}
