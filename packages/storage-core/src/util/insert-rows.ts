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
    // kysely leaves undefined columns out of the SQL; binding null keeps the statement and the values aligned.
    const chunk = rows.slice(i, i + chunkSize).map((row) => {
      const keys = Object.keys(row);
      if (keys.length !== columns.length || keys.some((k, n) => k !== columns[n])) {
        throw new TypeError(
          `insertRows(${table}): every row needs the columns ${columns.join(', ')}, in that order`,
        );
      }
      return Object.fromEntries(columns.map((c) => [c, row[c] ?? null]));
    });
    let text = compiled.get(chunk.length);
    if (text === undefined) {
      text = db.insertInto(table).values(chunk).compile().sql;
      compiled.set(chunk.length, text);
    }
    const parameters: unknown[] = [];
    for (const row of chunk) for (const column of columns) parameters.push(row[column]);
    await db.executeQuery(CompiledQuery.raw(text, parameters));
  }
}
