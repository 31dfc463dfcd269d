import type { Migration } from '@mainframe-kb/storage-core';
import { type Kysely, sql } from 'kysely';

/**
 * The plugin's tables, in its own `code` namespace. Portable across SQLite, PostgreSQL and MySQL: string
 * ids, ISO-8601 UTC timestamps as varchar(32), JSON as text (`longText` where a program's structure can pass
 * MySQL's 64 KiB `text`), varchar with a length for every indexed column (MySQL cannot index TEXT; the
 * (repository, path) key stays under its 3,072-byte index limit in utf8mb4).
 */
export const codeSchemaMigration: Migration = {
  id: '0001_code_tables',
  description: 'code repositories, analysed files, analysis results, KB references and the symbol index',
  async up(db: Kysely<any>, ctx) {
    await db.schema
      .createTable('code_repositories')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('type', 'varchar(8)', (c) => c.notNull().check(sql`type in ('local', 'git', 'idz')`))
      .addColumn('last_commit', 'varchar(64)')
      .addColumn('last_scan', 'varchar(32)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('metadata', ctx.types.json, (c) => c.notNull())
      .addUniqueConstraint('code_repositories_name_uq', ['name'])
      .execute();

    await db.schema
      .createTable('code_files')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('repository_id', 'varchar(64)', (c) =>
        c.notNull().references('code_repositories.id').onDelete('cascade'),
      )
      .addColumn('file_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('language', 'varchar(16)', (c) =>
        c.notNull().check(sql`language in ('cobol', 'copybook', 'jcl', 'unknown')`),
      )
      .addColumn('name', 'varchar(64)')
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('lines_count', 'integer', (c) => c.notNull())
      .addColumn('complexity_score', ctx.types.double)
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('parsed_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('structure', ctx.types.longText, (c) => c.notNull())
      .addColumn('issues', ctx.types.longText, (c) => c.notNull())
      .addColumn('metadata', ctx.types.json, (c) => c.notNull())
      .addUniqueConstraint('code_files_repository_path_uq', ['repository_id', 'file_path'])
      .execute();
    await db.schema.createIndex('code_files_name_idx').on('code_files').column('name').execute();

    await db.schema
      .createTable('code_analysis_results')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('code_file_id', 'varchar(64)', (c) =>
        c.notNull().references('code_files.id').onDelete('cascade'),
      )
      .addColumn('analysis_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('analyzer', 'varchar(128)', (c) => c.notNull())
      .addColumn('summary', 'text')
      .addColumn('result', ctx.types.longText, (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('code_analysis_results_file_idx')
      .on('code_analysis_results')
      .columns(['code_file_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('code_references')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('kb_entry_id', 'varchar(64)', (c) =>
        c.notNull().references('kb_entries.id').onDelete('cascade'),
      )
      .addColumn('code_file_id', 'varchar(64)', (c) => c.references('code_files.id').onDelete('set null'))
      .addColumn('file_path', 'varchar(512)', (c) => c.notNull())
      .addColumn('line_start', 'integer', (c) => c.notNull())
      .addColumn('line_end', 'integer', (c) => c.notNull())
      .addColumn('code_snippet', 'text', (c) => c.notNull())
      .addColumn('link_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('confidence', ctx.types.double)
      .addColumn('status', 'varchar(16)', (c) =>
        c.notNull().check(sql`status in ('active', 'stale', 'suggested')`),
      )
      .addColumn('note', 'text')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('code_references_entry_idx')
      .on('code_references')
      .column('kb_entry_id')
      .execute();
    await db.schema
      .createIndex('code_references_file_idx')
      .on('code_references')
      .column('code_file_id')
      .execute();

    await db.schema
      .createTable('code_symbols')
      .addColumn('code_file_id', 'varchar(64)', (c) =>
        c.notNull().references('code_files.id').onDelete('cascade'),
      )
      .addColumn('kind', 'varchar(24)', (c) => c.notNull())
      .addColumn('name', 'varchar(128)', (c) => c.notNull())
      .addColumn('line', 'integer', (c) => c.notNull())
      .addColumn('detail', 'varchar(255)')
      .addPrimaryKeyConstraint('code_symbols_pk', ['code_file_id', 'kind', 'name', 'line'])
      .execute();
    await db.schema
      .createIndex('code_symbols_name_idx')
      .on('code_symbols')
      .columns(['name', 'kind'])
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of [
      'code_symbols',
      'code_references',
      'code_analysis_results',
      'code_files',
      'code_repositories',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

export const CODE_MIGRATIONS: readonly Migration[] = [codeSchemaMigration];
