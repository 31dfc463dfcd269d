import type { Migration, TableDeclaration } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';

/**
 * The plugin's tables. The checkpoints are the state of imports into this database, not knowledge: `derived`
 * keeps them out of exports, content hashes, copies and logical backups (a copy starts with none, so an
 * import resumed there starts over), while a physical backup carries them consistent with the rows they
 * describe, since both are written in one transaction.
 */
export const IO_FORMATS_TABLES: Readonly<Record<string, TableDeclaration>> = {
  io_import_checkpoints: { entity: 'io-formats', primaryKey: ['input_key'], derived: true },
};

/** Portable across SQLite, PostgreSQL and MySQL: a varchar key (MySQL cannot index TEXT). */
export const importCheckpointsMigration: Migration = {
  id: '0001_import_checkpoints',
  description: 'io_import_checkpoints: how far each checkpointed batch import has committed, per input',
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('io_import_checkpoints')
      .addColumn('input_key', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('input', 'text', (c) => c.notNull())
      .addColumn('committed', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('io_import_checkpoints').execute();
  },
};

export const IO_FORMATS_MIGRATIONS: readonly Migration[] = [importCheckpointsMigration];
