import type { Severity } from '../kb/kb-types.js';

/**
 * One thing to look for: a word, a phrase (quoted, or a word with punctuation inside such as `status-35`
 * or a code written `SQLCODE -911`), or a prefix (`abend*`). `terms` are index terms (see tokenizer.ts).
 */
export interface QueryAtom {
  /** What the user wrote, for messages and for the interpreted query. */
  raw: string;
  /** Index terms in order; more than one means they must be adjacent, in this order. */
  terms: string[];
  /** The last term is a prefix. */
  readonly prefix: boolean;
  /** Written in quotes. */
  readonly quoted: boolean;
  /** Terms as written before spell correction replaced some of them (same length as `terms`). */
  correctedFrom?: string[] | undefined;
}

/** Alternatives joined by OR; a negated clause excludes entries that match any of its atoms. */
export interface QueryClause {
  atoms: QueryAtom[];
  readonly negated: boolean;
}

export interface QueryFilters {
  /** Every category named must equal the entry's (compared case-insensitively). */
  categories: string[];
  severities: Severity[];
  /** Every tag named must be on the entry. */
  tags: string[];
}

/** A query as the engines run it: clauses ANDed together, plus filters. */
export interface ParsedQuery {
  clauses: QueryClause[];
  filters: QueryFilters;
}

/** Limits that keep a query's cost bounded whatever is typed. */
export const QUERY_LIMITS = {
  /** Characters in the query string. */
  maxLength: 500,
  /** Index terms over all atoms. */
  maxTerms: 32,
  /** Filters written in the query. */
  maxFilters: 16,
  /** Characters before `*` in a prefix term. */
  minPrefixLength: 2,
} as const;

/** Atoms in the order an engine numbers them: positive clauses first, then negated ones (as FTS5 does). */
export function atomsInOrder(query: ParsedQuery): QueryAtom[] {
  const out: QueryAtom[] = [];
  for (const clause of query.clauses) if (!clause.negated) out.push(...clause.atoms);
  for (const clause of query.clauses) if (clause.negated) out.push(...clause.atoms);
  return out;
}

export function hasText(query: ParsedQuery): boolean {
  return query.clauses.some((c) => !c.negated);
}

function quoteIfNeeded(value: string): string {
  return /[\s"]/.test(value) ? `"${value.replaceAll('"', '')}"` : value;
}

function renderAtom(atom: QueryAtom): string {
  const body = atom.terms.join(' ');
  const star = atom.prefix ? '*' : '';
  return atom.terms.length === 1 && !atom.quoted ? `${body}${star}` : `"${body}"${star}`;
}

/** The query as the engine understood it (after correction), in the query language itself. */
export function renderQuery(query: ParsedQuery): string {
  const parts: string[] = [];
  for (const clause of query.clauses) {
    const atoms = clause.atoms.map(renderAtom);
    const body = atoms.length === 1 ? atoms[0]! : `(${atoms.join(' OR ')})`;
    parts.push(clause.negated ? `-${body}` : body);
  }
  for (const c of query.filters.categories) parts.push(`category:${quoteIfNeeded(c)}`);
  for (const s of query.filters.severities) parts.push(`severity:${s}`);
  for (const t of query.filters.tags) parts.push(`tag:${quoteIfNeeded(t)}`);
  return parts.join(' ');
}
