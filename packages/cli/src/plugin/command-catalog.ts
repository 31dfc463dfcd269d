import { type PluginDefinition, StorageErrorCode } from '@mainframe-kb/storage-core';
import { CliError, ExitCode } from '../cli-error.js';
import type { Command } from '../command.js';
import type { CliPlugins } from '../store/enabled-plugins.js';
import { adaptPluginCommand, describePlugin } from './plugin-command-adapter.js';

/** One command `kb` can run, and where it comes from. */
export interface CatalogEntry {
  readonly command: Command;
  /** The plugin that brings it; none for kb's own commands. */
  readonly plugin?: PluginDefinition;
  /** Whether the run enables that plugin (kb's own commands always are). */
  readonly enabled: boolean;
}

function describeOwner(entry: CatalogEntry): string {
  return entry.plugin ? describePlugin(entry.plugin) : 'kb itself';
}

function clash(name: string, holder: CatalogEntry, plugin: PluginDefinition): CliError {
  return new CliError(
    StorageErrorCode.EXTENSION_INVALID,
    `'kb ${name}' is brought by both ${describeOwner(holder)} and ${describePlugin(plugin)}; kb runs neither ` +
      `rather than guess: leave '${plugin.id}' out of mvp.extensions in the config file, or have the command renamed`,
    ExitCode.FAILED,
  );
}

/**
 * Every command of a run: kb's own, those of the enabled plugins, and those of installed plugins the config
 * leaves out (so that running one says how to enable it rather than "unknown command"). A name two of them
 * claim, or a plugin command declared so that kb cannot offer it, is refused when it is run, with an error
 * that names both owners; every other command works as usual.
 */
export class CommandCatalog {
  readonly #entries = new Map<string, CatalogEntry>();
  readonly #refused = new Map<string, CliError>();
  readonly #enabled = new Map<string, PluginDefinition>();

  /**
   * @param own kb's commands, in the order help lists them.
   * @param placeholders kb's stand-ins for commands of packages not in this release; a plugin's command of
   *   the same name replaces one without a clash.
   * @param plugins the run's enabled plugins, in order, and the installed ones it leaves out.
   */
  constructor(own: readonly Command[], placeholders: readonly Command[], plugins: CliPlugins) {
    for (const command of own) this.#entries.set(command.name, { command, enabled: true });
    for (const plugin of plugins.enabled) {
      this.#enabled.set(plugin.id, plugin);
      this.#addPlugin(plugin, true);
    }
    // An installed plugin that brings a placeholder's command says how to enable it: more use than "not in
    // this release".
    for (const plugin of plugins.disabled) this.#addPlugin(plugin, false);
    for (const command of placeholders) {
      if (!this.#taken(command.name)) this.#entries.set(command.name, { command, enabled: true });
    }
  }

  #taken(name: string): boolean {
    return this.#entries.has(name) || this.#refused.has(name);
  }

  #addPlugin(plugin: PluginDefinition, enabled: boolean): void {
    for (const declared of plugin.commands ?? []) {
      const name = declared.name;
      if (!enabled) {
        // A command of a plugin the run leaves out never competes with one that runs.
        if (this.#taken(name)) continue;
      } else {
        if (this.#refused.has(name)) continue;
        const holder = this.#entries.get(name);
        if (holder) {
          this.#refused.set(name, clash(name, holder, plugin));
          continue;
        }
      }
      try {
        this.#entries.set(name, { command: adaptPluginCommand(plugin, declared), plugin, enabled });
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        // A plugin the run leaves out cannot run anyway; only an enabled one's mistake is worth reporting.
        if (enabled) this.#refused.set(name, error);
      }
    }
  }

  /** The command named `name`; throws the refusal when its name is claimed twice or it is malformed. */
  find(name: string): CatalogEntry | undefined {
    const refusal = this.#refused.get(name);
    if (refusal) throw refusal;
    return this.#entries.get(name);
  }

  /** kb's own commands and its placeholders, in help order. */
  own(): CatalogEntry[] {
    return [...this.#entries.values()].filter((e) => !e.plugin && !this.#refused.has(e.command.name));
  }

  /** The commands of the enabled plugins that kb can run, in the order the plugins were enabled. */
  fromPlugins(): CatalogEntry[] {
    return [...this.#entries.values()].filter(
      (e) => e.plugin && e.enabled && !this.#refused.has(e.command.name),
    );
  }

  /** The names of the commands an enabled plugin declares, refused ones included. */
  commandsOf(pluginId: string): string[] {
    return (this.#enabled.get(pluginId)?.commands ?? []).map((c) => c.name);
  }

  /** Why some names are refused: one error per name. */
  refusals(): CliError[] {
    return [...this.#refused.values()];
  }
}
