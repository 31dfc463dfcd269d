import type { Migration } from '@mainframe-kb/storage-core';
import { type Kysely, sql } from 'kysely';

/**
 * The plugin's tables, in its own `analytics` namespace, portable across SQLite, PostgreSQL and MySQL: string
 * ids, ISO-8601 timestamps as varchar(32), JSON as text, doubles as `ctx.types.double`, model files as chunks
 * of `ctx.types.blob` (one value never holds a whole file: see the README for each dialect's limits).
 */
export const analyticsSchemaMigration: Migration = {
  id: '0001_analytics',
  description:
    'predictions, analytics snapshots, ML models stored in checksummed chunks, training datasets, the auto-resolution log',
  async up(db: Kysely<any>, ctx) {
    await db.schema
      .createTable('predictions')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('prediction_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('target_entity', 'varchar(64)', (c) => c.notNull())
      .addColumn('target_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('probability', ctx.types.double, (c) =>
        c.notNull().check(sql`probability >= 0 and probability <= 1`),
      )
      .addColumn('predicted_value', ctx.types.double)
      .addColumn('predicted_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('actual_outcome', 'text')
      .addColumn('observed_value', ctx.types.double)
      .addColumn('accuracy_score', ctx.types.double, (c) =>
        c.check(sql`accuracy_score is null or (accuracy_score >= 0 and accuracy_score <= 1)`),
      )
      .addColumn('outcome_at', 'varchar(32)')
      .addColumn('model_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('model_version', 'varchar(64)', (c) => c.notNull())
      .addColumn('metadata', ctx.types.longText, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('predictions_target_idx')
      .on('predictions')
      .columns(['target_entity', 'target_id'])
      .execute();
    await db.schema
      .createIndex('predictions_model_idx')
      .on('predictions')
      .columns(['model_type', 'model_version', 'outcome_at'])
      .execute();
    await db.schema
      .createIndex('predictions_pending_idx')
      .on('predictions')
      .columns(['prediction_type', 'outcome_at', 'predicted_at'])
      .execute();

    await db.schema
      .createTable('analytics_snapshots')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('snapshot_type', 'varchar(16)', (c) =>
        c.notNull().check(sql`snapshot_type in ('hour', 'day')`),
      )
      .addColumn('time_period', 'varchar(32)', (c) => c.notNull())
      .addColumn('data', ctx.types.longText, (c) => c.notNull())
      .addColumn('event_seq', 'bigint', (c) => c.notNull())
      .addColumn('audit_seq', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('analytics_snapshots_period_uq', ['snapshot_type', 'time_period'])
      .execute();

    await db.schema
      .createTable('training_datasets')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('entity', 'varchar(64)', (c) => c.notNull())
      .addColumn('member_count', 'integer', (c) => c.notNull())
      .addColumn('checksum', 'varchar(64)', (c) => c.notNull())
      .addColumn('metadata', ctx.types.json, (c) => c.notNull())
      .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('training_dataset_members')
      .addColumn('dataset_id', 'varchar(64)', (c) =>
        c.notNull().references('training_datasets.id').onDelete('cascade'),
      )
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('entity_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('split', 'varchar(16)', (c) =>
        c.notNull().check(sql`split in ('train', 'test', 'validation')`),
      )
      .addColumn('label', 'text')
      .addPrimaryKeyConstraint('training_dataset_members_pk', ['dataset_id', 'seq'])
      .execute();

    await db.schema
      .createTable('ml_models')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('model_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('version', 'varchar(64)', (c) => c.notNull())
      .addColumn('stage', 'varchar(16)', (c) =>
        c.notNull().check(sql`stage in ('candidate', 'production', 'retired')`),
      )
      .addColumn('checksum', 'varchar(64)', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('chunk_count', 'integer', (c) => c.notNull())
      .addColumn('media_type', 'varchar(128)', (c) => c.notNull())
      .addColumn('training_metadata', ctx.types.longText, (c) => c.notNull())
      .addColumn('performance_metrics', ctx.types.longText, (c) => c.notNull())
      .addColumn('dataset_id', 'varchar(64)', (c) => c.references('training_datasets.id'))
      .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('ml_models_version_uq', ['model_type', 'version'])
      .execute();
    await db.schema
      .createTable('ml_model_chunks')
      .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('ml_models.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('data', ctx.types.blob, (c) => c.notNull())
      .addColumn('checksum', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('ml_model_chunks_pk', ['model_id', 'seq'])
      .execute();

    await ctx.types
      .autoIncrementKey(db.schema.createTable('auto_resolutions'), 'seq')
      .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('kind', 'varchar(16)', (c) =>
        c.notNull().check(sql`kind in ('decision', 'review', 'outcome')`),
      )
      .addColumn('decision_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('incident_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('component', 'varchar(128)')
      .addColumn('proposal_kind', 'varchar(16)')
      .addColumn('proposal_id', 'varchar(128)')
      .addColumn('confidence', ctx.types.double)
      .addColumn('threshold', ctx.types.double)
      .addColumn('decision', 'varchar(16)', (c) => c.notNull())
      .addColumn('decided_by', 'varchar(128)', (c) => c.notNull())
      .addColumn('applied_solution', 'text')
      .addColumn('inputs', ctx.types.longText, (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('auto_resolutions_time_idx')
      .on('auto_resolutions')
      .columns(['created_at', 'kind'])
      .execute();
    await db.schema
      .createIndex('auto_resolutions_decision_idx')
      .on('auto_resolutions')
      .column('decision_id')
      .execute();
    await ctx.appendOnly.protect(db, 'auto_resolutions');
    await db.schema
      .createTable('auto_resolution_head')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>, ctx) {
    await ctx.appendOnly.unprotect(db, 'auto_resolutions');
    for (const table of [
      'auto_resolution_head',
      'auto_resolutions',
      'ml_model_chunks',
      'ml_models',
      'training_dataset_members',
      'training_datasets',
      'analytics_snapshots',
      'predictions',
    ]) {
      await db.schema.dropTable(table).execute();
    }
  },
};

export const ANALYTICS_MIGRATIONS: readonly Migration[] = [analyticsSchemaMigration];
