import type { SearchResult, Storage } from '@mainframe-kb/storage-core';
import { QUERY_LIMITS, tokenize } from '@mainframe-kb/storage-core';

/**
 * Baseline model 1: incident → KB entry recommendation by text similarity, using core's search (BM25 over the
 * KB's full-text index) with the incident's words as alternatives. It is what it says: no training, no learned
 * weights. Its probabilities are the search scores normalised over the candidates it returns (a softmax); they
 * are relative confidences, and how well they are calibrated is measured from the outcomes, not assumed.
 */
export const RECOMMENDER_MODEL = 'kb-recommender';
export const RECOMMENDER_VERSION = 'bm25-or-1';

export interface IncidentText {
  title: string;
  description?: string | undefined;
  /** Codes found in the incident (`S0C7`, `SQLCODE -911`): searched first. */
  errorCodes?: readonly string[] | undefined;
}

export interface Recommendation {
  entryId: string;
  title: string;
  category: string;
  /** Core's search score (comparable within one recommendation only). */
  score: number;
  /** Normalised over the candidates returned: they sum to 1. */
  probability: number;
}

/** Words that carry no meaning for matching (English function words and ticket boilerplate). */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into ' +
    'is it its job jobs may me my no nor not of on or our run ran she so some than that the their them then there ' +
    'these they this to too was we were what when where which while who why will with would you your after before ' +
    'again also any because being both each few more most other over same should such only own just very ' +
    'please error errors issue problem failed fails failing fail user users today yesterday see seen'
  ).split(' '),
);
const RESERVED = new Set(['or', 'and', 'not']);

/** The search query a recommendation runs: codes first, then the title's words, then the description's. */
export function recommendationQuery(text: IncidentText, maxTerms = 16): string | null {
  const atoms: string[] = [];
  const seen = new Set<string>();
  const push = (atom: string, key: string) => {
    if (atoms.length >= maxTerms || seen.has(key)) return;
    seen.add(key);
    atoms.push(atom);
  };
  for (const code of text.errorCodes ?? []) {
    const terms = tokenize(code);
    if (terms.length === 0) continue;
    // A code of several terms (`SQLCODE -911`) is searched as a phrase.
    push(terms.length === 1 ? terms[0]! : `"${terms.join(' ')}"`, terms.join(' '));
  }
  for (const source of [text.title, text.description ?? '']) {
    for (const term of tokenize(source)) {
      if (term.length < 2 || STOP_WORDS.has(term) || RESERVED.has(term)) continue;
      if (/^\d+$/.test(term) && term.length < 3) continue;
      push(term, term);
    }
  }
  if (atoms.length === 0) return null;
  let query = atoms.join(' OR ');
  while (query.length > QUERY_LIMITS.maxLength && atoms.length > 1) {
    atoms.pop();
    query = atoms.join(' OR ');
  }
  return query;
}

/** Scores → probabilities summing to 1 (a softmax, stable for any scale). */
export function normalise(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The `limit` entries most similar to the incident, best first; empty when nothing matches. */
export async function recommend(storage: Storage, text: IncidentText, limit = 3): Promise<Recommendation[]> {
  const query = recommendationQuery(text);
  if (query === null) return [];
  const results: SearchResult[] = await storage.searchEntries(query, {
    limit: Math.max(limit, 10),
    facets: false,
    recordHistory: false,
  });
  const probabilities = normalise(results.map((r) => r.score));
  return results.slice(0, limit).map((r, i) => ({
    entryId: r.entry.id,
    title: r.entry.title,
    category: r.entry.category,
    score: r.score,
    probability: probabilities[i]!,
  }));
}
