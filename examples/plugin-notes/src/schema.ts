import type { Migration } from '@mainframe-kb/storage-core';
import type { Generated } from 'kysely';

/** A row of `kb_notes`. Timestamps are ISO-8601 UTC text, as in every table of the store. */
export interface NoteRow {
  /** Assigned by the database: the order notes were written in, even within one millisecond. */
  seq: Generated<number>;
  id: string;
  entry_id: string;
  author: string;
  text: string;
  created_at: string;
}

/** What `ctx.db` and `scope.trx` see: the plugin's table, and the columns of core's it reads. */
export interface NotesDatabase {
  kb_notes: NoteRow;
  kb_entries: { id: string; title: string };
}

/**
 * The `notes` namespace's first migration. Column types that are spelt differently per dialect come from
 * `ctx.types`; everything else is portable as written (varchar with a length wherever MySQL indexes it).
 */
export const notesMigration: Migration = {
  id: '0001_kb_notes',
  description: 'operator notes on KB entries',
  async up(db, ctx) {
    await ctx.types
      .autoIncrementKey(db.schema.createTable('kb_notes'), 'seq')
      .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('entry_id', 'varchar(64)', (c) =>
        c.notNull().references('kb_entries.id').onDelete('cascade'),
      )
      .addColumn('author', 'varchar(128)', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('kb_notes_entry_idx').on('kb_notes').columns(['entry_id', 'seq']).execute();
  },
  async down(db) {
    await db.schema.dropTable('kb_notes').execute();
  },
};
