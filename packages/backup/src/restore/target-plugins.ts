import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type PluginDefinition,
  type PluginImporter,
  type StorageConfig,
  StorageErrorCode,
  withDirectoryFallback,
} from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupPluginRecord } from '../manifest/backup-metadata.js';

type ExtensionEntry = StorageConfig['mvp']['extensions'][number];

/**
 * An npm package name, optionally scoped. Nothing else is imported: a manifest in a plaintext repository is
 * not authenticated, and a path or a `data:` URL in it would run code of the writer's choosing.
 */
const PACKAGE_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/;

/** What a new restore target is opened with: the plugins, and their config entries (the source's options). */
export interface TargetPlugins {
  readonly plugins: readonly PluginDefinition[];
  readonly extensions: readonly ExtensionEntry[];
}

/**
 * Imports a plugin package as `kb` does: from this package's context, then from the running program's (the
 * `kb` binary, next to which its plugins are installed), then from the working folder (where an application
 * installed the plugins its config names).
 */
export function defaultPluginImporter(): PluginImporter {
  let importer: PluginImporter = (specifier) => import(specifier);
  const main = process.argv[1];
  if (main) {
    try {
      importer = withDirectoryFallback(importer, dirname(realpathSync(main)));
    } catch {
      // No program file (a REPL, `node -e`): the working folder remains.
    }
  }
  return withDirectoryFallback(importer, process.cwd());
}

function describe(record: BackupPluginRecord): string {
  return `plugin '${record.id}' ${record.version} (tables ${record.tables.join(', ')})`;
}

/** The plugin a package exports, as `kb` reads it: its default export, else its `plugin` export. */
function exportedPlugin(mod: unknown): PluginDefinition | undefined {
  const { default: main, plugin } = (mod ?? {}) as { default?: unknown; plugin?: unknown };
  const candidate = (main ?? plugin) as { id?: unknown } | undefined;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.id === 'string'
    ? (candidate as PluginDefinition)
    : undefined;
}

/**
 * The plugins a new store must run for a restore of `tables` into it: those of `recorded` that own one of
 * them, and the plugins they depend on, each loaded from the package it records. Refuses with
 * EXTENSION_NOT_INSTALLED, naming every package to install, when one cannot be loaded, so that nothing is
 * written at the target. Each keeps its entry (options) from the source's `config`.
 */
export async function targetPlugins(
  recorded: readonly BackupPluginRecord[],
  tables: readonly string[],
  config: StorageConfig,
  importer: PluginImporter = defaultPluginImporter(),
): Promise<TargetPlugins> {
  const wanted = new Set(tables);
  const queue = recorded.filter((p) => p.tables.some((t) => wanted.has(t)));
  const loaded = new Map<string, PluginDefinition>();
  const missing: { record: BackupPluginRecord; reason: string }[] = [];
  while (queue.length > 0) {
    const record = queue.shift()!;
    if (loaded.has(record.id) || missing.some((m) => m.record.id === record.id)) continue;
    if (record.package === null) {
      missing.push({ record, reason: 'it names no package to load it from' });
      continue;
    }
    if (!PACKAGE_NAME.test(record.package)) {
      missing.push({ record, reason: `'${record.package}' is not a package name; it is not loaded` });
      continue;
    }
    let mod: unknown;
    try {
      mod = await importer(record.package);
    } catch (error) {
      missing.push({
        record,
        reason: `${record.package} cannot be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): install it (pnpm add ${record.package})`,
      });
      continue;
    }
    const plugin = exportedPlugin(mod);
    if (plugin?.id !== record.id) {
      throw new BackupError(
        StorageErrorCode.EXTENSION_INVALID,
        BackupFailure.PLUGIN_MISSING,
        `${record.package} provides ${plugin ? `plugin '${plugin.id}'` : 'no plugin'}, but the backup's tables belong to '${record.id}'`,
        { details: { plugin: record.id, package: record.package } },
      );
    }
    loaded.set(record.id, plugin);
    // What it depends on must run too; the backup names the package of each (core refuses what it does not).
    for (const dependency of Object.keys(plugin.dependsOn ?? {})) {
      const found = recorded.find((p) => p.id === dependency);
      if (found) queue.push(found);
    }
  }
  if (missing.length > 0) {
    throw new BackupError(
      StorageErrorCode.EXTENSION_NOT_INSTALLED,
      BackupFailure.PLUGIN_MISSING,
      `a new store for this backup needs the plugins its tables belong to: ${missing
        .map((m) => `${describe(m.record)}: ${m.reason}`)
        .join('; ')}. Nothing was written at the target.`,
      {
        details: {
          plugins: missing.map((m) => ({
            id: m.record.id,
            package: m.record.package,
            tables: m.record.tables,
          })),
        },
      },
    );
  }
  const entries = new Map(config.mvp.extensions.map((e) => [e.id, e]));
  return {
    plugins: [...loaded.values()],
    extensions: [...loaded.keys()].map((id) => ({
      ...(entries.get(id) ?? { id, options: {} }),
      enabled: true,
    })),
  };
}
