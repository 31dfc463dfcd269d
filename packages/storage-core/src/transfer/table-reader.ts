import { type Kysely, sql, type Transaction } from 'kysely';
import type { TableContribution } from '../plugin/plugin-types.js';

export const DEFAULT_BATCH_SIZE = 2_000;

/**
 * Reads a whole table in primary-key order, `batchSize` rows at a time, by key ranges (not OFFSET, which
 * rescans). Run it inside a read transaction to see one snapshot.
 */
export async function* readTableRows(
  db: Kysely<any> | Transaction<any>,
  table: Pick<TableContribution, 'name' | 'primaryKey'>,
  batchSize = DEFAULT_BATCH_SIZE,
): AsyncGenerator<Record<string, unknown>[]> {
  const key = table.primaryKey;
  if (key.length === 0) throw new RangeError(`table '${table.name}' declares no primary key`);
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
    for (const column of key) query = query.orderBy(column, 'asc');
    const rows = (await query.limit(batchSize).execute()) as Record<string, unknown>[];
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    const tail = rows[rows.length - 1]!;
    last = key.map((column) => tail[column]);
  }
}
