import { bm25Saturation } from './bm25.js';
import type { TermTable } from './term-table.js';
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
   * A list loaded from saved state and not touched since: it is `size` items of page `page`'s arrays from
   * this offset (`seqs`/`impacts` are empty until `own` reads the page and makes views of it); -1 otherwise.
   */
  start: number;
  page: number;
}

/** The lists of a run of consecutive terms of a saved state, concatenated in term order. */
export interface ChampionPage {
  seqs: Int32Array;
  impacts: Float64Array;
}

/**
 * The saved state's vocabulary, sorted, with each term's counts; a term becomes a TermEntry only when a query
 * or a catch-up touches it, and its list is read with its page.
 */
interface Directory {
  terms: TermTable;
  df: Int32Array;
  offered: Int32Array;
  sizes: Int32Array;
  /** Each term's page, and where its list starts in it. */
  pageOf: Int32Array;
  startOf: Int32Array;
  pages: (ChampionPage | undefined)[];
  /** Items each page must hold. */
  pageItems: Int32Array;
  /** Reads a page, which must hold `items` list items (else it throws). */
  load: (page: number, items: number) => ChampionPage;
}

/**
 * The lists as flat arrays, for saving without a pass over the entries (search-state-codec.ts): the terms
 * sorted, per term its df, offered count and list size; the lists themselves concatenated in term order,
 * best first.
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

/** A saved state as loaded: the lists stay in their pages until asked for. */
export interface ChampionDirectoryState {
  listSize: number;
  avgLength: number;
  documents: number;
  terms: TermTable;
  df: Int32Array;
  offered: Int32Array;
  sizes: Int32Array;
  /** The first term of each page, then the number of terms. */
  pages: readonly number[];
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
  /** The saved state this index was loaded from, if any; its terms become entries when touched. */
  #directory: Directory | undefined;
  /** Terms added since the load that the directory does not hold. */
  readonly #added = new Set<string>();

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
   * An index over a saved state's directory: terms are looked up in it when first used, and their lists read
   * with their page (`load`) when first asked for. Throws when the arrays do not fit together.
   */
  static fromState(
    state: ChampionDirectoryState,
    weights: readonly number[],
    load: (page: number, items: number) => ChampionPage,
  ): ChampionIndex {
    const index = new ChampionIndex(state.listSize, weights, state.avgLength);
    const { terms, pages } = state;
    const n = terms.length;
    if (state.df.length !== n || state.offered.length !== n || state.sizes.length !== n) {
      throw new Error('champion state: per-term arrays differ in length');
    }
    if (pages.length === 0 || pages[0] !== 0 || pages.at(-1) !== n) {
      throw new Error('champion state: pages do not cover the terms');
    }
    const pageOf = new Int32Array(n);
    const startOf = new Int32Array(n);
    const pageItems = new Int32Array(pages.length - 1);
    for (let p = 0; p + 1 < pages.length; p++) {
      const from = pages[p]!;
      const to = pages[p + 1]!;
      if (!(to > from)) throw new Error('champion state: pages out of order');
      let at = 0;
      for (let t = from; t < to; t++) {
        const size = state.sizes[t]!;
        if (size < 0 || size > state.listSize) throw new Error('champion state: a list overruns its size');
        pageOf[t] = p;
        startOf[t] = at;
        at += size;
      }
      pageItems[p] = at;
    }
    index.#directory = {
      terms,
      df: state.df,
      offered: state.offered,
      sizes: state.sizes,
      pageOf,
      startOf,
      pages: new Array(pages.length - 1),
      pageItems,
      load,
    };
    index.#documents = state.documents;
    index.#sorted = true;
    return index;
  }

  /** The directory position of `term`, or -1. */
  #find(term: string): number {
    return this.#directory ? this.#directory.terms.indexOf(term) : -1;
  }

  /** The term's entry, made from the directory when the term is saved but not used yet. */
  #entry(term: string): TermEntry | undefined {
    const known = this.#terms.get(term);
    if (known || !this.#directory) return known;
    const i = this.#find(term);
    if (i < 0) return undefined;
    const d = this.#directory;
    const entry: TermEntry = {
      df: d.df[i]!,
      seqs: EMPTY_SEQS,
      impacts: EMPTY_IMPACTS,
      size: d.sizes[i]!,
      offered: d.offered[i]!,
      lastSeq: -1,
      freq: 0,
      start: d.startOf[i]!,
      page: d.pageOf[i]!,
    };
    this.#terms.set(term, entry);
    return entry;
  }

  /** The entry's list as arrays of its own (views of its page, read now if need be, for a saved list). */
  #own(entry: TermEntry): TermEntry {
    if (entry.start >= 0) {
      const d = this.#directory!;
      let page = d.pages[entry.page];
      if (!page) {
        page = d.load(entry.page, d.pageItems[entry.page]!);
        d.pages[entry.page] = page;
      }
      entry.seqs = page.seqs.subarray(entry.start, entry.start + entry.size);
      entry.impacts = page.impacts.subarray(entry.start, entry.start + entry.size);
      entry.start = -1;
    }
    return entry;
  }

  /** Every term, sorted (the directory's and those added since), decoded. */
  #sortedAll(): readonly string[] {
    if (this.#sortedTerms) return this.#sortedTerms;
    const saved = this.#directory?.terms;
    if (saved && this.#added.size === 0) this.#sortedTerms = saved.all();
    else if (saved) this.#sortedTerms = [...saved.all(), ...this.#added].sort();
    else this.#sortedTerms = [...this.#terms.keys()].sort();
    return this.#sortedTerms;
  }

  /** The lists as flat arrays (after `finalize`), terms sorted; reads every page of a loaded state. */
  toState(): ChampionIndexState {
    this.finalize();
    const terms = [...this.#sortedAll()];
    const n = terms.length;
    const df = new Int32Array(n);
    const offered = new Int32Array(n);
    const sizes = new Int32Array(n);
    const entries = terms.map((term) => this.#own(this.#entry(term)!));
    let total = 0;
    for (const entry of entries) total += entry.size;
    const seqs = new Int32Array(total);
    const impacts = new Float64Array(total);
    let at = 0;
    entries.forEach((entry, i) => {
      df[i] = entry.df;
      offered[i] = entry.offered;
      sizes[i] = entry.size;
      seqs.set(entry.seqs.subarray(0, entry.size), at);
      impacts.set(entry.impacts.subarray(0, entry.size), at);
      at += entry.size;
    });
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
    return this.#directory ? this.#directory.terms.length + this.#added.size : this.#terms.size;
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
        let entry = this.#entry(term);
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
            page: -1,
          };
          this.#terms.set(term, entry);
          if (this.#directory) this.#added.add(term);
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
    const known = this.#terms.get(term);
    if (known) return known.df;
    const i = this.#find(term);
    return i < 0 ? 0 : this.#directory!.df[i]!;
  }

  list(term: string): ChampionList | undefined {
    const found = this.#entry(term);
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
    const saved = this.#directory?.terms;
    if (saved && this.#added.size === 0) {
      // Straight from the saved table: only the terms in the prefix's range are decoded.
      for (let i = saved.lowerBound(prefix); i < saved.length; i++) {
        const term = saved.at(i);
        if (!term.startsWith(prefix)) break;
        visit(term);
      }
      return;
    }
    const terms = this.#sortedAll();
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
    const d = this.#directory;
    if (!d) {
      for (const [term, entry] of this.#terms) yield [term, entry.df];
      return;
    }
    for (let i = 0; i < d.terms.length; i++) {
      const term = d.terms.at(i);
      yield [term, this.#terms.get(term)?.df ?? d.df[i]!];
    }
    for (const term of this.#added) yield [term, this.#terms.get(term)!.df];
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
