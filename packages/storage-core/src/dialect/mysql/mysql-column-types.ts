import { sql } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

/** MySQL's `real` is a double (unless REAL_AS_FLOAT is set); `blob` stops at 64 KiB, hence `longblob`. */
export const mysqlColumnTypes: ColumnTypes = {
  autoIncrementKey: (table, column) =>
    table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()),
  double: 'real',
  json: 'text',
  longText: sql`longtext`,
  blob: sql`longblob`,
};
