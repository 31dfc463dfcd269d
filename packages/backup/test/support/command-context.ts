import { parseArgs } from 'node:util';
import type {
  CommandOptionValue,
  PluginCommand,
  PluginCommandContext,
  Storage,
} from '@mainframe-kb/storage-core';

/** What `kb` would exit 2 for, with the command's usage line. */
export class FakeUsageError extends Error {
  override readonly name = 'FakeUsageError';
}

export interface CommandRun {
  /** The exit code `run` returned (0 when it returned nothing). */
  readonly code: number;
  /** The document `--json` would print, and the text without it. */
  readonly json: any;
  readonly text: string | undefined;
  /** Every document emitted, in order (a service such as `schedule run` emits one per event). */
  readonly documents: readonly any[];
  readonly warnings: readonly string[];
}

/** kb's global flags a plugin command sees in its values (kb merges them in, as here). */
const GLOBAL_FLAGS = { json: { type: 'boolean' }, quiet: { type: 'boolean' } } as const;

/**
 * Runs a plugin command as `kb` would, with a small fake context: `argv` parsed by the command's options, the
 * given store, environment and folder. Both outputs are kept, so a test can check the JSON and the text.
 */
export async function runCommand(
  command: PluginCommand,
  argv: readonly string[],
  setup: { storage: Storage; cwd: string; env?: Record<string, string | undefined> },
): Promise<CommandRun> {
  const parsed = parseArgs({
    args: [...argv],
    options: { ...GLOBAL_FLAGS, ...command.options } as NonNullable<
      Parameters<typeof parseArgs>[0]
    >['options'],
    allowPositionals: true,
  });
  let json: unknown;
  let text: string | undefined;
  const documents: unknown[] = [];
  const warnings: string[] = [];
  const ctx: PluginCommandContext = {
    positionals: parsed.positionals,
    values: parsed.values as Record<string, CommandOptionValue>,
    cwd: setup.cwd,
    env: setup.env ?? {},
    out: {
      emit(document, render) {
        json = JSON.parse(JSON.stringify(document));
        documents.push(json);
        text = render();
      },
      warn: (message) => warnings.push(message),
      progress: () => ({ update() {}, finish() {} }),
    },
    storage: async () => setup.storage,
    usageError: (message) => new FakeUsageError(message),
  };
  const code = (await command.run(ctx)) ?? 0;
  return { code, json, text, documents, warnings };
}

/** The command of a plugin definition, by name. */
export function commandNamed(commands: readonly PluginCommand[] | undefined, name: string): PluginCommand {
  const found = commands?.find((c) => c.name === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
}
