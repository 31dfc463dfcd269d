import type { ColumnTypes } from '../column-types.js';

/** AUTOINCREMENT: a key is never handed out again after its row is deleted, as a bare rowid alias may be. */
export const sqliteColumnTypes: ColumnTypes = {
  autoIncrementKey: (table, column) =>
    table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()),
  double: 'real',
  json: 'text',
  longText: 'text',
  blob: 'blob',
};
