import { CompiledQuery, type Kysely, type Transaction } from 'kysely';

/**
 * Inserts many rows in multi-row statements of `chunkSize`, compiling the statement once per chunk length
 * and re-binding it, instead of building and compiling a query per chunk (on a 100,000-row import kysely's
 * compilation cost as much as SQLite's insert). Every row must have the same keys in the same order; plain
 * values only (no expressions).
 */
export async function insertRows(
  db: Kysely<any> | Transaction<any>,
  table: string,
  rows: readonly Record<string, unknown>[],
  chunkSize: number,
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const compiled = new Map<number, string>();
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    let text = compiled.get(chunk.length);
    if (text === undefined) {
      text = db.insertInto(table).values(chunk).compile().sql;
      compiled.set(chunk.length, text);
    }
    const parameters: unknown[] = [];
    for (const row of chunk) {
      if (Object.keys(row).length !== columns.length) {
        throw new TypeError(`insertRows(${table}): every row needs the columns ${columns.join(', ')}`);
      }
      for (const column of columns) parameters.push(row[column] ?? null);
    }
    await db.executeQuery(CompiledQuery.raw(text, parameters));
  }
}
