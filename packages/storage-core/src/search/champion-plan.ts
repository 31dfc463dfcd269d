import { bm25Idf } from './bm25.js';
import { type AtomEstimate, estimateAtom } from './champion-estimate.js';
import type { ChampionIndex } from './champion-index.js';
import type { DocumentMatcher } from './document-matcher.js';
import type { EntryFacts } from './entry-facts.js';
import { FacetCounter } from './facet-counter.js';
import type { ParsedQuery } from './query-types.js';
import type { ResolvedFilters } from './search-filters.js';
import { rankRows, type ScoredRow, type UsageCounts } from './search-ranking.js';
import type { SearchFacets } from './search-types.js';
import type { SpellCorrector } from './spell-corrector.js';

/**
 * The query plan both engines use for queries of common words: champion lists give candidates with an exact
 * score or an upper bound, candidates are read best bound first while a bound can still beat the page
 * (threshold-algorithm style), and the usage blend is applied reading counters only for entries that can
 * reach the page. The engines differ only in how they read rows and counters.
 */

/** The in-memory search state built from kb_entries: champion lists, vocabulary, entry facts. */
export interface Champions {
  index: ChampionIndex;
  corrector: SpellCorrector;
  facts: EntryFacts;
  /** Entries folded in one by one since the build: their older list entries may be stale. */
  touched: ReadonlySet<number>;
}

