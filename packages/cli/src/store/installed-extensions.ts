import {
  type PluginDefinition,
  type PluginImporter,
  withDirectoryFallback,
} from '@mainframe-kb/storage-core';

/** The extension packages of this project, in the order they are tried. */
export const KNOWN_EXTENSION_PACKAGES = [
  '@mainframe-kb/io-formats',
  '@mainframe-kb/plugin-patterns',
  '@mainframe-kb/backup',
  '@mainframe-kb/plugin-code',
  '@mainframe-kb/plugin-templates',
  '@mainframe-kb/plugin-analytics',
] as const;

function isPlugin(value: unknown): value is PluginDefinition {
  const v = value as { id?: unknown; version?: unknown; mvp?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.version === 'string';
}

/** A package's plugin: its default export (the object definePlugin returned), else its `plugin` export. */
export function pluginOf(mod: unknown): PluginDefinition | undefined {
  const { default: main, plugin } = (mod ?? {}) as { default?: unknown; plugin?: unknown };
  const candidate = main ?? plugin;
  return isPlugin(candidate) ? candidate : undefined;
}

/**
 * The shipped extensions, each by a literal import: the release bundle (scripts/bundle.mjs) then holds them,
 * and a config that names one gets the same copy as the CLI itself rather than a second one from disk.
 */
const SHIPPED: Readonly<Record<(typeof KNOWN_EXTENSION_PACKAGES)[number], () => Promise<unknown>>> = {
  '@mainframe-kb/io-formats': () => import('@mainframe-kb/io-formats'),
  '@mainframe-kb/plugin-patterns': () => import('@mainframe-kb/plugin-patterns'),
  '@mainframe-kb/backup': () => import('@mainframe-kb/backup'),
  '@mainframe-kb/plugin-code': () => import('@mainframe-kb/plugin-code'),
  '@mainframe-kb/plugin-templates': () => import('@mainframe-kb/plugin-templates'),
  '@mainframe-kb/plugin-analytics': () => import('@mainframe-kb/plugin-analytics'),
};

/** Imports a package from the CLI's own context: a shipped extension, else whatever resolves from here. */
export const importFromCli = (specifier: string): Promise<unknown> =>
  Object.hasOwn(SHIPPED, specifier) ? SHIPPED[specifier as keyof typeof SHIPPED]() : import(specifier);

/**
 * Imports a package from the CLI's own context (where the plugins it ships with are installed), else from the
 * run's working directory (where the operator's project installed a plugin its config names).
 */
export function cliImporter(cwd: string): PluginImporter {
  return withDirectoryFallback(importFromCli, cwd);
}

/**
 * Every extension package installed next to the CLI, loaded: CLI.md's "without a config, every installed
 * plugin is enabled". A package that is not installed is skipped; one that is installed but broken fails.
 */
export async function installedExtensions(): Promise<PluginDefinition[]> {
  const found: PluginDefinition[] = [];
  for (const name of KNOWN_EXTENSION_PACKAGES) {
    let mod: unknown;
    try {
      mod = await importFromCli(name);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(name)) continue;
      throw error;
    }
    const plugin = pluginOf(mod);
    if (plugin) found.push(plugin);
  }
  return found;
}
