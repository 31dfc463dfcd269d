import {
  type CommandOption,
  type PluginCommand,
  type PluginDefinition,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { GLOBAL_OPTIONS } from '../argv-parser.js';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import type { Command, OptionSpec } from '../command.js';
import { openStoreWithExtension } from '../store/require-extension.js';

/** How messages name a plugin: its id and, when it says, its package. */
export function describePlugin(plugin: PluginDefinition): string {
  return plugin.package ? `plugin '${plugin.id}' (${plugin.package})` : `plugin '${plugin.id}'`;
}

const GLOBAL_SHORTS = new Set<string>(
  Object.values(GLOBAL_OPTIONS).flatMap((o) => ('short' in o ? [o.short] : [])),
);

/** The global flag a plugin's option would redefine, if any. */
function globalTaken(name: string, option: CommandOption): string | undefined {
  if (name in GLOBAL_OPTIONS) return `--${name}`;
  if (option.short !== undefined && GLOBAL_SHORTS.has(option.short)) return `-${option.short}`;
  return undefined;
}

/**
 * A plugin's options, checked against kb's global ones: a plugin that redefined `--json` or `-h` would change
 * what they mean for its command only, so that is refused.
 */
function optionsOf(plugin: PluginDefinition, command: PluginCommand): OptionSpec {
  for (const [name, option] of Object.entries(command.options ?? {})) {
    const taken = globalTaken(name, option);
    if (taken !== undefined) {
      throw new CliError(
        StorageErrorCode.EXTENSION_INVALID,
        `'kb ${command.name}' of ${describePlugin(plugin)} redefines the global option ${taken}; kb refuses the command until the plugin renames its option`,
        ExitCode.FAILED,
      );
    }
  }
  return { ...command.options };
}

/**
 * A plugin's command as one of kb's: its options merged with the global ones, its positionals checked by kb,
 * and a context over the run — the run's store (opened once, as the operator's actor and role), kb's output
 * and kb's usage errors. Throws when the command cannot be offered as it is declared.
 */
export function adaptPluginCommand(plugin: PluginDefinition, command: PluginCommand): Command {
  return {
    name: command.name,
    summary: command.summary,
    usage: command.usage,
    details: command.details,
    options: optionsOf(plugin, command),
    positionals: command.positionals ?? { min: 0, max: 0 },
    async run(ctx) {
      const code = await command.run({
        positionals: ctx.positionals,
        values: ctx.values,
        cwd: ctx.io.cwd,
        env: ctx.io.env,
        out: ctx.out.forPlugin(),
        storage: (options) =>
          openStoreWithExtension(ctx, plugin.id, plugin.package ?? plugin.id, options?.missing ?? 'fail'),
        usageError: (message) => new UsageError(message, command.usage),
      });
      return code ?? ExitCode.OK;
    },
  };
}
