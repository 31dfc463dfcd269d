import type { Storage } from '@mainframe-kb/storage-core';
import { actorId } from './actor.js';
import {
  GLOBAL_OPTIONS,
  globalFlags,
  type ParsedArgs,
  parseCommandArgs,
  splitCommand,
} from './argv-parser.js';
import { ExitCode, exitCodeOf, UsageError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { COMMANDS, findCommand } from './command-registry.js';
import { commandHelp, GLOBAL_USAGE, generalHelp } from './help-text.js';
import { CliOutput } from './output/cli-output.js';
import { cliVersion } from './package-info.js';
import { openStore } from './store/open-store.js';
import { resolveStoreSettings, type StoreSettings } from './store/store-config.js';

function checkPositionals(command: Command, positionals: readonly string[]): void {
  const { min, max } = command.positionals;
  if (positionals.length < min) throw new UsageError('missing argument', command.usage);
  if (positionals.length > max)
    throw new UsageError(`unexpected argument '${positionals[max]}'`, command.usage);
}

/** One run of one command: holds the store it opened so it can be closed whatever happens. */
class CommandRun {
  #settings: StoreSettings | undefined;
  #storage: Promise<Storage> | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly flags: { db?: string | undefined; config?: string | undefined },
  ) {}

  settings(): StoreSettings {
    this.#settings ??= resolveStoreSettings({
      dbFlag: this.flags.db,
      configFlag: this.flags.config,
      env: this.io.env,
      cwd: this.io.cwd,
    });
    return this.#settings;
  }

  openStorage(migrate: 'auto' | 'verify' | 'none' = 'auto'): Promise<Storage> {
    this.#storage ??= Promise.resolve().then(() =>
      openStore(this.settings(), { migrate, actorId: actorId(this.io) }),
    );
    return this.#storage;
  }

  async close(): Promise<void> {
    const storage = await this.#storage?.catch(() => undefined);
    await storage?.close();
  }
}

interface RunState {
  out: CliOutput;
  run?: CommandRun;
}

async function execute(argv: readonly string[], io: CliIo, state: RunState): Promise<number> {
  let usage: string = GLOBAL_USAGE;
  try {
    const { before, command: name, rest } = splitCommand(argv);
    const early = globalFlags(before.values);
    state.out = new CliOutput(io, { json: early.json, quiet: early.quiet });
    if (early.version) {
      state.out.emit({ version: cliVersion() }, () => `kb ${cliVersion()}`);
      return ExitCode.OK;
    }
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined;
      if (name === undefined && !early.help) {
        throw new UsageError("missing command; 'kb help' lists them", GLOBAL_USAGE);
      }
      const command = topic === undefined ? undefined : findCommand(topic);
      if (topic !== undefined && !command) throw new UsageError(`unknown command '${topic}'`, GLOBAL_USAGE);
      state.out.result(command ? commandHelp(command) : generalHelp(COMMANDS, cliVersion()));
      return ExitCode.OK;
    }
    const command = findCommand(name);
    if (!command) throw new UsageError(`unknown command '${name}'; 'kb help' lists them`, GLOBAL_USAGE);
    usage = command.usage;

    const parsed: ParsedArgs = command.passThrough
      ? { values: {}, positionals: rest }
      : parseCommandArgs(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.usage);
    const flags = globalFlags(before.values, parsed.values);
    const out = new CliOutput(io, { json: flags.json, quiet: flags.quiet });
    state.out = out;
    if (flags.help) {
      out.result(commandHelp(command));
      return ExitCode.OK;
    }
    checkPositionals(command, parsed.positionals);

    const run = new CommandRun(io, flags);
    state.run = run;
    return await command.run({
      io,
      out,
      positionals: parsed.positionals,
      values: parsed.values,
      settings: () => run.settings(),
      openStorage: (migrate) => run.openStorage(migrate),
    });
  } catch (error) {
    state.out.error(error, error instanceof UsageError ? (error.usage ?? usage) : undefined);
    return exitCodeOf(error);
  }
}

/**
 * Runs `kb` with `argv` (without the node and script paths) and returns the exit code. Nothing here touches
 * process-wide state, so tests call it in-process with their own streams, environment and directory.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // Until the arguments are parsed, trust a literal --json so even a usage error comes out as JSON.
  const state: RunState = { out: new CliOutput(io, { json: argv.includes('--json'), quiet: false }) };
  const code = await execute(argv, io, state);
  try {
    await state.run?.close();
  } catch (error) {
    // Closing flushes search history; a failure there is reported, and fails a run that had succeeded.
    state.out.error(error);
    return code === ExitCode.OK ? exitCodeOf(error) : code;
  }
  return code;
}
