import type { Kysely } from 'kysely';
import { categoryOfCode } from '../detection/error-code-extractor.js';
import type { PatternsDatabase } from '../schema/patterns-database.js';
import { containsText } from './sql-helpers.js';

export interface MatchablePattern {
  errorCode: string | null;
  component: string | null;
  description: string;
  metadata: Record<string, unknown>;
}

export interface Term {
  text: string;
  weight: number;
}

/** What a pattern is about, as terms to look for in KB entries: its error code counts most. */
export function termsOf(pattern: MatchablePattern): Term[] {
  const terms: Term[] = [];
  if (pattern.errorCode) terms.push({ text: pattern.errorCode.toLowerCase(), weight: 3 });
  const words = Array.isArray(pattern.metadata.terms) ? (pattern.metadata.terms as unknown[]) : [];
  for (const w of words.slice(0, 5)) {
    if (typeof w === 'string' && w.length >= 3 && !terms.some((t) => t.text === w)) {
      terms.push({ text: w, weight: 1 });
    }
  }
  if (terms.length === 0 && pattern.component)
    terms.push({ text: pattern.component.toLowerCase(), weight: 1 });
  return terms;
}

export interface KbMatch {
  kbEntryId: string;
  score: number;
}

/**
 * KB entries whose title, problem or tags hold the pattern's terms, best first (score = weight of the
 * terms found over the weight of all terms). The plugin context offers no access to core's search
 * index, so this is a plain term match over `kb_entries`.
 */
export async function matchKbEntries(
  db: Kysely<PatternsDatabase>,
  pattern: MatchablePattern,
  minScore: number,
  limit = 3,
): Promise<KbMatch[]> {
  const terms = termsOf(pattern);
  if (terms.length === 0) return [];
  const rows = await db
    .selectFrom('kb_entries')
    .select(['id', 'title', 'problem', 'tags'])
    .where('archived', '=', 0)
    .where((eb) =>
      eb.or(
        terms.flatMap((t) => [
          containsText('title', t.text),
          containsText('problem', t.text),
          containsText('tags', t.text),
        ]),
      ),
    )
    .orderBy('id')
    .limit(500)
    .execute();
  return scoreEntries(terms, rows, minScore, limit);
}

export interface KbEntryText {
  id: string;
  title: string;
  problem: string;
  tags: string;
}

/** Scores entries by the weight of the terms they hold; best first, ties by id. */
export function scoreEntries(
  terms: readonly Term[],
  entries: readonly KbEntryText[],
  minScore: number,
  limit = 3,
): KbMatch[] {
  const total = terms.reduce((s, t) => s + t.weight, 0);
  if (total === 0) return [];
  const out: KbMatch[] = [];
  for (const row of entries) {
    const text = `${row.title}\n${row.problem}\n${row.tags}`.toLowerCase();
    const found = terms.reduce((s, t) => s + (text.includes(t.text) ? t.weight : 0), 0);
    const score = Math.round((found / total) * 10_000) / 10_000;
    if (found > 0 && score >= minScore) out.push({ kbEntryId: row.id, score });
  }
  return out.sort((a, b) => b.score - a.score || (a.kbEntryId < b.kbEntryId ? -1 : 1)).slice(0, limit);
}

export interface SuggestedEntry {
  title: string;
  problem: string;
  category: string;
  tags: string[];
}

/** The KB entry a pattern without one suggests; a person reviews it before it becomes an entry. */
export function suggestionFor(pattern: MatchablePattern, exampleTitles: readonly string[]): SuggestedEntry {
  const terms = termsOf(pattern);
  const label = pattern.errorCode ?? pattern.component ?? terms.map((t) => t.text).join(' ');
  const examples = exampleTitles.slice(0, 5).map((t) => `- ${t}`);
  const tags = [pattern.errorCode, pattern.component]
    .filter((t): t is string => !!t)
    .map((t) =>
      t
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, ''),
    )
    .filter((t) => t.length > 0);
  return {
    title: `${label}: recurring incidents`.slice(0, 255),
    problem: [pattern.description, ...(examples.length > 0 ? ['', 'Examples:', ...examples] : [])].join('\n'),
    category: pattern.errorCode ? categoryOfCode(pattern.errorCode) : 'Other',
    tags: [...new Set(tags)],
  };
}
