import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';

/** `lower(column) like '%text%'`, with LIKE's wildcards in `text` escaped the same way on every dialect. */
export function containsText(column: string, text: string): Expression<SqlBool> {
  const escaped = text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`);
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${`%${escaped}%`} escape '!'`;
}

/** Runs `fn` over `items` in chunks, so an `in (…)` list stays under every dialect's parameter limit. */
export async function inChunks<T, R>(
  items: readonly T[],
  size: number,
  fn: (chunk: T[]) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await fn(items.slice(i, i + size))));
  return out;
}

/** Multi-row inserts of at most `maxParams` bound values each (SQLite allows 32,766, PostgreSQL 65,535). */
export async function insertMany<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  table: T,
  rows: readonly Record<string, unknown>[],
  maxParams = 30_000,
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const size = Math.max(1, Math.floor(maxParams / Object.keys(first).length));
  for (let i = 0; i < rows.length; i += size) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + size) as never)
      .execute();
  }
}
