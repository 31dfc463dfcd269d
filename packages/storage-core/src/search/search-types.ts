import type { KBEntry, Severity } from '../kb/kb-types.js';

export interface SearchOptions {
  /** 1–100, default 10. */
  limit?: number | undefined;
  /** 0–10,000, default 0. */
  offset?: number | undefined;
  /** Filters combined with those written in the query (`category:VSAM`). */
  category?: string | undefined;
  severity?: Severity | undefined;
  tags?: string[] | undefined;
  includeArchived?: boolean | undefined;
  sortBy?: 'relevance' | 'usage' | 'recent' | 'success' | undefined;
  /** Correct misspelt words against the index vocabulary (default: the config's `typoCorrection`). */
  correct?: boolean | undefined;
  /** Compute facets over every match (default true). */
  facets?: boolean | undefined;
  /** Record the search in search history (default true). */
  recordHistory?: boolean | undefined;
  userId?: string | undefined;
}

export type MatchType = 'exact' | 'prefix' | 'corrected' | 'filter';

export interface SearchResult {
  entry: KBEntry;
  /** Higher is better; comparable within one response only. */
  score: number;
  matchType: MatchType;
  /** Best passage of the entry with matched terms wrapped in `<mark>…</mark>`; other text HTML-escaped. */
  snippet: string;
  /** Query terms (after correction) that occur in the entry. */
  matchedTerms: string[];
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchFacets {
  category: FacetCount[];
  severity: FacetCount[];
  tags: FacetCount[];
}

/** A misspelt query word and the index word it was taken for. */
export interface SearchCorrection {
  /** As typed. */
  from: string;
  /** The vocabulary word searched for instead (or offered, when not `applied`). */
  to: string;
  /**
   * How sure the engine is that `to` was meant, 0..1: the share of the typed word its typing slip leaves
   * intact times how established `to` is in the store (a word of one entry counts half); computed the same
   * way on every dialect (see `correctionConfidence` in spell-corrector.ts).
   */
  confidence: number;
  /**
   * True when the results are those of the corrected query. False when the corrected query would find
   * fewer entries than the query as typed: the results are then the typed query's, and `to` is only a
   * suggestion ("did you mean …").
   */
  applied: boolean;
}

export interface SearchResponse {
  results: SearchResult[];
  /** Number of matching entries (before limit/offset). */
  total: number;
  facets: SearchFacets;
  corrections: SearchCorrection[];
  /** The query after parsing and correction, as the engine understood it. */
  interpreted: string;
  tookMs: number;
  /**
   * True when `total` and the facet counts are estimates from a sample of the matches and the order was
   * computed over the strongest candidates rather than over every match — what an engine does for queries
   * that match too many entries to score them all (the SQLite engine: more than 1,000). Absent when exact.
   */
  approximate?: boolean;
}
