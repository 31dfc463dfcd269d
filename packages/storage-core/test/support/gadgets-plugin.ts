import { definePlugin } from '../../src/index.js';

/**
 * A plugin with one migration (one table, `gadgets`), as an extension enabled after the store was created
 * brings: what the migration tests run, record in the audit trail and roll back.
 */
export const gadgets = definePlugin({
  id: 'gadgets',
  version: '1.0.0',
  mvp: 3,
  tables: { gadgets: { entity: 'gadgets', primaryKey: ['id'] } },
  migrations: [
    {
      id: '0001_gadgets',
      async up(db) {
        await db.schema
          .createTable('gadgets')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .execute();
      },
      async down(db) {
        await db.schema.dropTable('gadgets').execute();
      },
    },
  ],
  setup: () => ({}),
});
