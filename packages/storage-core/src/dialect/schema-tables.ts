import type { SchemaTable } from './dialect-adapter.js';

/** One row of a catalog query: a table, and one table it refers to (null when it has no foreign key). */
export interface TableReferenceRow {
  readonly name: string;
  readonly reference: string | null;
}

/**
 * Groups catalog rows into tables. Sorting here rather than in SQL gives one order on every dialect (the
 * servers would sort by their collation). A self-reference (a tree) is no dependency on another table.
 */
export function collectSchemaTables(rows: Iterable<TableReferenceRow>): SchemaTable[] {
  const tables = new Map<string, Set<string>>();
  for (const { name, reference } of rows) {
    let references = tables.get(name);
    if (!references) {
      references = new Set();
      tables.set(name, references);
    }
    if (reference !== null && reference !== name) references.add(reference);
  }
  return [...tables]
    .sort(([a], [b]) => compare(a, b))
    .map(([name, references]) => ({ name, references: [...references].sort(compare) }));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
