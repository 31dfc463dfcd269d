import { bm25Saturation } from './bm25.js';
import { forEachToken } from './tokenizer.js';

/**
 * Champion lists: for every index term, the entries where the term weighs most (its BM25 saturation
 * f·(k1+1)/(f + k1·(1−b+b·D/avgdl)), which orders a term's entries exactly as a one-term BM25 query would),
 * at most `listSize` of them, plus the term's document frequency. Built in one pass over the entries' text.
 *
 * An engine uses them for queries of common words, where the index would have to score tens of thousands
 * of matches to return ten: the union of the query atoms' lists gives a few hundred candidates, which are
 * scored exactly; for a single word the list *is* the exact top of the ranking. The same pass yields the
 * vocabulary that spell correction needs.
 *
 * The lists are a cache of candidates, never an answer: every candidate is re-read and re-matched before it
 * is returned, so a stale list (an entry updated or deleted since) costs a wasted look-up, not a wrong
 * result. Entries written after the build are fed in with `addDocument`.
 */

export interface ChampionList {
  /** Entry keys (the dialect's integer row key), best first. */
  seqs: Int32Array;
  /** Saturation of the term in each entry, same order; non-increasing. */
  impacts: Float64Array;
  size: number;
  /** The list holds every entry that had the term when it was built (df ≤ list size). */
  complete: boolean;
  /** Impact of the weakest listed entry: no unlisted entry scores higher on this term. */
  floor: number;
}

interface TermEntry {
  df: number;
  seqs: Int32Array;
  impacts: Float64Array;
  size: number;
  /** Number of documents that offered an impact (≥ size): whether the list is complete. */
  offered: number;
  // Per-document accumulation during a scan.
  lastSeq: number;
  freq: number;
  /**
   * A list loaded from saved state and not touched since: it is `size` items of the index's shared arrays
   * from this offset (`seqs`/`impacts` are empty until `own` makes views of them); -1 otherwise. Making a
   * hundred thousand pairs of typed-array views at load cost more than the rest of loading.
   */
  start: number;
}

/**
 * The lists as flat arrays, for saving and loading without a pass over the entries (search-state-codec.ts):
 * per term its df, offered count and list size; the lists themselves concatenated in term order, best first.
 */
export interface ChampionIndexState {
  listSize: number;
  avgLength: number;
  documents: number;
  terms: string[];
  df: Int32Array;
  offered: Int32Array;
  sizes: Int32Array;
  seqs: Int32Array;
  impacts: Float64Array;
}

const EMPTY_SEQS = new Int32Array(0);
const EMPTY_IMPACTS = new Float64Array(0);

export class ChampionIndex {
  readonly listSize: number;
  readonly #weights: readonly number[];
  readonly #avgLength: number;
  readonly #terms = new Map<string, TermEntry>();
  #sorted = false;
  #sortedTerms: string[] | undefined;
  #documents = 0;
  /** The lists of a loaded state, which its entries point into (see TermEntry.start). */
  #sharedSeqs: Int32Array = EMPTY_SEQS;
  #sharedImpacts: Float64Array = EMPTY_IMPACTS;

  /**
   * `weights`: per-column weights (as for BM25); `avgLength`: average entry length in tokens, as the index
   * reports it, so impacts rank entries the way the index's own BM25 would.
   */
  constructor(listSize: number, weights: readonly number[], avgLength: number) {
    this.listSize = listSize;
    this.#weights = weights;
    this.#avgLength = avgLength > 0 ? avgLength : 1;
  }

