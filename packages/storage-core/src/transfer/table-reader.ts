import { type Kysely, type SelectQueryBuilder, sql, type Transaction } from 'kysely';
import type { TableContribution } from '../plugin/plugin-types.js';

export const DEFAULT_BATCH_SIZE = 2_000;

/**
 * About how many bytes of rows one batch may hold in memory. A table of 1 MiB blobs read 2,000 rows at a time
 * would hold 2 GB; its batches are cut to this instead.
 */
export const TARGET_BATCH_BYTES = 16 * 1024 * 1024;

/** About the bytes a row holds in memory: text two bytes per UTF-16 unit, bytes as they are. */
function rowBytes(row: Record<string, unknown>): number {
  let bytes = 0;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') bytes += value.length * 2;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else bytes += 8;
  }
  return bytes;
}

/**
 * Reads a whole table in primary-key order, `batchSize` rows at a time, by key ranges (not OFFSET, which
 * rescans). Run it inside a read transaction to see one snapshot.
 *
 * Batches also stay near `targetBytes`: the first row is read alone to size them (a table of small rows keeps
 * `batchSize`, so its batches are the same as ever), and a batch that still comes out larger shrinks the next.
 */
export async function* readTableRows(
  db: Kysely<any> | Transaction<any>,
  table: Pick<TableContribution, 'name' | 'primaryKey'>,
  batchSize = DEFAULT_BATCH_SIZE,
  targetBytes = TARGET_BATCH_BYTES,
): AsyncGenerator<Record<string, unknown>[]> {
  const key = table.primaryKey;
  if (key.length === 0) throw new RangeError(`table '${table.name}' declares no primary key`);
  const ordered = <Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q => {
    let q = query;
    for (const column of key) q = q.orderBy(column, 'asc') as Q;
    return q;
  };
  const first = (await ordered(db.selectFrom(table.name).selectAll()).limit(1).execute()) as Record<
    string,
    unknown
  >[];
  if (first.length === 0) return;
  let size = Math.max(1, Math.min(batchSize, Math.floor(targetBytes / Math.max(1, rowBytes(first[0]!)))));
  let last: unknown[] | undefined;
  for (;;) {
    let query = db.selectFrom(table.name).selectAll();
    if (last) {
      // A row-value comparison, which SQLite, PostgreSQL and MySQL all answer with a range scan of the key;
      // the equivalent OR of ANDs made SQLite scan the whole table per batch (quadratic on composite keys).
      const bound = last;
      query =
        key.length === 1
          ? query.where(key[0]!, '>', bound[0])
          : query.where(
              sql<boolean>`(${sql.join(key.map((c) => sql.ref(c)))}) > (${sql.join(bound.map((v) => sql`${v}`))})`,
            );
    }
    const rows = (await ordered(query).limit(size).execute()) as Record<string, unknown>[];
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < size) return;
    const tail = rows[rows.length - 1]!;
    last = key.map((column) => tail[column]);
    const bytes = rows.reduce((sum, row) => sum + rowBytes(row), 0);
    if (bytes > targetBytes) size = Math.max(1, Math.floor((size * targetBytes) / bytes));
  }
}
