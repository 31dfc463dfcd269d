import type { TableBatch, TableContribution } from '@mainframe-kb/storage-core';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';

const BATCH_ROWS = 2_000;

function after(
  eb: ExpressionBuilder<any, any>,
  key: readonly string[],
  last: readonly unknown[],
): Expression<SqlBool> {
  return eb.or(
    key.map((column, i) =>
      eb.and([...key.slice(0, i).map((c, j) => eb(c, '=', last[j])), eb(column, '>', last[i])]),
    ),
  );
}

/**
 * The rows of `tables` in a database opened through kysely (a restored image), in primary-key order by key
 * ranges, as storage-core's `importTables` takes them. The image is private to the restore, so no
 * transaction is needed for a consistent read.
 */
export async function* tableBatchesOf(
  db: Kysely<any>,
  tables: readonly TableContribution[],
  batchRows = BATCH_ROWS,
): AsyncGenerator<TableBatch> {
  for (const table of tables) {
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
      const rows = (await query.limit(batchRows).execute()) as Record<string, unknown>[];
      if (rows.length === 0) break;
      yield { table: table.name, entity: table.entity, rows };
      if (rows.length < batchRows) break;
      const tail = rows[rows.length - 1]!;
      last = key.map((column) => tail[column]);
    }
  }
}
