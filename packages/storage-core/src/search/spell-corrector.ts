import { isCommonEnglishWord } from './common-english-words.js';
import type { ParsedQuery, QueryAtom, QueryClause } from './query-types.js';
import type { SearchCorrection } from './search-types.js';
import { hasDigit } from './tokenizer.js';

/**
 * Typo correction against the index vocabulary. `candidates` lists the vocabulary words within one edit of a
 * query word (two for words of 8 characters or more), counting an adjacent transposition as one edit
 * (`VASM` → `vsam`), best first: the cheapest kind of slip, then the most frequent word. `best` decides whether
 * one of them is what was meant.
 *
 * Edits are weighted by how people mistype: swapping two letters (0.6) and leaving one out (0.7, `abnd` →
 * `abend`) are commoner than typing a wrong one or an extra one (1.0), and a correction shorter than what was
 * typed ranks a little lower still (short words are mostly function words nobody searches for). The weights
 * matter: `abnd` is one edit from `abend` and from the far more frequent `and`, and an analyst means `abend`.
 *
 * When a word is corrected at all:
 *
 * 1. Only a word no entry holds. A word of the vocabulary, however rare, is a word of the store (the engines
 *    check this with the index itself; see `applyCorrection`).
 * 2. Never a word with a digit, and never a word of fewer than 3 characters: codes differ by one character on
 *    purpose (IEF212I and IEF213I, S0C7 and S0C4 are different errors), and short words have too many
 *    neighbours. Terms with digits are never offered either.
 * 3. Never one of the ~4,000 commonest English words (common-english-words.ts): `near` is not a slip of
 *    `year`, nor `cold` of `could`; the store simply has nothing about it.
 * 4. Only into a word the typed one is a typing slip of (`slipCost`): the first letter kept, the last letter
 *    kept unless the last two are swapped, a wrong letter only from a key next to the right one on a QWERTY
 *    keyboard (the typo model of the testkit's benchmark, `misspellings`), and at most one slip under 8
 *    letters, two cheap ones (letters left out, letters swapped) from 8. A derived or different word is not
 *    a slip: `unclosed` is `closed` with two letters in front, `near` → `year` changes the first letter,
 *    `adjusts` → `adjust` the ending, `bake` → `base` swaps keys far apart. The price: a spelling error that
 *    is no typing slip (`seperate`, a vowel for another) is not corrected either.
 *
 * Measured on the bundled sample KB (36 entries): of the words of a 104,000-word English dictionary
 * (SCOWL 50, Debian's `wamerican`) that it does not hold, the old rule (the best word within the edit
 * budget) corrected 7.2% into another word; this rule corrects 0.6%, mostly real words one slip from another
 * (`bath` → `batch`). Every single-slip misspelling of its vocabulary words under the benchmark's typo model
 * (testkit `misspellings`) is corrected to the intended word as often as before: 99.4% → 99.6%, wrong words
 * 0.6% → 0.2%. The seed-anchor entries and synthetic corpora of 1,000 and 20,000 entries give the same
 * picture (8.5% → 0.8%, 5.7% → 0.6%, 5.8% → 0.6% of dictionary words; 99.0–99.5% of typos). A threshold on
 * the corrected word's entry count was measured too and rejected: in a small KB nearly every word is held by
 * one or two entries, so it dropped two thirds of the true corrections.
 *
 * Each correction carries a confidence (`correctionConfidence`): how much of the word the slip leaves intact
 * times how established the corrected word is in the store.
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
/** Slip cost allowed for a word of 8 characters or more: two letters left out (0.7 each) or swapped (0.6). */
const TWO_SLIPS = 2 * COST.missing;

/** A correction `best` settled on: a candidate and how sure the corrector is of it. */
export interface Correction extends CorrectionCandidate {
  /** 0..1; see `correctionConfidence`. */
  confidence: number;
}

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
  return alignmentCost(typed, 0, typed.length, word, 0, word.length, limit, anyLetter);
}

const anyLetter = (_a: number, _b: number) => true;

/**
 * `alignmentCost` over `typed[ts, te)` and `word[ws, we)`; a substitution of `a` by `b` is allowed only when
 * `substitutable(a, b)`.
 */
