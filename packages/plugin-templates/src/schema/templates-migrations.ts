import type { Migration } from '@mainframe-kb/storage-core';
import { type Kysely, sql } from 'kysely';

/**
 * The plugin's tables, in its own `templates` namespace: portable across SQLite, PostgreSQL and MySQL
 * (string ids, ISO-8601 timestamps as varchar(32), JSON as text, `longText` for template content, varchar with
 * a length for every indexed column).
 */
export const templatesSchemaMigration: Migration = {
  id: '0001_templates',
  description:
    'code templates, their immutable versions, KB and pattern links, usage, IDz project workspaces',
  async up(db: Kysely<any>, ctx) {
    await db.schema
      .createTable('code_templates')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('language', 'varchar(8)', (c) =>
        c.notNull().check(sql`language in ('cobol', 'jcl', 'text')`),
      )
      .addColumn('category', 'varchar(64)', (c) => c.notNull())
      .addColumn('status', 'varchar(8)', (c) => c.notNull().check(sql`status in ('active', 'retired')`))
      .addColumn('current_version', 'integer', (c) => c.notNull())
      .addColumn('error_codes', ctx.types.json, (c) => c.notNull())
      .addColumn('tags', ctx.types.json, (c) => c.notNull())
      .addColumn('usage_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('success_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('success_rate', ctx.types.double, (c) => c.notNull())
      .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('code_templates_rank_idx')
      .on('code_templates')
      .columns(['status', 'success_rate'])
      .execute();

    await db.schema
      .createTable('template_versions')
      .addColumn('template_id', 'varchar(64)', (c) =>
        c.notNull().references('code_templates.id').onDelete('cascade'),
      )
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('content', ctx.types.longText, (c) => c.notNull())
      .addColumn('parameters', ctx.types.longText, (c) => c.notNull())
      .addColumn('validation_rules', ctx.types.json, (c) => c.notNull())
      .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('author', 'varchar(128)', (c) => c.notNull())
      .addColumn('change_note', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('template_versions_pk', ['template_id', 'version'])
      .execute();

    await db.schema
      .createTable('template_kb_links')
      .addColumn('template_id', 'varchar(64)', (c) =>
        c.notNull().references('code_templates.id').onDelete('cascade'),
      )
      .addColumn('kb_entry_id', 'varchar(64)', (c) =>
        c.notNull().references('kb_entries.id').onDelete('cascade'),
      )
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('template_kb_links_pk', ['template_id', 'kb_entry_id'])
      .execute();
    await db.schema
      .createIndex('template_kb_links_entry_idx')
      .on('template_kb_links')
      .column('kb_entry_id')
      .execute();

    await db.schema
      .createTable('template_pattern_links')
      .addColumn('template_id', 'varchar(64)', (c) =>
        c.notNull().references('code_templates.id').onDelete('cascade'),
      )
      .addColumn('pattern_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('template_pattern_links_pk', ['template_id', 'pattern_id'])
      .execute();

    await db.schema
      .createTable('template_usage')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('template_id', 'varchar(64)', (c) =>
        c.notNull().references('code_templates.id').onDelete('cascade'),
      )
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('kind', 'varchar(8)', (c) => c.notNull().check(sql`kind in ('render', 'outcome')`))
      .addColumn('worked', 'integer', (c) => c.check(sql`worked in (0, 1)`))
      .addColumn('parameters_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('actor', 'varchar(128)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('template_usage_template_idx')
      .on('template_usage')
      .columns(['template_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('project_workspaces')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('idz_project_path', 'text')
      .addColumn('local_path', 'text')
      .addColumn('members', ctx.types.longText, (c) => c.notNull())
      .addColumn('metadata', ctx.types.json, (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of [
      'project_workspaces',
      'template_usage',
      'template_pattern_links',
      'template_kb_links',
      'template_versions',
      'code_templates',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

export const TEMPLATES_MIGRATIONS: readonly Migration[] = [templatesSchemaMigration];
