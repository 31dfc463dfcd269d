import type { ColumnTypes } from '../column-types.js';

/** PostgreSQL has no AUTOINCREMENT keyword, and its `real` is 4 bytes. */
export const pgColumnTypes: ColumnTypes = {
  autoIncrementKey: (table, column) => table.addColumn(column, 'serial', (c) => c.primaryKey()),
  double: 'double precision',
  json: 'text',
  longText: 'text',
  blob: 'bytea',
};
