import type { KBEntry } from '../kb/kb-types.js';
import type { DocumentMatcher } from './document-matcher.js';
import { type ParsedQuery, renderQuery } from './query-types.js';
import type {
  MatchType,
  SearchCorrection,
  SearchFacets,
  SearchResponse,
  SearchResult,
} from './search-types.js';
import { buildSnippet } from './snippet.js';

/** One result of a page, as every engine builds it: match type, matched terms and the snippet. */
export function searchResult(
  entry: KBEntry,
  score: number,
  matcher: DocumentMatcher,
  filterOnly: boolean,
): SearchResult {
  const m = filterOnly
    ? null
    : matcher.match([entry.title, entry.problem, entry.solution, entry.tags.join(' '), entry.category]);
  const matchType: MatchType = filterOnly
    ? 'filter'
    : m?.viaCorrection
      ? 'corrected'
      : m?.viaPrefix
        ? 'prefix'
        : 'exact';
  return {
    entry,
    score,
    matchType,
    snippet: buildSnippet(entry, (term) => matcher.isHighlighted(term)),
    matchedTerms: m?.matchedTerms ?? [],
  };
}

/**
 * Autocomplete's title suggestions: titles starting with what was typed first, then the most used, the
 * shortest, and by title; at most `count`.
 */
export function bestTitles(
  titles: { title: string; usage_count: number }[],
  typed: string,
  count: number,
): string[] {
  const prefix = typed.trim().toLowerCase();
  return titles
    .sort(
      (a, b) =>
        Number(b.title.toLowerCase().startsWith(prefix)) - Number(a.title.toLowerCase().startsWith(prefix)) ||
        b.usage_count - a.usage_count ||
        a.title.length - b.title.length ||
        (a.title < b.title ? -1 : 1),
    )
    .slice(0, count)
    .map((t) => t.title);
}

/** Facets of a search that asked for none, or matched nothing. */
export const EMPTY_FACETS: SearchFacets = { category: [], severity: [], tags: [] };

/**
 * A search's response from the page and its plan, as every engine returns it: facets only when asked for,
 * `approximate` only when set, the query as it was answered, and the time since `started`.
 */
export function searchResponse(
  results: SearchResult[],
  plan: { total: number; facets: SearchFacets; approximate: boolean },
  answered: { query: ParsedQuery; corrections: SearchCorrection[]; facets: boolean; started: number },
): SearchResponse {
  const response: SearchResponse = {
    results,
    total: plan.total,
    facets: answered.facets ? plan.facets : EMPTY_FACETS,
    corrections: answered.corrections,
    interpreted: renderQuery(answered.query),
    tookMs: performance.now() - answered.started,
  };
  if (plan.approximate) response.approximate = true;
  return response;
}
