import type { SearchResult, Storage } from '@mainframe-kb/storage-core';
import { QUERY_LIMITS, tokenize } from '@mainframe-kb/storage-core';

/**
 * Baseline model 1: incident → KB entry recommendation by text similarity, using core's search (BM25 over the
 * KB's full-text index) with the incident's words as alternatives. It is what it says: no training, no learned
 * weights. A candidate's probability is its share of the summed scores of the ten best candidates (one clear
 * match takes most of it, several similar ones split it) times the share of the incident's terms it holds.
 * They are relative confidences; how well they
 * are calibrated is measured from the outcomes (Brier score, calibration table), not assumed.
 */
export const RECOMMENDER_MODEL = 'kb-recommender';
export const RECOMMENDER_VERSION = 'bm25-coverage-1';

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
  /** Score share among the ten best candidates × share of the incident's terms matched (they sum to at most 1). */
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
  return buildQuery(text, maxTerms)?.query ?? null;
}

/** The query and the index terms it holds (a phrase's terms each count). */
function buildQuery(text: IncidentText, maxTerms = 16): { query: string; terms: string[] } | null {
  const atoms: { text: string; terms: string[] }[] = [];
  const seen = new Set<string>();
  const push = (atom: string, terms: string[]) => {
    const key = terms.join(' ');
    if (atoms.length >= maxTerms || seen.has(key)) return;
    seen.add(key);
    atoms.push({ text: atom, terms });
  };
  for (const code of text.errorCodes ?? []) {
    const terms = tokenize(code);
    if (terms.length === 0 || terms.some((t) => t.length > 64)) continue;
    // A code of several terms (`SQLCODE -911`) is searched as a phrase.
    push(terms.length === 1 ? terms[0]! : `"${terms.join(' ')}"`, terms);
  }
  for (const source of [text.title, text.description ?? '']) {
    for (const term of tokenize(source)) {
      if (term.length < 2 || term.length > 64 || STOP_WORDS.has(term) || RESERVED.has(term)) continue;
      if (/^\d+$/.test(term) && term.length < 3) continue;
      push(term, [term]);
    }
  }
  let query = atoms.map((a) => a.text).join(' OR ');
  while (query.length > QUERY_LIMITS.maxLength && atoms.length > 0) {
    atoms.pop();
    query = atoms.map((a) => a.text).join(' OR ');
  }
  if (atoms.length === 0) return null;
  return { query, terms: [...new Set(atoms.flatMap((a) => a.terms))] };
}

/** Scores → shares of their sum (scores below 0 count as 0; all zero → equal shares). */
export function normalise(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  const positive = scores.map((s) => (Number.isFinite(s) && s > 0 ? s : 0));
  const sum = positive.reduce((a, b) => a + b, 0);
  return sum === 0 ? scores.map(() => 1 / scores.length) : positive.map((s) => s / sum);
}

/**
 * The `limit` entries most similar to the incident, best first; empty when nothing matches. A candidate's
 * probability is its share of the ten best candidates' scores times the share of the incident's terms it
 * contains: a lone entry that matches one word of ten is not a sure thing.
 */
export async function recommend(storage: Storage, text: IncidentText, limit = 3): Promise<Recommendation[]> {
  const built = buildQuery(text);
  if (built === null) return [];
  const results: SearchResult[] = await storage.searchEntries(built.query, {
    limit: Math.max(limit, 10),
    facets: false,
    recordHistory: false,
  });
  const shares = normalise(results.map((r) => r.score));
  const wanted = new Set(built.terms);
  return results.slice(0, limit).map((r, i) => {
    const covered = new Set(r.matchedTerms.filter((t) => wanted.has(t))).size;
    return {
      entryId: r.entry.id,
      title: r.entry.title,
      category: r.entry.category,
      score: r.score,
      probability: shares[i]! * (covered / wanted.size),
    };
  });
}