/** The tags column (a JSON array) as strings; anything unreadable counts as no tags. */
export function parseTags(json: string): string[] {
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Folds one entry into champion lists and entry facts (both engines build them from kb_entries rows this
 * way); returns the terms the lists did not know before.
 */
export function addEntry(
  index: ChampionIndex,
  facts: EntryFacts,
  seq: number,
  row: { title: string; problem: string; solution: string; tags: string; category: string; severity: string },
  archived: boolean,
): string[] {
  const tags = parseTags(row.tags);
  facts.set(seq, row.category, row.severity, tags, archived);
  return index.addDocument(seq, [row.title, row.problem, row.solution, tags.join(' '), row.category]);
}

/** Prefix atoms draw candidates from this many expansions (the most frequent). */
export const MAX_PREFIX_EXPANSIONS = 24;
/** Entries ranked exactly beyond the page before the usage blend is applied (it can reorder close scores). */
export const BLEND_MARGIN = 10;

/** A match whose text score is known; `row` when it has been read. */
export interface TextScored<R> {
  seq: number;
  text: number;
  row?: R;
}

export interface Candidate {
  seq: number;
  /** Upper bound of the entry's text score (its exact score when `exact`). */
  bound: number;
  /** Every atom's list gives the entry's exact saturation, and it was not changed since the build. */
  exact: boolean;
}

export interface CandidatePlan {
  /** Best bound first. */
  candidates: Candidate[];
  /** BM25 idf per matcher atom (1 for negated atoms). */
  idfs: Float64Array;
  /** Every bound is a true upper bound (false with prefixes, whose values are estimates). */
  bounded: boolean;
}

/** Candidates from the champion lists of the query's positive atoms, filtered by the entry facts. */
export function championCandidates(
  champions: Champions,
  matcher: DocumentMatcher,
  filters: ResolvedFilters,
  rows: number,
): CandidatePlan {
  const { facts, touched } = champions;
  const positives = matcher.positiveAtoms;
  const idfs = new Float64Array(matcher.atoms.length).fill(1);
  const estimates: AtomEstimate[] = [];
  for (let a = 0; a < positives; a++) {
    const e = estimateAtom(matcher.atoms[a]!, champions.index, rows, MAX_PREFIX_EXPANSIONS);
    idfs[a] = bm25Idf(rows, e.hits);
    estimates.push(e);
  }
  const negated = matcher.atoms.length > positives;
  const seen = new Set<number>();
  const candidates: Candidate[] = [];
  for (const e of estimates) {
    for (const seq of e.known.keys()) {
      if (seen.has(seq)) continue;
      seen.add(seq);
      if (!facts.passes(seq, filters)) continue;
      let bound = 0;
      let exact = !negated && !touched.has(seq);
      estimates.forEach((x, a) => {
        const v = x.known.get(seq);
        bound += idfs[a]! * (v ?? x.floor);
        if (v === undefined || !x.exact) exact = false;
      });
      candidates.push({ seq, bound, exact });
    }
  }
  candidates.sort((x, y) => y.bound - x.bound || x.seq - y.seq);
  return { candidates, idfs, bounded: estimates.every((e) => e.bounded) };
}

/**
 * Walks candidates best bound first. Exact candidates are taken as they are; the others are handed out in
 * batches to be read and scored (`add`). Stops once no remaining bound can beat the `want`-th score found,
 * or after `budget` reads. Without bounds (prefixes) nothing tells when to stop, so the budget is a few
 * pages' worth, best estimate first.
 */
export class CandidateScan<R> {
  readonly found: TextScored<R>[] = [];
  readonly #plan: CandidatePlan;
  readonly #want: number;
  readonly #budget: number;
  #cursor = 0;
  #read = 0;
  #done = false;

  constructor(plan: CandidatePlan, want: number, maxReads: number) {
    this.#plan = plan;
    this.#want = want;
    this.#budget = plan.bounded ? maxReads : Math.min(maxReads, Math.max(3 * want, 48));
  }

  /** The `want`-th best score so far: a candidate whose bound cannot beat it is not worth reading. */
  #threshold(): number {
    return this.found.length < this.#want ? -1 : this.found[this.#want - 1]!.text;
  }

  /** The next candidates to read (at most `size`), or undefined when the scan is over. */
  next(size: number): number[] | undefined {
    const pending: number[] = [];
    const { candidates, bounded } = this.#plan;
    while (!this.#done && pending.length < size) {
      const c = candidates[this.#cursor];
      if (!c || (bounded && c.bound <= this.#threshold())) {
        this.#done = true;
        break;
      }
      this.#cursor++;
      if (c.exact) this.add({ seq: c.seq, text: c.bound });
      else pending.push(c.seq);
      if (this.#read + pending.length >= this.#budget) this.#done = true;
    }
    this.#read += pending.length;
    return pending.length > 0 ? pending : undefined;
  }

  /** A scored match, kept in descending score order. */
  add(t: TextScored<R>): void {
    const found = this.found;
    let at = found.length;
    while (at > 0 && found[at - 1]!.text < t.text) at--;
    found.splice(at, 0, t);
  }
}

/** Usage counters and the update time of one entry: what the blend and the sort orders need besides text. */
export interface EntryCounters extends UsageCounts {
  updatedAt: string;
}

export interface BlendSource<R> {
  /** The highest popularity any entry has now (see search-ranking.ts). */
  ceiling: number;
  usageWeight: number;
  /** Counters of entries not read yet. */
  counters(seqs: readonly number[]): Promise<Map<number, EntryCounters>> | Map<number, EntryCounters>;
  /** Counters of a read row. */
  countersOf(row: R): EntryCounters;
  /** A read row's exact text score (null when it no longer matches); champion candidates only. */
  rescore?: (row: R) => number | null;
}

/**
 * Applies the usage blend to matches sorted by text score, reading counters only for those that can reach
 * the page: popularity adds at most `usageWeight × ceiling`, so once the page's last final score beats what
 * the next text score could reach with that ceiling, nothing further down can enter.
 */
export async function blendTop<R>(
  sorted: readonly TextScored<R>[],
  need: number,
  source: BlendSource<R>,
): Promise<{ ranked: ScoredRow[]; rows: Map<number, R> }> {
  const rows = new Map<number, R>();
  for (const s of sorted) if (s.row !== undefined) rows.set(s.seq, s.row);
  const counters = new Map<number, EntryCounters>();
  // Each widening re-ranks the rows taken before: a row's text score is computed once (rescoring tokenizes).
  const texts = new Map<number, number | null>();
  const textOf = (s: TextScored<R>, row: R | undefined): number | null => {
    if (!source.rescore || row === undefined) return s.text;
    let text = texts.get(s.seq);
    if (text === undefined) {
      text = source.rescore(row);
      texts.set(s.seq, text);
    }
    return text;
  };
  let take = Math.min(sorted.length, need + BLEND_MARGIN);
  for (;;) {
    const missing = sorted
      .slice(0, take)
      .filter((s) => !rows.has(s.seq) && !counters.has(s.seq))
      .map((s) => s.seq);
    if (missing.length > 0) for (const [seq, c] of await source.counters(missing)) counters.set(seq, c);
    const ranked: ScoredRow[] = [];
    for (const s of sorted.slice(0, take)) {
      const row = rows.get(s.seq);
      const c = row !== undefined ? source.countersOf(row) : counters.get(s.seq);
      if (!c) continue;
      const text = textOf(s, row);
      if (text === null) continue;
      ranked.push({
        seq: s.seq,
        text,
        usageCount: c.usageCount,
        successCount: c.successCount,
        failureCount: c.failureCount,
        updatedAt: c.updatedAt,
        final: 0,
      });
    }
    rankRows(ranked, 'relevance', source.usageWeight);
    if (take >= sorted.length) return { ranked, rows };
    const best = sorted[0]!.text;
    const reachable =
      (1 - source.usageWeight) * (sorted[take]!.text / best) + source.usageWeight * source.ceiling;
    if (ranked.length >= need && ranked[need - 1]!.final >= reachable) return { ranked, rows };
    take = Math.min(sorted.length, take * 2);
  }
}

/**
 * An upper bound on the entries a query matches, from document frequencies: the smallest positive clause's
 * summed atom bounds (a phrase: its rarest word; a prefix: the summed frequencies of its expansions, when
 * `prefixDf` can tell them). Undefined when no clause can be bounded.
 */
export function matchBound(
  parsed: ParsedQuery,
  df: (term: string) => number | undefined,
  prefixDf?: (prefix: string) => number,
): number | undefined {
  let best: number | undefined;
  for (const clause of parsed.clauses) {
    if (clause.negated) continue;
    let sum = 0;
    for (const atom of clause.atoms) {
      let rarest = Number.POSITIVE_INFINITY;
      atom.terms.forEach((term, i) => {
        const held =
          atom.prefix && i === atom.terms.length - 1 ? (prefixDf ? prefixDf(term) : undefined) : df(term);
        rarest = Math.min(rarest, held ?? Number.NaN);
      });
      sum += rarest;
    }
    if (!Number.isNaN(sum) && Number.isFinite(sum)) best = best === undefined ? sum : Math.min(best, sum);
  }
  return best;
}

/** A stable 32-bit hash of the query text: where its sample starts. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Matches (entry keys, ascending) from `start` on (`>=`) or below it (`<`), at most `limit`. */
export type SampleReader = (
  bound: '>=' | '<',
  start: number,
  limit: number,
) => Promise<readonly number[]> | readonly number[];

export interface MatchEstimate {
  total: number;
  facets: SearchFacets;
  /** False when the sample held every match: then `total` and the facets are exact. */
  approximate: boolean;
}

/**
 * Estimates the matches passing the filters, and their facets, from `size` consecutive matches (in key
 * order) starting at a position derived from `key` (the query): key gaps are assumed evenly spread, so
 * matches per key in the sampled span scale to the whole key range. The same query gives the same estimate.
 * The facets are empty unless `withFacets`.
 */
export async function estimateMatches(
  range: { lo: number | null; hi: number | null },
  key: string,
  size: number,
  read: SampleReader,
  facts: EntryFacts,
  filters: ResolvedFilters,
  withFacets = true,
): Promise<MatchEstimate> {
  if (range.lo === null || range.hi === null)
    return { total: 0, facets: { category: [], severity: [], tags: [] }, approximate: false };
  const width = range.hi - range.lo + 1;
  const start = range.lo + (fnv1a(key) % width);
  const first = await read('>=', start, size);
  let sampled = first;
  let span: number;
  let exhausted = false;
  if (first.length < size) {
    const second = await read('<', start, size - first.length);
    sampled = first.concat(second);
    if (second.length < size - first.length) exhausted = true;
    span = range.hi - start + 1 + (second.length > 0 ? second[second.length - 1]! - range.lo + 1 : 0);
  } else {
    span = first[first.length - 1]! - start + 1;
  }
  const counter = new FacetCounter();
  let passed = 0;
  for (const seq of sampled) {
    if (!facts.passes(seq, filters)) continue;
    passed++;
    // Without facets, categories and tags are not needed (a saved state's are then not even read).
    if (withFacets) facts.count(seq, counter);
  }
  if (exhausted) return { total: passed, facets: counter.facets(), approximate: false };
  const total = Math.round((passed * width) / Math.max(1, span));
  return { total, facets: counter.scaledFacets(total), approximate: true };
}
