import type { ParsedQuery, QueryAtom, QueryClause } from '../../search/query-types.js';

/**
 * Turns a parsed query into an FTS5 MATCH expression. Every atom becomes an FTS5 string — its terms inside
 * double quotes, `"` doubled — so no user text is ever read as FTS5 syntax (AND, OR, NOT, NEAR, `^`, `:`,
 * `*`, parentheses); operators and the prefix star come only from the parsed structure. The terms were
 * produced by the same tokenisation as the index's, so FTS5 re-tokenises each string into exactly them.
 *
 * Atoms appear in `atomsInOrder` order (positive clauses, then negated ones), which is the order FTS5 numbers
 * phrases in, so per-phrase arrays computed in JavaScript line up with the index's.
 */

export function fts5String(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

export function atomExpression(atom: QueryAtom): string {
  return `${fts5String(atom.terms.join(' '))}${atom.prefix ? '*' : ''}`;
}

function clauseExpression(clause: QueryClause): string {
  const atoms = clause.atoms.map(atomExpression);
  return atoms.length === 1 ? atoms[0]! : `(${atoms.join(' OR ')})`;
}

/** The positive part ANDed, then `NOT` each negated clause; undefined when nothing is positive. */
export function matchExpression(query: ParsedQuery): string | undefined {
  const positive = query.clauses.filter((c) => !c.negated).map(clauseExpression);
  if (positive.length === 0) return undefined;
  let expression = positive.length === 1 ? positive[0]! : positive.join(' AND ');
  for (const clause of query.clauses.filter((c) => c.negated)) {
    expression = `(${expression}) NOT ${clauseExpression(clause)}`;
  }
  return expression;
}

/** Any of the negated clauses, for excluding them from a filter-only listing. */
export function negatedExpression(query: ParsedQuery): string | undefined {
  const negated = query.clauses.filter((c) => c.negated).map(clauseExpression);
  return negated.length === 0 ? undefined : negated.join(' OR ');
}
