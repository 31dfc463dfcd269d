import { CompiledQuery, type Kysely, type Transaction } from 'kysely';

/**
 * What the bound values of one statement may add up to. MySQL and MariaDB refuse a statement longer than
 * `max_allowed_packet` (16 MiB by default on MariaDB, 64 MiB on MySQL 8), and mysql2 writes the values into
 * the statement's text (bytes as hex): a batch of 1 MiB blobs must be cut into several statements.
 */
export const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;

/**
 * An upper bound of the bytes `value` takes in a statement: bytes twice over (hex) plus quotes, text three
 * bytes per UTF-16 unit (UTF-8, or an escaped ASCII character), anything else a number's worth.
 */
export function boundValueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length * 3 + 2;
  if (value instanceof Uint8Array) return value.byteLength * 2 + 3;
  return 24;
}

/**
 * A value as every driver binds it: a `Uint8Array` that is not a `Buffer` (a columnar reader's bytes) as a
 * `Buffer` over the same memory; mysql2 binds only Buffers as bytes.
 */
export function bindableBytes(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

/**
 * Inserts many rows in multi-row statements of `chunkSize` rows at most (and at most `MAX_STATEMENT_BYTES`
 * of values, so that large blobs go a few at a time), compiling the statement once per chunk length and
 * re-binding it, instead of building and compiling a query per chunk (on a 100,000-row import kysely's
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
  for (let i = 0; i < rows.length; ) {
    // kysely leaves undefined columns out of the SQL; binding null keeps the statement and the values aligned.
    const parameters: unknown[] = [];
    let count = 0;
    let bytes = 0;
    for (; i < rows.length && count < chunkSize; i += 1) {
      const row = rows[i]!;
      const keys = Object.keys(row);
      if (keys.length !== columns.length || keys.some((k, n) => k !== columns[n])) {
        throw new TypeError(
          `insertRows(${table}): every row needs the columns ${columns.join(', ')}, in that order`,
        );
      }
      let rowBytes = 0;
      for (const column of columns) rowBytes += boundValueBytes(row[column]);
      // A row larger than the budget goes alone: the server says whether it takes it.
      if (count > 0 && bytes + rowBytes > MAX_STATEMENT_BYTES) break;
      for (const column of columns) parameters.push(bindableBytes(row[column] ?? null));
      bytes += rowBytes;
      count += 1;
    }
    let text = compiled.get(count);
    if (text === undefined) {
      const shape = Object.fromEntries(columns.map((c) => [c, null]));
      text = db
        .insertInto(table)
        .values(Array.from({ length: count }, () => shape))
        .compile().sql;
      compiled.set(count, text);
    }
    await db.executeQuery(CompiledQuery.raw(text, parameters));
  }
}
