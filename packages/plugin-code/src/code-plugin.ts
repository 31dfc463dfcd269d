import { definePlugin, type PluginSetup, type Role } from '@mainframe-kb/storage-core';
import { type CodeApi, type CodeContext, createCodeApi } from './api/code-api.js';
import { codeCommand } from './cli/code-command.js';
import './events.js';
import './flat-methods.js';
import { CODE_IMPORTERS } from './importers/code-importers.js';
import { codeOptionsSchema } from './options.js';
import type { CodeDatabase } from './schema/code-database.js';
import { CODE_MIGRATIONS } from './schema/code-migrations.js';
import { rebuildSymbols } from './store/file-writer.js';

export const CODE_PACKAGE = '@mainframe-kb/plugin-code';
export const CODE_VERSION = '0.0.0';

/** The least role of each operation; any other `code.*` operation is refused (deny by default). */
export const CODE_PERMISSIONS: Readonly<Record<string, Role>> = {
  'code.read': 'viewer',
  'code.scan': 'editor',
  'code.write': 'editor',
  'code.link': 'editor',
  'code.remove': 'editor',
};

function setup(ctx: CodeContext): PluginSetup<CodeApi, CodeDatabase> {
  const api = createCodeApi(ctx);
  return {
    api,
    methods: {
      storeCodeAnalysis: api.storeCodeAnalysis,
      getCodeAnalysis: api.getCodeAnalysis,
      linkCodeToKB: api.linkCodeToKB,
    },
    permissions: CODE_PERMISSIONS,
    rebuildDerived: (trx) => rebuildSymbols(trx),
    contributes: {
      importers: [...CODE_IMPORTERS],
      metrics: async () => {
        const row = await ctx.db
          .selectFrom('code_files')
          .select((eb) => [
            eb.fn.countAll<number>().as('files'),
            eb.fn.sum<number>('lines_count').as('lines'),
          ])
          .executeTakeFirst();
        return { codeFiles: Number(row?.files ?? 0), codeLines: Number(row?.lines ?? 0) };
      },
    },
  };
}

/**
 * The MVP3 plugin: COBOL, JCL and copybooks scanned from folders and git repositories, analysed, searchable
 * by name, and linked to KB entries with links that follow the code as it changes. Enable it with
 * `config.mvp.extensions: [{ id: 'code' }]` or pass it to `createStorage(config, { plugins: [codePlugin] })`;
 * reach its API with `storage.plugin(codePlugin)`.
 */
export const codePlugin = definePlugin({
  id: 'code',
  version: CODE_VERSION,
  mvp: 3,
  package: CODE_PACKAGE,
  description: 'COBOL, JCL and copybooks analysed, searchable and linked to KB entries',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  options: codeOptionsSchema,
  tables: {
    code_repositories: { entity: 'code', primaryKey: ['id'] },
    code_files: { entity: 'code', primaryKey: ['id'] },
    code_analysis_results: { entity: 'code', primaryKey: ['id'] },
    code_references: { entity: 'code', primaryKey: ['id'] },
    // Rebuilt from code_files.structure after every load: an index, never exported or copied.
    code_symbols: { entity: 'code', primaryKey: ['code_file_id', 'kind', 'name', 'line'], derived: true },
  },
  migrations: CODE_MIGRATIONS,
  provides: ['storeCodeAnalysis', 'getCodeAnalysis', 'linkCodeToKB'],
  commands: [codeCommand],
  setup,
});

export default codePlugin;
