import type { PluginDefinition, StorageConfigInput } from '@mainframe-kb/storage-core';
import { cliImporter, installedExtensions, pluginOf } from './installed-extensions.js';

/** The plugins of one run: those it enables, and installed ones the config leaves out. */
export interface CliPlugins {
  /** The store is opened with exactly these (and whatever else the config names, which core then loads). */
  enabled: PluginDefinition[];
  /** Installed, but the config leaves them out: their commands are known so kb can say how to enable them. */
  disabled: PluginDefinition[];
}

interface ExtensionEntry {
  id?: unknown;
  package?: unknown;
  enabled?: unknown;
}

/** The plugin in `specifier`, or undefined when it cannot be loaded: core loads it again and says why. */
async function loadNamedPackage(specifier: string, cwd: string): Promise<PluginDefinition | undefined> {
  try {
    return pluginOf(await cliImporter(cwd)(specifier));
  } catch {
    return undefined;
  }
}

/**
 * Which plugins a run enables (CLI.md): without `mvp.extensions` in the config, every installed plugin
 * package; with it, the entries not switched off, each found among the installed packages by id, or in the
 * package the entry names. Decided before the store opens, so `kb help` lists their commands without a store.
 * An entry kb cannot resolve is left to core, which reports it when the store opens.
 */
export async function resolveCliPlugins(config: StorageConfigInput, cwd: string): Promise<CliPlugins> {
  const installed = await installedExtensions();
  const named: unknown = config.mvp?.extensions;
  if (named === undefined) return { enabled: installed, disabled: [] };
  const enabled: PluginDefinition[] = [];
  // A malformed section is core's to refuse, with its config error, when the store opens.
  for (const entry of Array.isArray(named) ? (named as ExtensionEntry[]) : []) {
    if (typeof entry?.id !== 'string' || entry.enabled === false) continue;
    const plugin =
      typeof entry.package === 'string'
        ? await loadNamedPackage(entry.package, cwd)
        : installed.find((p) => p.id === entry.id);
    if (plugin?.id === entry.id && !enabled.includes(plugin)) enabled.push(plugin);
  }
  return { enabled, disabled: installed.filter((p) => !enabled.includes(p)) };
}
