import type { ParseArgsConfig } from 'node:util';
import type { Storage } from '@mainframe-kb/storage-core';
import { UsageError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { CliOutput } from './output/cli-output.js';
import type { CommandCatalog } from './plugin/command-catalog.js';
import type { StoreSettings } from './store/store-config.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type OptionValue = string | boolean | (string | boolean)[] | undefined;

/** What a command gets: its parsed arguments, the output, and the store (opened on first ask). */
export interface CommandContext {
  readonly io: CliIo;
  readonly out: CliOutput;
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, OptionValue>>;
  /** Every command of the run, the enabled plugins' included. */
  readonly catalog: CommandCatalog;
  /** Where the store is and its config; resolving it reads the config file. */
  settings(): StoreSettings;
  /**
   * Opens the store once per run; the CLI closes it when the command ends. A store that does not exist is
   * NOT_FOUND (exit 4, naming the target) unless `missing` is `create` (`kb init`, a restore into it) or
   * `memory` (an empty in-memory store with the same config, for commands that need only the extensions).
   */
  openStorage(migrate?: 'auto' | 'verify' | 'none', options?: { missing?: MissingStore }): Promise<Storage>;
}

/** What opening a store that does not exist does: refuse (exit 4), create it, or open one in memory. */
export type MissingStore = 'fail' | 'create' | 'memory';

export interface Command {
  readonly name: string;
  /** One line for `kb help`. */
  readonly summary: string;
  /** The usage line printed with a usage error, e.g. `kb get <id>`. */
  readonly usage: string;
  /** Extra lines for `kb help <command>`: what the options mean. */
  readonly details?: readonly string[];
  readonly options: OptionSpec;
  /** How many positional arguments the command takes. */
  readonly positionals: { min: number; max: number };
  /** Take every argument unparsed (commands that only refuse, whatever they are given). */
  readonly passThrough?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringList(ctx: CommandContext, name: string): string[] | undefined {
  const value = ctx.values[name];
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

export function flag(ctx: CommandContext, name: string): boolean {
  return ctx.values[name] === true;
}

/**
 * A whole-number option (`--limit`, `--offset`) in `[min, max]`, or undefined when not given. Anything else is a
 * usage error (exit 2) naming the range, whatever was wrong with it.
 */
export function wholeNumber(
  ctx: CommandContext,
  name: string,
  range: { min: number; max: number },
  usage: string,
): number | undefined {
  const text = stringOption(ctx, name);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw new UsageError(
      `--${name} takes a whole number from ${range.min} to ${range.max}, not '${text}'`,
      usage,
    );
  }
  return value;
}
