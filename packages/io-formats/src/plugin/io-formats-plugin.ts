import {
  definePlugin,
  type PluginContext,
  type PluginDefinition,
  type Storage,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { type CodecRegistry, createDefaultRegistry } from '../codec-registry.js';
import { type ExportOptions, type ExportResult, exportWith } from '../export/export-store.js';
import { importWith } from '../import/import-store.js';
import type { ImportOptions, ImportResult } from '../import/import-types.js';
import { restoreWith } from '../import/restore-store.js';
import { IO_FORMATS_VERSION } from '../version.js';
import type { StoreAccess } from './store-access.js';

declare module '@mainframe-kb/storage-core' {
  interface StorageEvents {
    /** An import committed (not emitted for dry runs or imports that were refused). */
    'import:completed': { format: string; inserted: number; updated: number; skipped: number };
  }
}

export interface IoFormatsApi {
  readonly codecs: CodecRegistry;
  /** @internal The extension's context, for exportStore/importStore. */
  readonly context: PluginContext;
}

export interface IoFormatsPluginOptions {
  /** The codecs to use; the package's default registry (every codec it ships) when absent. */
  readonly codecs?: CodecRegistry;
}

/**
 * The io-formats extension. Enable it with `createStorage(config, { plugins: [ioFormatsPlugin()] })`, then
 * call `exportStore(storage, …)` / `importStore(storage, …)`, or the seed's flat methods
 * `storage.export(options)` / `storage.import(options)`, which delegate to them.
 */
export function ioFormatsPlugin(
  options: IoFormatsPluginOptions = {},
): PluginDefinition<'io-formats', IoFormatsApi> {
  const codecs = options.codecs ?? createDefaultRegistry();
  return definePlugin<'io-formats', IoFormatsApi>({
    id: 'io-formats',
    version: IO_FORMATS_VERSION,
    mvp: 1,
    package: '@mainframe-kb/io-formats',
    description:
      'export and import in JSON, NDJSON, CSV, XML (and the columnar formats), streamed and validated',
    dependsOn: { core: '>=0.1.0' },
    setup(context) {
      const options = (value: unknown, method: string) => {
        if (value === null || typeof value !== 'object') {
          throw new StorageError(
            StorageErrorCode.VALIDATION,
            `storage.${method}() takes an options object (format, out / file, …)`,
            { details: { method } },
          );
        }
        return value;
      };
      return {
        api: { codecs, context },
        methods: {
          export: async (value: unknown) =>
            exportStore(context.storage(), options(value, 'export') as ExportOptions),
          import: async (value: unknown) =>
            importStore(context.storage(), options(value, 'import') as ImportOptions),
        },
        permissions: { 'io-formats.export': 'admin', 'io-formats.import': 'admin' },
      };
    },
  });
}

/** The default plugin instance, for `config.mvp.extensions: [{ id: 'io-formats' }]`. */
export const plugin = ioFormatsPlugin();
export default plugin;

function accessOf(storage: Storage): { access: StoreAccess; codecs: CodecRegistry } {
  const api = storage.extension<PluginDefinition<'io-formats', IoFormatsApi>>('io-formats');
  const { context } = api;
  return {
    codecs: api.codecs,
    access: {
      dialect: context.dialect,
      tables: () => storage.tables(),
      importers: () => storage.importers(),
      plugins: () => storage.plugins,
      write: (operation, fn) => context.write(operation, fn),
      read: (operation, fn) => context.read(operation, fn),
      emit: (event, payload) => context.emit(event, payload),
    },
  };
}

/**
 * Exports every table of every enabled extension (or of the chosen entities) on one consistent snapshot:
 * `json` as one versioned envelope file, any other format as a directory with `manifest.json` and one file
 * per table.
 */
export async function exportStore(storage: Storage, options: ExportOptions): Promise<ExportResult> {
  const { access, codecs } = accessOf(storage);
  // Core buffers search history and writes it in the background: flushed first, so the snapshot holds
  // every search made before the export.
  await storage.flushSearchHistory();
  return exportWith(access, codecs, options);
}

/** Imports a file or an export directory into the store (see ImportOptions). */
export async function importStore(storage: Storage, options: ImportOptions): Promise<ImportResult> {
  const { access, codecs } = accessOf(storage);
  if (options.restore) return restoreWith(storage, codecs, options);
  const result = await importWith(access, codecs, options);
  if (result.committed && (result.inserted > 0 || result.updated > 0)) {
    access.emit('import:completed', {
      format: result.format,
      inserted: result.inserted,
      updated: result.updated,
      skipped: result.skipped,
    });
  }
  return result;
}