function alignmentCost(
  typed: string,
  ts: number,
  te: number,
  word: string,
  ws: number,
  we: number,
  limit: number,
  substitutable: (a: number, b: number) => boolean,
): number {
  const n = te - ts;
  const m = we - ws;
  let prev2 = new Float64Array(m + 1);
  let prev = new Float64Array(m + 1);
  let cur = new Float64Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j * COST.missing;
  for (let i = 1; i <= n; i++) {
    cur[0] = i * COST.extra;
    let rowMin = cur[0]!;
    const a = typed.charCodeAt(ts + i - 1);
    for (let j = 1; j <= m; j++) {
      const b = word.charCodeAt(ws + j - 1);
      let best = Math.min(prev[j]! + COST.extra, cur[j - 1]! + COST.missing);
      if (a === b) best = Math.min(best, prev[j - 1]!);
      else if (substitutable(a, b)) best = Math.min(best, prev[j - 1]! + COST.substitute);
      if (
        i > 1 &&
        j > 1 &&
        a === word.charCodeAt(ws + j - 2) &&
        typed.charCodeAt(ts + i - 2) === b &&
        a !== b
      ) {
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

/** Row and column of each letter on a QWERTY keyboard; each row sits about half a key right of the one above. */
const KEYS = new Map<number, readonly [row: number, column: number]>();
['qwertyuiop', 'asdfghjkl', 'zxcvbnm'].forEach((row, r) => {
  for (let c = 0; c < row.length; c++) KEYS.set(row.charCodeAt(c), [r, c]);
});

/**
 * True when a finger aiming for one key could hit the other: neighbours in a row, or touching keys of
 * adjacent rows (`s` touches `w`, `e`, `z`, `x`). Characters that are not a–z have no keyboard model here, so
 * any substitution between them counts.
 */
export function nextKeys(a: number, b: number): boolean {
  const p = KEYS.get(a);
  const q = KEYS.get(b);
  if (!p || !q) return true;
  if (p[0] === q[0]) return Math.abs(p[1] - q[1]) === 1;
  if (Math.abs(p[0] - q[0]) !== 1) return false;
  const [upper, lower] = p[0] < q[0] ? [p, q] : [q, p];
  return lower[1] === upper[1] || lower[1] === upper[1] - 1;
}

/** The slip cost allowed for a typed word of this length: one slip, or two cheap ones from 8 characters. */
export function slipLimit(length: number): number {
  return length >= 8 ? TWO_SLIPS : COST.substitute;
}

/**
 * The weighted cost of the typing slips that turn `word` into `typed`, or Infinity when `typed` is not a slip
 * of `word` within `limit`: the first letters must agree, the last letters too unless the last two are
 * swapped, and a wrong letter must come from a key next to the right one (`nextKeys`).
 */
export function slipCost(typed: string, word: string, limit: number = slipLimit(typed.length)): number {
  const n = typed.length;
  const m = word.length;
  if (n < 2 || m < 2 || typed.charCodeAt(0) !== word.charCodeAt(0)) return Number.POSITIVE_INFINITY;
  if (typed.charCodeAt(n - 1) === word.charCodeAt(m - 1)) {
    return alignmentCost(typed, 1, n - 1, word, 1, m - 1, limit, nextKeys);
  }
  const swapped =
    n >= 3 &&
    m >= 3 &&
    typed.charCodeAt(n - 1) === word.charCodeAt(m - 2) &&
    typed.charCodeAt(n - 2) === word.charCodeAt(m - 1);
  if (!swapped) return Number.POSITIVE_INFINITY;
  const rest = alignmentCost(typed, 1, n - 2, word, 1, m - 2, limit - COST.transpose, nextKeys);
  return rest + COST.transpose;
}

/**
 * How sure a correction of `typed` to `word` (held by `df` entries) is, 0..1: the share of the typed word the
 * slips leave intact (1 − slip cost / length: one swapped pair in `vasm` leaves 0.85) times how established
 * the word is in the store (df / (df + 1): 0.5 for a word of one entry, which may itself be a slip in the
 * data; 0.9 for nine). 0 when `typed` is no slip of `word`. Rounded to three decimals, so every engine
 * reports the same number.
 */
export function correctionConfidence(typed: string, word: string, df: number): number {
  const slip = slipCost(typed, word);
  if (slip === Number.POSITIVE_INFINITY || df <= 0) return 0;
  const intact = Math.max(0, 1 - slip / typed.length);
  return Math.round(intact * (df / (df + 1)) * 1000) / 1000;
}

/** True when a query word may be corrected at all: long enough, no digit, not a common English word. */
export function isCorrectable(word: string): boolean {
  return word.length >= MIN_CORRECTABLE_LENGTH && !hasDigit(word) && !isCommonEnglishWord(word);
}

export class SpellCorrector {
  readonly #buckets = new Map<number, Bucket>();
  /** The vocabulary still to read (`deferred`): read on the first lookup. */
  #source: (() => Iterable<readonly [string, number]>) | undefined;

  /** `vocabulary`: index terms with the number of entries holding each. */
  constructor(vocabulary: Iterable<readonly [string, number]> = []) {
    for (const [term, df] of vocabulary) this.add(term, df);
  }

  /**
   * A corrector that reads its vocabulary from `source` on the first lookup, not now: most searches never
   * correct a word, and a loaded store's vocabulary costs tens of milliseconds to bucket. `source` must give
   * the vocabulary as it is at that moment (a live view such as ChampionIndex.vocabulary): `add` is a no-op
   * until then, as the source will hold the term.
   */
  static deferred(source: () => Iterable<readonly [string, number]>): SpellCorrector {
    const corrector = new SpellCorrector();
    corrector.#source = source;
    return corrector;
  }

  #ready(): void {
    const source = this.#source;
    if (source === undefined) return;
    this.#source = undefined;
    for (const [term, df] of source()) this.add(term, df);
  }

  /** Adds `df` to a term's count (adding the term when it is new); terms with digits are ignored. */
  add(term: string, df: number): void {
    if (this.#source !== undefined) return;
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
    this.#ready();
    const bucket = this.#buckets.get(term.length);
    const at = bucket?.index.get(term);
    return at === undefined ? 0 : bucket!.dfs[at]!;
  }

  /** Vocabulary words within the edit budget of `word`, best first. */
  candidates(word: string): CorrectionCandidate[] {
    if (word.length < MIN_CORRECTABLE_LENGTH || hasDigit(word)) return [];
    this.#ready();
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

  /**
   * The word `word` most plausibly misspells, if it is one: `word` must be correctable (`isCorrectable`) and a
   * typing slip of the vocabulary word (`slipCost`); among such words the cheapest slip wins, then the most
   * frequent word. Whether the store holds `word` itself is for the caller to check (the index knows).
   */
  best(word: string): Correction | undefined {
    if (!isCorrectable(word)) return undefined;
    let found: { candidate: CorrectionCandidate; rank: number } | undefined;
    for (const candidate of this.candidates(word)) {
      const slip = slipCost(word, candidate.term);
      if (slip === Number.POSITIVE_INFINITY) continue;
      const rank =
        slip +
        (candidate.term.length < word.length ? SHORTER_PENALTY : 0) -
        DF_WEIGHT * Math.log10(1 + candidate.df);
      // candidates() is sorted by df within equal ranks, then by term: the first of equals is kept.
      if (!found || rank < found.rank - 1e-9) found = { candidate, rank };
    }
    if (!found) return undefined;
    const { term, df } = found.candidate;
    return { ...found.candidate, confidence: correctionConfidence(word, term, df) };
  }
}

/**
 * A word held by this many entries or more is never corrected: a word of the store's vocabulary is a word of
 * the store, however rare (`abnd` written in one entry is found in that entry, not rewritten to `abend`).
 * The engines count a word's entries up to this number before asking the corrector.
 */
export const RARE_WORD_DF = 1;

/**
 * Applies a correction the engines found for `atom.terms[i]`, held by `held` entries: a word no entry holds
 * is replaced by `to` (noted in `correctedFrom`), and the correction is recorded with its confidence
 * (`correctionConfidence`; `toDf` entries hold `to`) as applied. A word some entry holds, or a `to` the typed
 * word is no slip of, is left alone.
 *
 * Replacing a word no entry holds cannot lose a match: its atom matched nothing, so the corrected query
 * finds every entry the original found. An engine that corrects on a vocabulary which may miss indexed words
 * compares the totals with those of `uncorrectedQuery` and, when the typed query finds more, answers it
 * instead and marks the corrections `applied: false` (offered as suggestions only).
 */
export function applyCorrection(
  _clause: QueryClause,
  atom: QueryAtom,
  i: number,
  held: number,
  to: string,
  toDf: number,
  corrections: SearchCorrection[],
): void {
  const term = atom.terms[i]!;
  if (held > 0 || term === to) return;
  const confidence = correctionConfidence(term, to, toDf);
  if (confidence <= 0) return;
  atom.correctedFrom ??= [...atom.terms];
  atom.terms[i] = to;
  corrections.push({ from: atom.terms.length === 1 ? atom.raw : term, to, confidence, applied: true });
}

/**
 * The query as it was typed: a copy of `parsed` with every corrected atom back to its typed terms (`parsed`
 * itself is unchanged). For comparing a corrected query with the original.
 */
export function uncorrectedQuery(parsed: ParsedQuery): ParsedQuery {
  return {
    filters: parsed.filters,
    clauses: parsed.clauses.map((clause) => ({
      negated: clause.negated,
      atoms: clause.atoms.map(({ correctedFrom, ...atom }) => ({
        ...atom,
        terms: [...(correctedFrom ?? atom.terms)],
      })),
    })),
  };
}
