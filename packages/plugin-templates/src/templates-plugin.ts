import { definePlugin, type PluginSetup, type Role } from '@mainframe-kb/storage-core';
import { createTemplatesApi, type TemplatesApi, type TemplatesContext } from './api/templates-api.js';
import { templatesCommand } from './cli/templates-command.js';
import { workspaceCommand } from './cli/workspace-command.js';
import './flat-methods.js';
import type { TemplatesDatabase } from './schema/templates-database.js';
import { TEMPLATES_MIGRATIONS } from './schema/templates-migrations.js';

export const TEMPLATES_PACKAGE = '@mainframe-kb/plugin-templates';
export const TEMPLATES_VERSION = '0.0.0';

/** The least role of each operation; any other `templates.*` operation is refused (deny by default). */
export const TEMPLATES_PERMISSIONS: Readonly<Record<string, Role>> = {
  'templates.read': 'viewer',
  // A render is recorded (usage), like a search in the history: a viewer may render.
  'templates.render': 'viewer',
  'templates.outcome': 'editor',
  'templates.write': 'editor',
  'templates.delete': 'admin',
};

function setup(ctx: TemplatesContext): PluginSetup<TemplatesApi, TemplatesDatabase> {
  const api = createTemplatesApi(ctx);
  return {
    api,
    methods: { storeTemplate: api.storeTemplate, getTemplates: api.getTemplates },
    permissions: TEMPLATES_PERMISSIONS,
    contributes: {
      metrics: async () => {
        const row = await ctx.db
          .selectFrom('code_templates')
          .select((eb) => [
            eb.fn.countAll<number>().as('templates'),
            eb.fn.sum<number>('usage_count').as('renders'),
          ])
          .executeTakeFirst();
        return { templates: Number(row?.templates ?? 0), templateRenders: Number(row?.renders ?? 0) };
      },
    },
  };
}

/**
 * The MVP4 plugin: versioned COBOL and JCL fix templates rendered from typed parameters with a logic-less
 * engine, checked for their language's columns, and ranked by how often they worked. Enable it with
 * `config.mvp.extensions: [{ id: 'templates' }]` or pass it to `createStorage(config, { plugins })`.
 */
export const templatesPlugin = definePlugin({
  id: 'templates',
  version: TEMPLATES_VERSION,
  mvp: 4,
  package: TEMPLATES_PACKAGE,
  description: 'versioned COBOL and JCL fix templates, safe rendering, usage and outcomes',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  tables: {
    code_templates: { entity: 'templates', primaryKey: ['id'] },
    template_versions: { entity: 'templates', primaryKey: ['template_id', 'version'] },
    template_kb_links: { entity: 'templates', primaryKey: ['template_id', 'kb_entry_id'] },
    template_pattern_links: { entity: 'templates', primaryKey: ['template_id', 'pattern_id'] },
    template_usage: { entity: 'templates', primaryKey: ['id'] },
    project_workspaces: { entity: 'workspaces', primaryKey: ['id'] },
  },
  migrations: TEMPLATES_MIGRATIONS,
  provides: ['storeTemplate', 'getTemplates'],
  commands: [templatesCommand, workspaceCommand],
  setup,
});

export default templatesPlugin;
