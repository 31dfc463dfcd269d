import { parseArgs } from 'node:util';
import { UsageError } from './cli-error.js';
import type { OptionSpec, OptionValue } from './command.js';

/** Flags every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies OptionSpec;

export interface GlobalFlags {
  db?: string | undefined;
  config?: string | undefined;
  json: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
}

export interface ParsedArgs {
  values: Record<string, OptionValue>;
  positionals: string[];
}

/** parseArgs' messages are long and mention its own API; say what was wrong in the CLI's words. */
function usageErrorFrom(error: unknown, usage: string | undefined): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
  if (unknown !== undefined) return new UsageError(`unknown option '${unknown}'`, usage);
  const missing = /Option '(-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message)?.[2];
  if (missing !== undefined) return new UsageError(`${missing} needs a value`, usage);
  return new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), usage);
}

/**
 * A negative number (`SQLCODE -911`, `--limit -5`) would read as a short option. Such tokens are swapped
 * for placeholders that parseArgs treats as plain words, then swapped back in the result.
 */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

export function parseCommandArgs(args: readonly string[], options: OptionSpec, usage?: string): ParsedArgs {
  const originals: string[] = [];
  const masked = args.map((arg) => {
    if (!NEGATIVE_NUMBER.test(arg)) return arg;
    originals.push(arg);
    return `\uE000kb-arg-${originals.length - 1}`;
  });
  const unmask = (value: string) => {
    const m = /^\uE000kb-arg-(\d+)$/.exec(value);
    return m ? (originals[Number(m[1])] ?? value) : value;
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: masked, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw usageErrorFrom(error, usage);
  }
  const values: Record<string, OptionValue> = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') values[key] = unmask(value);
    else if (Array.isArray(value)) values[key] = value.map((v) => (typeof v === 'string' ? unmask(v) : v));
    else values[key] = value;
  }
  return { values, positionals: parsed.positionals.map(unmask) };
}

export interface SplitArgv {
  /** The global flags written before the command. */
  before: ParsedArgs;
  command: string | undefined;
  rest: string[];
}

const VALUE_FLAGS = new Set(['--db', '--config']);

/** Separates `kb [global flags] <command> [args]`: the command is the first word that is not a flag. */
export function splitCommand(argv: readonly string[]): SplitArgv {
  let i = 0;
  while (i < argv.length) {
    const token = argv[i] as string;
    if (token === '--' || !token.startsWith('-') || token === '-') break;
    i += VALUE_FLAGS.has(token) ? 2 : 1;
  }
  const head = argv.slice(0, Math.min(i, argv.length));
  let restStart = i;
  if (argv[i] === '--') restStart = i + 1;
  const before = parseCommandArgs(head, GLOBAL_OPTIONS);
  return { before, command: argv[restStart], rest: argv.slice(restStart + 1) };
}

/**
 * The global flags among a command's arguments, read before the command is known: a plugin's command is
 * found through the config file, which `--config` may name after it (`kb patterns list --config f`). Options
 * it does not know are skipped here; the command's own parse refuses them later.
 */
export function locateGlobals(args: readonly string[]): Record<string, OptionValue> {
  const { values } = parseArgs({
    args: [...args],
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
  });
  const located: Record<string, OptionValue> = {};
  for (const name of ['db', 'config'] as const) if (values[name] !== undefined) located[name] = values[name];
  return located;
}

export function globalFlags(...parts: Record<string, OptionValue>[]): GlobalFlags {
  const merged: Record<string, OptionValue> = Object.assign({}, ...parts);
  const str = (v: OptionValue) => (typeof v === 'string' ? v : undefined);
  return {
    db: str(merged.db),
    config: str(merged.config),
    json: merged.json === true,
    quiet: merged.quiet === true,
    help: merged.help === true,
    version: merged.version === true,
  };
}
