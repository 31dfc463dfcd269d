import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';
import type { TableContribution } from '../plugin/plugin-types.js';

export const DEFAULT_BATCH_SIZE = 2_000;

/** `(k1, k2, …) > (v1, v2, …)` spelt out lexicographically, which every dialect plans as a range scan. */
function after(
  eb: ExpressionBuilder<any, any>,
  key: readonly string[],
  last: readonly unknown[],
): Expression<SqlBool> {
  const branches = key.map((column, i) =>
    eb.and([...key.slice(0, i).map((c, j) => eb(c, '=', last[j])), eb(column, '>', last[i])]),
  );
  return eb.or(branches);
}

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
      const bound = last;
      query = query.where((eb) => after(eb, key, bound));
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
