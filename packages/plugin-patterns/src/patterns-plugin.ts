import { definePlugin, type PluginSetup, type Role } from '@mainframe-kb/storage-core';
import type { PatternsContext } from './api/api-context.js';
import { createPatternsApi, type PatternsApi } from './api/patterns-api.js';
import { incidentsCommand } from './cli/incidents-command.js';
import { patternsCommand } from './cli/patterns-command.js';
import './events.js';
import './flat-methods.js';
import { PATTERNS_IMPORTERS, patternsImporterHandler } from './importers/importer-registry.js';
import { patternsOptionsSchema } from './input-schemas.js';
import type { PatternsDatabase } from './schema/patterns-database.js';
import { PATTERNS_MIGRATIONS } from './schema/patterns-migrations.js';
import { rebuildErrorCodes } from './store/incident-repository.js';

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

function setup(ctx: PatternsContext): PluginSetup<PatternsApi, PatternsDatabase> {
  const api = createPatternsApi({ ctx, importers: PATTERNS_IMPORTERS });
  return {
    api,
    methods: {
      createPattern: api.createPattern,
      getPatterns: api.getPatterns,
      updatePattern: api.updatePattern,
    },
    permissions: PATTERNS_PERMISSIONS,
    rebuildDerived: (trx) => rebuildErrorCodes(trx),
    contributes: {
      importers: [
        {
          source: 'servicenow',
          description:
            'ServiceNow incidents: Table API JSON ({"result":[…]}, plain or display-value fields) or a CSV export',
          entities: ['incidents'],
          handler: patternsImporterHandler('servicenow'),
        },
        {
          source: 'jira',
          description: 'Jira issues: REST API v2 or v3 search results (ADF descriptions become text)',
          entities: ['incidents'],
          handler: patternsImporterHandler('jira'),
        },
        {
          source: 'splunk',
          description: 'Splunk search results: export NDJSON (preview rows skipped), results JSON, or CSV',
          entities: ['incidents'],
          handler: patternsImporterHandler('splunk'),
        },
      ],
      metrics: async () => {
        const count = async (table: 'incidents' | 'incident_patterns') =>
          Number(
            (
              await ctx.db
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
 * The MVP2 plugin: incidents, the patterns found in them, and their links to the KB. Enable it with
 * `config.mvp.extensions: [{ id: 'patterns', options }]` (loaded from this package) or pass it to
 * `createStorage(config, { plugins: [patternsPlugin] })`; reach its API with `storage.plugin(patternsPlugin)`.
 */
export const patternsPlugin = definePlugin({
  id: 'patterns',
  version: PATTERNS_VERSION,
  mvp: 2,
  package: PATTERNS_PACKAGE,
  description: 'incidents from ServiceNow, Jira and Splunk, and the recurring patterns found in them',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  options: patternsOptionsSchema,
  tables: {
    incidents: { entity: 'incidents', primaryKey: ['id'] },
    // Extracted from each incident's text whenever it is written: an index, so never exported or copied.
    incident_error_codes: { entity: 'incidents', primaryKey: ['incident_id', 'code'], derived: true },
    incident_patterns: { entity: 'patterns', primaryKey: ['id'] },
    pattern_incidents: { entity: 'patterns', primaryKey: ['pattern_id', 'incident_id'] },
    kb_pattern_links: { entity: 'patterns', primaryKey: ['pattern_id', 'kb_entry_id'] },
    kb_entry_suggestions: { entity: 'patterns', primaryKey: ['pattern_id'] },
  },
  migrations: PATTERNS_MIGRATIONS,
  provides: ['createPattern', 'getPatterns', 'updatePattern'],
  commands: [patternsCommand, incidentsCommand],
  setup,
});
