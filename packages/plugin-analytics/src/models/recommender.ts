import type { SearchResult, Storage } from '@mainframe-kb/storage-core';
import { QUERY_LIMITS, tokenize } from '@mainframe-kb/storage-core';

/**
 * Baseline model 1: incident → KB entry recommendation by text similarity, using core's search (BM25 over the
 * KB's full-text index) with the incident's words as alternatives. It is what it says: no training, no learned
 * weights: core's candidates are re-ranked by how many of the incident's terms they hold. Its probabilities are
 * relative confidences (see `recommend`); how well they
 * are calibrated is measured from the outcomes (Brier score, calibration table), not assumed.
 */
export const RECOMMENDER_MODEL = 'kb-recommender';
export const RECOMMENDER_VERSION = 'ident-terms-1';

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
  /** The ranking score: distinct incident terms held + core's search score + share of the title matched. */
  score: number;
  /** Softmax of the ranking scores over the candidates × share of the incident's terms matched (they sum to at most 1). */
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
export function recommendationQuery(text: IncidentText, maxTerms = 32): string | null {
  return buildQuery(text, maxTerms)?.query ?? null;
}

/** The query and the index terms it holds (a phrase's terms each count). */
function buildQuery(text: IncidentText, maxTerms = 32): { query: string; terms: string[] } | null {
  const atoms: { text: string; terms: string[] }[] = [];
  const seen = new Set<string>();
  let termCount = 0;
  // At most `maxTerms` index terms in all (a phrase's terms each count), within core's own limit.
  const limit = Math.min(maxTerms, QUERY_LIMITS.maxTerms);
  const push = (atom: string, terms: string[]) => {
    const key = terms.join(' ');
    if (termCount + terms.length > limit || seen.has(key)) return;
    seen.add(key);
    atoms.push({ text: atom, terms });
    termCount += terms.length;
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
      if (/^\d+$/.test(term) && term.length < 2) continue;
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

/** Scores → probabilities summing to 1: each point of score multiplies the odds by e. */
export function softmax(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Candidates core's search retrieves for re-ranking. */
const POOL = 30;

/**
 * The `limit` entries most similar to the incident, best first; empty when nothing matches.
 *
 * Candidates come from core's search, twice: every identifier of the incident (codes, program, job and data set
 * names: the terms with a digit) required together, which finds the entry that names the same failure in the
 * same place; then the incident's words as alternatives (BM25 over title, problem and solution), which fills
 * the pool. Each candidate is ranked by how many of the incident's distinct terms its text holds, then by its
 * search score and the share of its title the incident restates.
 *
 * A candidate's probability is a softmax of those ranking scores over the pool (each further term held
 * multiplies the odds by e) times the share of the incident's terms it holds: a lone entry that matches one
 * word of ten is not a sure thing.
 */
export async function recommend(storage: Storage, text: IncidentText, limit = 3): Promise<Recommendation[]> {
  const built = buildQuery(text);
  if (built === null) return [];
  const options = { limit: Math.max(limit, POOL), facets: false, recordHistory: false } as const;
  const wanted = new Set(built.terms);
  const identifiers = built.terms.filter((t) => /\d/.test(t));
  const pool = new Map<string, SearchResult>();
  const add = (results: readonly SearchResult[]) => {
    for (const r of results) if (!pool.has(r.entry.id)) pool.set(r.entry.id, r);
  };
  if (identifiers.length > 0) add(await storage.searchEntries(identifiers.slice(0, 8).join(' '), options));
  add(await storage.searchEntries(built.query, options));
  const ranked = [...pool.values()].map((r) => {
    const titleTerms = new Set(tokenize(r.entry.title));
    let inTitle = 0;
    for (const t of titleTerms) if (wanted.has(t)) inTitle++;
    const titleShare = titleTerms.size === 0 ? 0 : inTitle / titleTerms.size;
    const held = new Set(tokenize(`${r.entry.title} ${r.entry.problem} ${r.entry.solution}`));
    let covered = 0;
    for (const t of wanted) if (held.has(t)) covered++;
    return { r, rank: covered + r.score + titleShare, coverage: covered / wanted.size };
  });
  ranked.sort((a, b) => b.rank - a.rank || (a.r.entry.id < b.r.entry.id ? -1 : 1));
  const shares = softmax(ranked.map((x) => x.rank));
  return ranked.slice(0, limit).map((x, i) => ({
    entryId: x.r.entry.id,
    title: x.r.entry.title,
    category: x.r.entry.category,
    score: x.rank,
    probability: shares[i]! * x.coverage,
  }));
}
