import { definePlugin, type PluginContext, type PluginSetup, type Role } from '@mainframe-kb/storage-core';
import { createPatternsApi, type PatternsApi } from './api/patterns-api.js';
import './events.js';
import { PATTERNS_IMPORTERS, patternsImporterHandler } from './importers/importer-registry.js';
import { patternsOptionsSchema, validate } from './input-schemas.js';
import { PATTERNS_MIGRATIONS } from './schema/patterns-migrations.js';

export const PATTERNS_PACKAGE = '@mainframe-kb/plugin-patterns';
export const PATTERNS_VERSION = '0.0.0';

/** The least role of each operation; any other `patterns.*` operation is refused (deny by default). */
export const PATTERNS_PERMISSIONS: Readonly<Record<string, Role>> = {
  'patterns.incident.read': 'viewer',
  'patterns.incident.write': 'editor',
  'patterns.incident.delete': 'editor',
  'patterns.import': 'editor',
  'patterns.read': 'viewer',
  'patterns.write': 'editor',
  'patterns.link': 'editor',
  'patterns.detect': 'editor',
};

function setup(ctx: PluginContext): PluginSetup<PatternsApi> {
  const options = validate(patternsOptionsSchema, ctx.options, 'config.mvp.extensions[patterns].options');
  const api = createPatternsApi({ ctx, options, importers: PATTERNS_IMPORTERS });
  return {
    api,
    methods: {
      createPattern: (data) => api.createPattern(data),
      getPatterns: (criteria) => api.getPatterns(criteria),
      updatePattern: (id, updates) => api.updatePattern(id, updates),
    },
    permissions: PATTERNS_PERMISSIONS,
    contributes: {
      tables: [
        { name: 'incidents', entity: 'incidents', primaryKey: ['id'] },
        {
          name: 'incident_error_codes',
          entity: 'incidents',
          primaryKey: ['incident_id', 'code'],
          derived: true,
        },
        { name: 'incident_patterns', entity: 'patterns', primaryKey: ['id'] },
        { name: 'pattern_incidents', entity: 'patterns', primaryKey: ['pattern_id', 'incident_id'] },
        { name: 'kb_pattern_links', entity: 'patterns', primaryKey: ['pattern_id', 'kb_entry_id'] },
        { name: 'kb_entry_suggestions', entity: 'patterns', primaryKey: ['pattern_id'] },
      ],
      importers: [
        {
          source: 'servicenow',
          description:
            'ServiceNow incidents: Table API JSON ({"result":[…]}, plain or display-value fields) or a CSV export',
          entities: ['incidents'],
          handler: patternsImporterHandler('servicenow', api),
        },
        {
          source: 'jira',
          description: 'Jira issues: REST API v2 or v3 search results (ADF descriptions become text)',
          entities: ['incidents'],
          handler: patternsImporterHandler('jira', api),
        },
        {
          source: 'splunk',
          description: 'Splunk search results: export NDJSON (preview rows skipped), results JSON, or CSV',
          entities: ['incidents'],
          handler: patternsImporterHandler('splunk', api),
        },
      ],
      metrics: async () => {
        const db = ctx.db;
        const count = async (table: string) =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirst()
            )?.n ?? 0,
          );
        return { incidents: await count('incidents'), patterns: await count('incident_patterns') };
      },
    },
  };
}

/**
 * The MVP2 extension: incidents, the patterns found in them, and their links to the KB. Enable it with
 * `config.mvp.extensions: [{ id: 'patterns' }]` (loaded from this package) or `createStorage(config,
 * { plugins: [patternsPlugin] })`; reach its API with `storage.extension(patternsPlugin)`.
 */
export const patternsPlugin = definePlugin({
  id: 'patterns',
  version: PATTERNS_VERSION,
  mvp: 2,
  package: PATTERNS_PACKAGE,
  description: 'incidents from ServiceNow, Jira and Splunk, and the recurring patterns found in them',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  migrations: PATTERNS_MIGRATIONS,
  setup,
});
