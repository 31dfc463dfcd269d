import { type Kysely, sql } from 'kysely';
import { AUDIT_GENESIS } from '../audit/audit-trail.js';
import type { Migration, MigrationContext } from '../migration/migration-types.js';

/**
 * The knowledge base's tables. Timestamps are ISO-8601 UTC text with milliseconds, so they sort and compare
 * the same on every dialect; booleans are 0/1 integers.
 */
export const kbSchemaMigration: Migration = {
  id: '0001_knowledge_base',
  description: 'knowledge base entries, tags, relations, feedback, usage, search history',
  async up(db: Kysely<any>, ctx: MigrationContext) {
    // An integer key the full-text index refers to; stable across VACUUM, unlike an implicit rowid.
    await ctx.types
      .autoIncrementKey(db.schema.createTable('kb_entries'), 'seq')
      .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('title', 'varchar(255)', (c) => c.notNull())
      .addColumn('problem', 'text', (c) => c.notNull())
      .addColumn('solution', 'text', (c) => c.notNull())
      .addColumn('category', 'varchar(64)', (c) => c.notNull())
      .addColumn('severity', 'varchar(16)', (c) =>
        c.notNull().defaultTo('medium').check(sql`severity in ('low', 'medium', 'high', 'critical')`),
      )
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_by', 'varchar(128)')
      .addColumn('usage_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('success_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.createIndex('kb_entries_category_idx').on('kb_entries').column('category').execute();
    await db.schema.createIndex('kb_entries_updated_idx').on('kb_entries').column('updated_at').execute();

    await db.schema
      .createTable('kb_tags')
      .addColumn('entry_id', 'varchar(64)', (c) =>
        c.notNull().references('kb_entries.id').onDelete('cascade'),
      )
      .addColumn('tag', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('kb_tags_pk', ['entry_id', 'tag'])
      .execute();
    await db.schema.createIndex('kb_tags_tag_idx').on('kb_tags').columns(['tag', 'entry_id']).execute();

    await db.schema
      .createTable('kb_relations')
      .addColumn('from_id', 'varchar(64)', (c) => c.notNull().references('kb_entries.id').onDelete('cascade'))
      .addColumn('to_id', 'varchar(64)', (c) => c.notNull().references('kb_entries.id').onDelete('cascade'))
      .addColumn('relation_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addPrimaryKeyConstraint('kb_relations_pk', ['from_id', 'to_id', 'relation_type'])
      .addCheckConstraint('kb_relations_not_self', sql`from_id <> to_id`)
      .execute();
    await db.schema.createIndex('kb_relations_to_idx').on('kb_relations').column('to_id').execute();

    await db.schema
      .createTable('kb_feedback')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('entry_id', 'varchar(64)', (c) =>
        c.notNull().references('kb_entries.id').onDelete('cascade'),
      )
      .addColumn('outcome', 'varchar(16)', (c) => c.notNull().check(sql`outcome in ('success', 'failure')`))
      .addColumn('rating', 'integer', (c) => c.check(sql`rating between 1 and 5`))
      .addColumn('comment', 'text')
      .addColumn('user_id', 'varchar(128)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('kb_feedback_entry_idx').on('kb_feedback').column('entry_id').execute();

    await db.schema
      .createTable('usage_metrics')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('entry_id', 'varchar(64)', (c) =>
        c.notNull().references('kb_entries.id').onDelete('cascade'),
      )
      .addColumn('action', 'varchar(32)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(128)')
      .addColumn('session_id', 'varchar(128)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('usage_metrics_entry_idx')
      .on('usage_metrics')
      .columns(['entry_id', 'created_at'])
      .execute();

    await ctx.types
      .autoIncrementKey(db.schema.createTable('search_history'), 'id')
      .addColumn('query', 'text', (c) => c.notNull())
      .addColumn('result_count', 'integer', (c) => c.notNull())
      .addColumn('top_result_id', 'varchar(64)')
      .addColumn('corrected_query', 'text')
      .addColumn('took_ms', ctx.types.double, (c) => c.notNull())
      .addColumn('user_id', 'varchar(128)')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('search_history_created_idx')
      .on('search_history')
      .column('created_at')
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of [
      'search_history',
      'usage_metrics',
      'kb_feedback',
      'kb_relations',
      'kb_tags',
      'kb_entries',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

/** The durable event log and the hash-chained audit trail. */
export const eventsAndAuditMigration: Migration = {
  id: '0002_events_audit',
  description: 'durable event log and hash-chained audit trail',
  async up(db: Kysely<any>, ctx: MigrationContext) {
    await ctx.types
      .autoIncrementKey(db.schema.createTable('kb_events'), 'seq')
      .addColumn('type', 'varchar(64)', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('kb_events_created_idx')
      .on('kb_events')
      .columns(['created_at', 'seq'])
      .execute();

    await ctx.types
      .autoIncrementKey(db.schema.createTable('kb_audit'), 'seq')
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('actor', 'varchar(128)', (c) => c.notNull())
      .addColumn('role', 'varchar(16)', (c) => c.notNull())
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('entity', 'varchar(64)', (c) => c.notNull())
      .addColumn('entity_id', 'varchar(128)')
      .addColumn('detail', 'text')
      .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('kb_audit').execute();
    await db.schema.dropTable('kb_events').execute();
  },
  refuseDownWhileRowsIn: ['kb_audit', 'kb_events'],
};

/**
 * The head of the audit chain: one row holding the last audit row's sequence number and hash. Every append
 * locks it (a locking read on the server dialects, where writers run concurrently; SQLite serialises
 * writers already), so the chain stays linear, and deleting rows from the end of the chain is detected
 * because the head no longer matches the last row.
 */
export const auditHeadMigration: Migration = {
  id: '0003_audit_head',
  description: 'audit chain head row: serialises audit appends across connections, detects tail deletion',
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('kb_audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
    // The head of an existing chain (stores created before this migration), or the genesis hash.
    await sql`insert into kb_audit_head (id, seq, hash)
      select 1, coalesce(max(seq), 0),
        coalesce((select a.hash from kb_audit a where a.seq = (select max(b.seq) from kb_audit b)), ${AUDIT_GENESIS})
      from kb_audit`.execute(db);
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('kb_audit_head').execute();
  },
};

/**
 * An index on the use count: the search engines bound what the usage blend can add by the largest count
 * (search-ranking.ts), which without it is a scan of every entry after each write.
 */
export const usageIndexMigration: Migration = {
  id: '0004_entries_usage_idx',
  description: 'index on kb_entries.usage_count (the usage blend reads its maximum)',
  async up(db: Kysely<any>) {
    await db.schema.createIndex('kb_entries_usage_idx').on('kb_entries').column('usage_count').execute();
  },
  async down(db: Kysely<any>, ctx: MigrationContext) {
    const drop = db.schema.dropIndex('kb_entries_usage_idx');
    await (ctx.capabilities.dropIndexNeedsTable ? drop.on('kb_entries') : drop).execute();
  },
};

/**
 * Keyed audit rows: each row names the key its HMAC was computed with (null for the rows written before,
 * which keep verifying under the first, unkeyed rule). The head gains room for loads waiting to be recorded
 * (see AuditTrail.resetHead). Rolling back would forget which key signed each row: refused while rows exist.
 */
export const auditKeysMigration: Migration = {
  id: '0005_audit_keys',
  description: 'audit rows name the key of their HMAC; the head keeps loads waiting to be recorded',
  async up(db: Kysely<any>) {
    await db.schema.alterTable('kb_audit').addColumn('key_id', 'varchar(64)').execute();
    await db.schema.alterTable('kb_audit_head').addColumn('pending', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('kb_audit_head').dropColumn('pending').execute();
    await db.schema.alterTable('kb_audit').dropColumn('key_id').execute();
  },
  refuseDownWhileRowsIn: ['kb_audit'],
};

/** The database itself refuses UPDATE and DELETE of audit rows (triggers; see AppendOnlyGuard). */
export const auditAppendOnlyMigration: Migration = {
  id: '0006_audit_append_only',
  description: 'the database refuses UPDATE and DELETE on kb_audit',
  async up(db: Kysely<any>, ctx: MigrationContext) {
    await ctx.appendOnly.protect(db, 'kb_audit');
  },
  async down(db: Kysely<any>, ctx: MigrationContext) {
    await ctx.appendOnly.unprotect(db, 'kb_audit');
  },
};

/** What the audit trail needs before a migration run may write audit rows (MigrationAudit.requires). */
export const AUDIT_TRAIL_MIGRATIONS: readonly string[] = [
  `core:${eventsAndAuditMigration.id}`,
  `core:${auditHeadMigration.id}`,
  `core:${auditKeysMigration.id}`,
];
