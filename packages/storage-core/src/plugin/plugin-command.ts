import type { Storage } from '../storage.js';

/** Exit codes of the `kb` contract (CLI.md). Scripts rely on them. */
export const CommandExit = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  REJECTED: 3,
  NOT_FOUND: 4,
  INTEGRITY: 5,
} as const;

export type CommandExit = (typeof CommandExit)[keyof typeof CommandExit];

/** One option of a command, as `node:util` parseArgs takes it. */
export interface CommandOption {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
}

export type CommandOptionValue = string | boolean | readonly (string | boolean)[] | undefined;

/** How a command reports: one JSON document under `--json`, text otherwise. */
export interface CommandOutput {
  /** Prints `json` under `--json`, else the text `text()` returns (not called under `--json`). */
  emit(json: unknown, text: () => string): void;
  /** A warning on stderr (suppressed by `--quiet`). */
  warn(message: string): void;
  /** A progress bar on a terminal; a no-op under `--json`, `--quiet` or when stdout is not a TTY. */
  progress(label: string, total: number | undefined): { update(done: number): void; finish(): void };
}

/** What a plugin's command gets when `kb` runs it. */
export interface PluginCommandContext {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, CommandOptionValue>>;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: CommandOutput;
  /**
   * The store, opened once per run as the operator's actor, with this command's plugin enabled (refused with
   * EXTENSION_NOT_ENABLED when the config leaves it out). `kb` closes it when the command ends. A store that
   * does not exist is NOT_FOUND (exit 4, naming it), unless `missing` says otherwise:
   * - `create`: create it — only for a command whose job is to make the store (a restore into it);
   * - `memory`: open an empty in-memory store with the same config and extensions instead, for a command
   *   that needs the extensions but not the store's data (listing a backup repository, restoring elsewhere).
   */
  storage(options?: { readonly missing?: 'fail' | 'create' | 'memory' }): Promise<Storage>;
  /** An error that makes `kb` exit 2 and print this command's usage line. */
  usageError(message: string): Error;
}

/**
 * A subcommand of `kb` that a plugin brings: `kb <name> …`. `kb help` lists the commands of the installed,
 * enabled plugins. Errors thrown by `run` are printed and mapped to exit codes like the built-in commands'.
 */
export interface PluginCommand {
  readonly name: string;
  /** One line for `kb help`. */
  readonly summary: string;
  /** The usage line printed with a usage error, e.g. `kb patterns show <id>`. */
  readonly usage: string;
  /** Extra lines for `kb help <command>`: what the actions and options mean. */
  readonly details?: readonly string[];
  readonly options?: Readonly<Record<string, CommandOption>>;
  /** How many positional arguments it takes (default: none). */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Returns the exit code (default 0). */
  run(ctx: PluginCommandContext): Promise<number | undefined>;
}

/**
 * Left-aligned columns separated by two spaces, the last column not padded: the tables `kb` commands print,
 * so a plugin's command looks like the built-in ones.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