  /**
   * An index from saved state. The lists are views into the state's arrays (no copy); a list that grows later
   * gets arrays of its own. Throws when the arrays do not fit together.
   */
  static fromState(state: ChampionIndexState, weights: readonly number[]): ChampionIndex {
    const index = new ChampionIndex(state.listSize, weights, state.avgLength);
    const n = state.terms.length;
    if (state.df.length !== n || state.offered.length !== n || state.sizes.length !== n) {
      throw new Error('champion state: per-term arrays differ in length');
    }
    if (state.seqs.length !== state.impacts.length) throw new Error('champion state: lists differ in length');
    let at = 0;
    for (let i = 0; i < n; i++) {
      const size = state.sizes[i]!;
      if (size < 0 || size > state.listSize || at + size > state.seqs.length) {
        throw new Error('champion state: a list overruns the saved lists');
      }
      index.#terms.set(state.terms[i]!, {
        df: state.df[i]!,
        seqs: EMPTY_SEQS,
        impacts: EMPTY_IMPACTS,
        size,
        offered: state.offered[i]!,
        lastSeq: -1,
        freq: 0,
        start: at,
      });
      at += size;
    }
    if (at !== state.seqs.length || index.#terms.size !== n)
      throw new Error('champion state: lists do not add up');
    index.#documents = state.documents;
    index.#sorted = true;
    index.#sharedSeqs = state.seqs;
    index.#sharedImpacts = state.impacts;
    return index;
  }

  /** The entry's list as arrays of its own (views of the shared ones, for a list loaded from state). */
  #own(entry: TermEntry): TermEntry {
    if (entry.start >= 0) {
      entry.seqs = this.#sharedSeqs.subarray(entry.start, entry.start + entry.size);
      entry.impacts = this.#sharedImpacts.subarray(entry.start, entry.start + entry.size);
      entry.start = -1;
    }
    return entry;
  }

  /** The lists as flat arrays (after `finalize`). */
  toState(): ChampionIndexState {
    this.finalize();
    const n = this.#terms.size;
    const terms: string[] = new Array(n);
    const df = new Int32Array(n);
    const offered = new Int32Array(n);
    const sizes = new Int32Array(n);
    let total = 0;
    for (const entry of this.#terms.values()) total += entry.size;
    const seqs = new Int32Array(total);
    const impacts = new Float64Array(total);
    let i = 0;
    let at = 0;
    for (const [term, entry] of this.#terms) {
      this.#own(entry);
      terms[i] = term;
      df[i] = entry.df;
      offered[i] = entry.offered;
      sizes[i] = entry.size;
      seqs.set(entry.seqs.subarray(0, entry.size), at);
      impacts.set(entry.impacts.subarray(0, entry.size), at);
      at += entry.size;
      i++;
    }
    return {
      listSize: this.listSize,
      avgLength: this.#avgLength,
      documents: this.#documents,
      terms,
      df,
      offered,
      sizes,
      seqs,
      impacts,
    };
  }

  /** Entries fed in so far. */
  get documents(): number {
    return this.#documents;
  }

  get terms(): number {
    return this.#terms.size;
  }

  /**
   * Adds one entry's columns (title, problem, solution, tags, category); after `finalize` the lists stay
   * ordered. Returns the terms the index did not know before.
   */
  addDocument(seq: number, columns: readonly string[]): string[] {
    const touched: TermEntry[] = [];
    const fresh: string[] = [];
    let length = 0;
    columns.forEach((text, column) => {
      const weight = this.#weights[column] ?? 1;
      forEachToken(text, (term) => {
        length++;
        let entry = this.#terms.get(term);
        if (!entry) {
          entry = {
            df: 0,
            seqs: EMPTY_SEQS,
            impacts: EMPTY_IMPACTS,
            size: 0,
            offered: 0,
            lastSeq: -1,
            freq: 0,
            start: -1,
          };
          this.#terms.set(term, entry);
          this.#sortedTerms = undefined;
          fresh.push(term);
        }
        if (entry.lastSeq !== seq) {
          entry.lastSeq = seq;
          entry.freq = 0;
          touched.push(entry);
        }
        entry.freq += weight;
      });
    });
    for (const entry of touched) {
      entry.df++;
      entry.offered++;
      const impact = bm25Saturation(entry.freq, length, this.#avgLength);
      if (this.#sorted) this.#insertSorted(entry, seq, impact);
      else this.#offerHeap(entry, seq, impact);
      entry.lastSeq = -1;
    }
    this.#documents++;
    return fresh;
  }

  /** Ends the bulk build: orders every list best first. */
  finalize(): void {
    if (this.#sorted) return;
    for (const entry of this.#terms.values()) {
      const order = Array.from({ length: entry.size }, (_, i) => i).sort(
        (a, b) => entry.impacts[b]! - entry.impacts[a]! || entry.seqs[a]! - entry.seqs[b]!,
      );
      const seqs = new Int32Array(entry.size);
      const impacts = new Float64Array(entry.size);
      order.forEach((from, to) => {
        seqs[to] = entry.seqs[from]!;
        impacts[to] = entry.impacts[from]!;
      });
      entry.seqs = seqs;
      entry.impacts = impacts;
    }
    this.#sorted = true;
  }

  /** Entries holding the term (as of the build plus entries added since). */
  df(term: string): number {
    return this.#terms.get(term)?.df ?? 0;
  }

  list(term: string): ChampionList | undefined {
    const found = this.#terms.get(term);
    if (!found || found.size === 0) return undefined;
    const entry = this.#own(found);
    return {
      seqs: entry.seqs.subarray(0, entry.size),
      impacts: entry.impacts.subarray(0, entry.size),
      size: entry.size,
      complete: entry.offered <= this.listSize,
      floor: entry.impacts[entry.size - 1]!,
    };
  }

  /** Terms starting with `prefix`, most frequent first, at most `limit`. */
  termsWithPrefix(prefix: string, limit: number): string[] {
    const found: string[] = [];
    this.#forPrefix(prefix, (term) => found.push(term));
    return found.sort((a, b) => this.df(b) - this.df(a) || (a < b ? -1 : 1)).slice(0, limit);
  }

  /** Entries holding any term starting with `prefix`, summed over the terms: an upper bound. */
  prefixDf(prefix: string): number {
    let sum = 0;
    this.#forPrefix(prefix, (term) => {
      sum += this.df(term);
    });
    return sum;
  }

  #forPrefix(prefix: string, visit: (term: string) => void): void {
    if (!this.#sortedTerms) this.#sortedTerms = [...this.#terms.keys()].sort();
    const terms = this.#sortedTerms;
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (terms[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < terms.length && terms[i]!.startsWith(prefix); i++) visit(terms[i]!);
  }

  /** Every term with its document frequency. */
  *vocabulary(): IterableIterator<[string, number]> {
    for (const [term, entry] of this.#terms) yield [term, entry.df];
  }

  #grow(entry: TermEntry): void {
    const capacity = Math.min(this.listSize, Math.max(4, entry.seqs.length * 2));
    const seqs = new Int32Array(capacity);
    const impacts = new Float64Array(capacity);
    seqs.set(entry.seqs.subarray(0, entry.size));
    impacts.set(entry.impacts.subarray(0, entry.size));
    entry.seqs = seqs;
    entry.impacts = impacts;
  }

  /** Bulk phase: a min-heap of the best `listSize` impacts. */
  #offerHeap(entry: TermEntry, seq: number, impact: number): void {
    this.#own(entry);
    const { listSize } = this;
    if (entry.size < listSize) {
      if (entry.size === entry.seqs.length) this.#grow(entry);
      let i = entry.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (entry.impacts[parent]! <= impact) break;
        entry.seqs[i] = entry.seqs[parent]!;
        entry.impacts[i] = entry.impacts[parent]!;
        i = parent;
      }
      entry.seqs[i] = seq;
      entry.impacts[i] = impact;
      return;
    }
    if (impact <= entry.impacts[0]!) return;
    let i = 0;
    const n = entry.size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && entry.impacts[right]! < entry.impacts[left]! ? right : left;
      if (entry.impacts[child]! >= impact) break;
      entry.seqs[i] = entry.seqs[child]!;
      entry.impacts[i] = entry.impacts[child]!;
      i = child;
    }
    entry.seqs[i] = seq;
    entry.impacts[i] = impact;
  }

  /** After the build: replaces the entry's previous impact (if listed) and keeps the list ordered. */
  #insertSorted(entry: TermEntry, seq: number, impact: number): void {
    this.#own(entry);
    for (let i = 0; i < entry.size; i++) {
      if (entry.seqs[i] === seq) {
        entry.seqs.copyWithin(i, i + 1, entry.size);
        entry.impacts.copyWithin(i, i + 1, entry.size);
        entry.size--;
        break;
      }
    }
    if (entry.size === this.listSize && impact <= entry.impacts[entry.size - 1]!) return;
    if (entry.size === this.listSize) entry.size--;
    if (entry.size === entry.seqs.length) this.#grow(entry);
    let at = entry.size;
    while (at > 0 && entry.impacts[at - 1]! < impact) at--;
    entry.seqs.copyWithin(at + 1, at, entry.size);
    entry.impacts.copyWithin(at + 1, at, entry.size);
    entry.seqs[at] = seq;
    entry.impacts[at] = impact;
    entry.size++;
  }
}
