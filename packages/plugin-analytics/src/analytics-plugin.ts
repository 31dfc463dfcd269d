import { definePlugin, type PluginSetup, type Role } from '@mainframe-kb/storage-core';
import { type AnalyticsApi, createAnalyticsApi } from './api/analytics-api.js';
import { analyticsOptionsSchema } from './api/analytics-options.js';
import type { AnalyticsContext } from './api/api-context.js';
import { verifyAutoLog } from './auto/auto-log.js';
import { analyticsCommand } from './cli/analytics-command.js';
import './flat-methods.js';
import type { AnalyticsDatabase } from './schema/analytics-database.js';
import { ANALYTICS_MIGRATIONS } from './schema/analytics-migrations.js';

export const ANALYTICS_PACKAGE = '@mainframe-kb/plugin-analytics';
export const ANALYTICS_VERSION = '0.0.0';

/** The least role of each operation; any other `analytics.*` operation is refused (deny by default). */
export const ANALYTICS_PERMISSIONS: Readonly<Record<string, Role>> = {
  'analytics.read': 'viewer',
  'analytics.predict': 'editor',
  'analytics.snapshot': 'editor',
  'analytics.model.write': 'editor',
  'analytics.dataset.write': 'editor',
  'analytics.auto.decide': 'editor',
  'analytics.auto.review': 'editor',
  'analytics.delete': 'admin',
};

function setup(ctx: AnalyticsContext): PluginSetup<AnalyticsApi, AnalyticsDatabase> {
  const api = createAnalyticsApi(ctx);
  return {
    api,
    methods: { storePrediction: api.storePrediction, getAnalytics: api.getAnalytics },
    permissions: ANALYTICS_PERMISSIONS,
    contributes: {
      healthProbes: [
        {
          name: 'auto-resolution-log',
          async run() {
            const v = await verifyAutoLog(ctx.db);
            return v.ok
              ? { status: 'healthy', detail: `${v.rows} rows, chain intact`, data: { rows: v.rows } }
              : {
                  status: 'unhealthy',
                  detail: `${v.problems.length} problem(s), first at row ${v.problems[0]?.seq ?? '?'}: ${v.problems[0]?.problem ?? ''}`,
                  data: { rows: v.rows, problems: v.problems.length },
                };
          },
        },
      ],
      metrics: async () => {
        const count = async (
          table: 'predictions' | 'ml_models' | 'auto_resolutions' | 'analytics_snapshots',
        ) => {
          const row = await ctx.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirst();
          return Number(row?.n ?? 0);
        };
        return {
          predictions: await count('predictions'),
          models: await count('ml_models'),
          autoResolutionRows: await count('auto_resolutions'),
          snapshots: await count('analytics_snapshots'),
        };
      },
    },
  };
}

/**
 * The MVP5 plugin: time series computed from the store (with snapshots of closed periods), predictions with
 * measured accuracy from two baseline models, model files stored in checksummed chunks, frozen training
 * datasets, and an append-only, hash-chained log of automatic-resolution decisions. Enable it with
 * `config.mvp.extensions: [{ id: 'analytics' }]` or pass it to `createStorage(config, { plugins })`.
 */
export const analyticsPlugin = definePlugin({
  id: 'analytics',
  version: ANALYTICS_VERSION,
  mvp: 5,
  package: ANALYTICS_PACKAGE,
  description: 'time series, predictions with measured accuracy, model storage, the auto-resolution log',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  options: analyticsOptionsSchema,
  tables: {
    predictions: { entity: 'predictions', primaryKey: ['id'] },
    analytics_snapshots: { entity: 'analytics', primaryKey: ['id'] },
    training_datasets: { entity: 'models', primaryKey: ['id'] },
    training_dataset_members: { entity: 'models', primaryKey: ['dataset_id', 'seq'] },
    ml_models: { entity: 'models', primaryKey: ['id'] },
    ml_model_chunks: { entity: 'models', primaryKey: ['model_id', 'seq'] },
    auto_resolutions: { entity: 'auto-resolutions', primaryKey: ['seq'] },
    auto_resolution_head: { entity: 'auto-resolutions', primaryKey: ['id'] },
  },
  migrations: ANALYTICS_MIGRATIONS,
  provides: ['storePrediction', 'getAnalytics'],
  commands: [analyticsCommand],
  setup,
});

export default analyticsPlugin;
