import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  definePlugin,
  type PluginContext,
  type PluginDefinition,
  type Storage,
  StorageError,
  StorageErrorCode,
  ValidationError,
} from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { CodecRegistry, createDefaultRegistry } from '../codec-registry.js';
import type { FormatName } from '../codec-types.js';
import { exportWith } from '../export/export-store.js';
import { exportTargetWith } from '../export/export-target.js';
import type {
  ExportFunction,
  ExportOptions,
  ExportResult,
  FormatExportOptions,
  FormatExportResult,
  SeedExportOptions,
  TargetExportOptions,
  TargetExportResult,
} from '../export/export-types.js';
import { importWith } from '../import/import-store.js';
import type { ImportOptions, ImportResult } from '../import/import-types.js';
import { restoreWith } from '../import/restore-store.js';
import type { IoFormatsDatabase } from '../schema/io-formats-database.js';
import { IO_FORMATS_MIGRATIONS, IO_FORMATS_TABLES } from '../schema/io-formats-migrations.js';
import { IO_FORMATS_VERSION } from '../version.js';
import { type StoreAccess, storeAccessOf } from './store-access.js';

declare module '@mainframe-kb/storage-core' {
  interface StorageEvents {
    /** An import committed (not emitted for dry runs or imports that were refused). */
    'import:completed': { format: string; inserted: number; updated: number; skipped: number };
  }
  interface PluginMethods {
    /**
     * Exports the store in a generic format (`format`), or with a plugin's exporter (`target`); see
     * `ExportOptions`. Needs the admin role.
     */
    export: ExportFunction;
    /** Imports a file or an export into the store (see `ImportOptions`); needs the admin role. */
    import: ImportFunction;
  }
}

/**
 * `storage.import` and `storage.plugin(ioFormatsPlugin).import`: a file or an export (`ImportOptions`), or the
 * seed interface's `import(data, format, options)`, where `data` is the text itself (JSON, NDJSON, CSV, XML).
 */
export interface ImportFunction {
  (options: ImportOptions): Promise<ImportResult>;
  (
    data: string,
    format: FormatName,
    options?: Omit<ImportOptions, 'input' | 'format'>,
  ): Promise<ImportResult>;
}

const EXPORT = 'io-formats.export';
const IMPORT = 'io-formats.import';

const optionsSchema = z.strictObject({
  /** The codecs to use; the package's default registry (every codec it ships) when absent. */
  codecs: z
    .instanceof(CodecRegistry, {
      message: 'must be a CodecRegistry (createDefaultRegistry() or new CodecRegistry())',
    })
    .optional(),
});

/** `config.mvp.extensions: [{ id: 'io-formats', options }]`. */
export type IoFormatsPluginOptions = z.output<typeof optionsSchema>;

/** What `storage.plugin(ioFormatsPlugin)` returns. Every call is checked against the holder's role. */
export interface IoFormatsApi {
  readonly codecs: CodecRegistry;
  /** A format export of the store's tables, or a target export by a plugin's exporter. */
  readonly export: ExportFunction;
  readonly import: ImportFunction;
}

/**
 * The io-formats plugin: `createStorage(config, { plugins: [ioFormatsPlugin] })`, then
 * `storage.export(options)` / `storage.import(options)` (or `exportStore` / `importStore`). A codec registry
 * of one's own goes in `config.mvp.extensions: [{ id: 'io-formats', options: { codecs } }]`.
 */
export const ioFormatsPlugin: PluginDefinition<
  'io-formats',
  IoFormatsApi,
  IoFormatsDatabase,
  IoFormatsPluginOptions
> = definePlugin({
  id: 'io-formats',
  version: IO_FORMATS_VERSION,
  mvp: 1,
  package: '@mainframe-kb/io-formats',
  description:
    'export and import in JSON, NDJSON, CSV, XML (and the columnar formats), streamed and validated',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  options: optionsSchema,
  // Its one table: the checkpoints of resumable imports (derived, so never exported, hashed or copied).
  tables: IO_FORMATS_TABLES,
  migrations: IO_FORMATS_MIGRATIONS,
  provides: ['export', 'import'],
  setup(ctx: PluginContext<IoFormatsDatabase, IoFormatsPluginOptions>) {
    const codecs = ctx.options.codecs ?? createDefaultRegistry();
    const api = ioFormatsApi(storeAccessOf(ctx), codecs);
    return {
      api,
      methods: { export: api.export, import: api.import },
      permissions: { [EXPORT]: 'admin', [IMPORT]: 'admin' },
    };
  },
});

/** The package's plugin, under the name `config.mvp.extensions` loading looks for too. */
export const plugin = ioFormatsPlugin;
export default ioFormatsPlugin;

/**
 * The API holds closures over the store access, never the access itself: the holder of the store reaches the
 * database only through these role-checked operations. The role is checked before any file is touched.
 */
