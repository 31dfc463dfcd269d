import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import type { StorageConfig } from '../config/storage-config.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { MigrationNamespace } from '../migration/migration-types.js';
import { CORE_VERSION } from '../version.js';
import { assertPluginDefinition } from './define-plugin.js';
import { defaultPackageOf } from './flat-methods.js';
import type { PluginDefinition } from './plugin-types.js';

export interface ResolvedPlugin {
  definition: PluginDefinition;
  options: Record<string, unknown>;
}

export type PluginImporter = (specifier: string) => Promise<unknown>;
type Importer = PluginImporter;

/**
 * An importer that tries `importer` first, then resolves the package from `directory` as an application
 * installed there would. A package manager that isolates dependencies (pnpm) does not let a library (core,
 * the CLI) see packages it does not depend on itself; the application that names a plugin installed it.
 */
export function withDirectoryFallback(importer: PluginImporter, directory: string): PluginImporter {
  return async (specifier) => {
    try {
      return await importer(specifier);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
      let resolved: string;
      try {
        resolved = createRequire(join(directory, 'package.json')).resolve(specifier);
      } catch {
        throw error;
      }
      return import(pathToFileURL(resolved).href);
    }
  };
}

/** Core's own `import()`, then the working directory (where the application installed its plugins). */
const nativeImport: Importer = (specifier) =>
  withDirectoryFallback((s) => import(s), process.cwd())(specifier);

/**
 * Collects the enabled plugins: those passed to createStorage() and those named in
 * `config.mvp.extensions` (imported from their package when not passed). An extension listed with
 * `enabled: false` stays off even when passed.
 */
export async function resolvePlugins(
  config: StorageConfig,
  given: readonly PluginDefinition[],
  importer: Importer = nativeImport,
): Promise<ResolvedPlugin[]> {
  const byId = new Map<string, PluginDefinition>();
  for (const plugin of given) {
    assertPluginDefinition(plugin);
    if (byId.has(plugin.id)) {
      throw new StorageError(StorageErrorCode.EXTENSION_INVALID, `plugin '${plugin.id}' was passed twice`);
    }
    byId.set(plugin.id, plugin);
  }
  const configured = new Map(config.mvp.extensions.map((e) => [e.id, e]));
  const resolved: ResolvedPlugin[] = [];
  for (const plugin of given) {
    const entry = configured.get(plugin.id);
    if (entry && !entry.enabled) continue;
    resolved.push({ definition: plugin, options: { ...(entry?.options ?? {}) } });
  }
  for (const entry of config.mvp.extensions) {
    if (!entry.enabled || byId.has(entry.id)) continue;
    const definition = await importPlugin(entry.id, entry.package ?? defaultPackageOf(entry.id), importer);
    resolved.push({ definition, options: { ...entry.options } });
  }
  return orderByDependencies(resolved);
}

async function importPlugin(id: string, packageName: string, importer: Importer): Promise<PluginDefinition> {
  let mod: { default?: unknown; plugin?: unknown };
  try {
    mod = (await importer(packageName)) as { default?: unknown; plugin?: unknown };
  } catch (error) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_INSTALLED,
      `config.mvp.extensions names '${id}', but ${packageName} cannot be loaded: install it (pnpm add ${packageName}) or remove the extension from the config`,
      { cause: error, details: { plugin: id, package: packageName } },
    );
  }
  // A package's default export is its plugin: the object definePlugin() returned.
  const candidate = mod.default ?? mod.plugin;
  assertPluginDefinition(candidate);
  if (candidate.id !== id) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_INVALID,
      `${packageName} provides plugin '${candidate.id}', but the config names '${id}'`,
    );
  }
  return candidate;
}

/** Orders plugins so each comes after what it depends on; checks versions; refuses cycles. */
export function orderByDependencies(plugins: readonly ResolvedPlugin[]): ResolvedPlugin[] {
  const byId = new Map(plugins.map((p) => [p.definition.id, p]));
  for (const { definition } of plugins) {
    for (const [dep, range] of Object.entries(definition.dependsOn ?? {})) {
      const version = dep === 'core' ? CORE_VERSION : byId.get(dep)?.definition.version;
      if (version === undefined) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `extension '${definition.id}' depends on '${dep}', which is not enabled: add it to config.mvp.extensions`,
          { details: { plugin: definition.id, dependency: dep } },
        );
      }
      if (!semver.satisfies(version, range, { includePrerelease: true })) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${definition.id}' needs ${dep} ${range}, but ${dep} ${version} is installed`,
          { details: { plugin: definition.id, dependency: dep, range, version } },
        );
      }
    }
  }
  const ordered: ResolvedPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (plugin: ResolvedPlugin, path: string[]) => {
    const id = plugin.definition.id;
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      throw new StorageError(
        StorageErrorCode.EXTENSION_INVALID,
        `plugins depend on each other in a cycle: ${[...path, id].join(' → ')}`,
      );
    }
    state.set(id, 'visiting');
    for (const dep of Object.keys(plugin.definition.dependsOn ?? {})) {
      const target = byId.get(dep);
      if (target) visit(target, [...path, id]);
    }
    state.set(id, 'done');
    ordered.push(plugin);
  };
  for (const plugin of plugins) visit(plugin, []);
  return ordered;
}

/** The migration namespace of each plugin; `core` is implied as everyone's first dependency. */
export function pluginNamespaces(plugins: readonly ResolvedPlugin[]): MigrationNamespace[] {
  return plugins
    .filter((p) => (p.definition.migrations?.length ?? 0) > 0)
    .map((p) => ({
      namespace: p.definition.id,
      dependsOn: ['core', ...Object.keys(p.definition.dependsOn ?? {}).filter((d) => d !== 'core')].filter(
        (d) =>
          d === 'core' ||
          plugins.some((q) => q.definition.id === d && (q.definition.migrations?.length ?? 0) > 0),
      ),
      migrations: p.definition.migrations ?? [],
    }));
}