function ioFormatsApi(access: StoreAccess, codecs: CodecRegistry): IoFormatsApi {
  function exportAny(format: FormatName, options?: SeedExportOptions): Promise<string>;
  function exportAny(options: FormatExportOptions): Promise<FormatExportResult>;
  function exportAny(options: TargetExportOptions): Promise<TargetExportResult>;
  function exportAny(options: ExportOptions): Promise<ExportResult>;
  async function exportAny(
    options: ExportOptions | FormatName,
    seed?: SeedExportOptions,
  ): Promise<ExportResult | string> {
    if (typeof options === 'string') return seedExport(options, seed ?? {});
    access.authorize(EXPORT);
    requireOptions(options, 'export');
    if (options.target === undefined) {
      access.refuseWhileHeld('an export');
      // Core buffers search history and writes it in the background: flushed first, so the snapshot holds
      // every search made before the export.
      await access.flushSearchHistory();
      return exportWith(access, codecs, options);
    }
    // Refused for callers the types do not reach (JavaScript, options built at run time).
    const { format, target } = options as { format?: unknown; target?: unknown };
    if (format !== undefined) {
      const message = `export() takes a format (the store's tables) or a target (a plugin's exporter), not both: format '${String(format)}', target '${String(target)}'`;
      throw new ValidationError(message, [{ path: 'target', message }], { details: { format, target } });
    }
    return exportTargetWith(access, options);
  }
  /** `export(format, options)`: the path written, or the one-document export as text. */
  async function seedExport(format: FormatName, options: SeedExportOptions): Promise<string> {
    if (options.out !== undefined) return (await exportAny({ ...options, format, out: options.out })).file;
    // One document only: JSON (the envelope). The others write a file per table, so they need `out`.
    if (format !== 'json') {
      const message = `export('${String(format)}') writes one file per table: give options.out, and the result is its path`;
      throw new ValidationError(message, [{ path: 'options.out', message }]);
    }
    access.authorize(EXPORT);
    const dir = await mkdtemp(join(tmpdir(), 'kb-export-'));
    try {
      const result = await exportAny({ ...options, format, out: join(dir, 'export.json') });
      return await readFile(result.file, 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `import(data, format, options)`: the text is written to a private temporary file and imported from it. */
  async function seedImport(
    data: string,
    format: FormatName,
    options: Omit<ImportOptions, 'input' | 'format'>,
  ): Promise<ImportResult> {
    if (!TEXT_FORMATS.includes(format)) {
      const message = `import(data, '${String(format)}') takes text (${TEXT_FORMATS.join(', ')}); import a file with import({ input, format })`;
      throw new ValidationError(message, [{ path: 'format', message }]);
    }
    access.authorize(IMPORT);
    const dir = await mkdtemp(join(tmpdir(), 'kb-import-'));
    try {
      const input = join(dir, `data.${format}`);
      await writeFile(input, data, { encoding: 'utf8', mode: 0o600 });
      return await importAny({ ...options, input, format });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function importAny(options: ImportOptions): Promise<ImportResult> {
    access.authorize(IMPORT);
    requireOptions(options, 'import');
    if (options.restore) return restoreWith(access, codecs, options);
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

  function importOf(options: ImportOptions): Promise<ImportResult>;
  function importOf(
    data: string,
    format: FormatName,
    options?: Omit<ImportOptions, 'input' | 'format'>,
  ): Promise<ImportResult>;
  function importOf(
    options: ImportOptions | string,
    format?: FormatName,
    seed?: Omit<ImportOptions, 'input' | 'format'>,
  ): Promise<ImportResult> {
    return typeof options === 'string'
      ? seedImport(options, format as FormatName, seed ?? {})
      : importAny(options);
  }

  return { codecs, export: exportAny, import: importOf };
}

/** The formats the seed's `import(data, format)` takes as text. */
const TEXT_FORMATS: readonly FormatName[] = ['json', 'ndjson', 'csv', 'xml'];

function requireOptions(value: unknown, method: 'export' | 'import'): void {
  if (value === null || typeof value !== 'object') {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      `${method}() takes an options object (${method === 'export' ? 'format or target, out, …' : 'input, format, …'})`,
      { details: { method } },
    );
  }
}

/**
 * Exports every table of every enabled plugin (or of the chosen entities) on one consistent snapshot: `json`
 * as one versioned envelope file, any other format as a directory with `manifest.json` and one file per
 * table. With `target` instead of `format`, the exporter an enabled plugin contributes under that name writes
 * one file in a format of its domain (`{ target: 'notes-markdown', out: 'notes.md' }`). The same as
 * `storage.export(options)`.
 */
export function exportStore(storage: Storage, options: FormatExportOptions): Promise<FormatExportResult>;
export function exportStore(storage: Storage, options: TargetExportOptions): Promise<TargetExportResult>;
export function exportStore(storage: Storage, options: ExportOptions): Promise<ExportResult>;
export async function exportStore(storage: Storage, options: ExportOptions): Promise<ExportResult> {
  return storage.plugin(ioFormatsPlugin).export(options);
}

/** Imports a file or an export directory into the store (see ImportOptions); the same as `storage.import`. */
export async function importStore(storage: Storage, options: ImportOptions): Promise<ImportResult> {
  return storage.plugin(ioFormatsPlugin).import(options);
}
