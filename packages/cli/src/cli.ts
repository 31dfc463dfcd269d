import {
  GLOBAL_OPTIONS,
  type GlobalFlags,
  globalFlags,
  locateGlobals,
  type ParsedArgs,
  parseCommandArgs,
  splitCommand,
} from './argv-parser.js';
import { describeError, ExitCode, exitCodeOf, UsageError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './command.js';
import { CommandRun } from './command-run.js';
import { commandHelp, GLOBAL_USAGE, generalHelp } from './help-text.js';
import { CliOutput } from './output/cli-output.js';
import { cliVersion } from './package-info.js';
import type { CommandCatalog } from './plugin/command-catalog.js';
import { extensionNotEnabled } from './store/require-extension.js';

function checkPositionals(command: Command, positionals: readonly string[]): void {
  const { min, max } = command.positionals;
  if (positionals.length < min) throw new UsageError('missing argument', command.usage);
  if (positionals.length > max)
    throw new UsageError(`unexpected argument '${positionals[max]}'`, command.usage);
}

interface RunState {
  out: CliOutput;
  run?: CommandRun;
}

/**
 * `kb help [command]` needs no store. When the plugins cannot be resolved (a broken package, a bad config),
 * kb's own commands are still listed and the reason is printed as a warning.
 */
async function showHelp(run: CommandRun, out: CliOutput, topic: string | undefined): Promise<number> {
  let catalog: CommandCatalog;
  try {
    catalog = await run.catalog();
  } catch (error) {
    if (topic !== undefined) throw error;
    out.warn(`the commands of plugins are not listed: ${describeError(error).message}`);
    catalog = run.ownCatalog();
  }
  if (topic === undefined) {
    for (const refusal of catalog.refusals()) out.warn(refusal.message);
    out.result(generalHelp(catalog, cliVersion()));
    return ExitCode.OK;
  }
  const entry = catalog.find(topic);
  if (!entry) throw new UsageError(`unknown command '${topic}'`, GLOBAL_USAGE);
  out.result(commandHelp(entry));
  return ExitCode.OK;
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
    // The command may be a plugin's, known only from the config file that the global flags point at.
    const located: GlobalFlags = globalFlags(before.values, locateGlobals(rest));
    const run = new CommandRun(io, located);
    state.run = run;
    if (name === undefined || name === 'help') {
      if (name === undefined && !early.help) {
        throw new UsageError("missing command; 'kb help' lists them", GLOBAL_USAGE);
      }
      return await showHelp(run, state.out, name === 'help' ? rest[0] : undefined);
    }
    const entry = (await run.catalog()).find(name);
    if (!entry) throw new UsageError(`unknown command '${name}'; 'kb help' lists them`, GLOBAL_USAGE);
    const { command } = entry;
    usage = command.usage;
    // A plugin the run leaves out is refused before anything else, the store's existence included.
    if (entry.plugin && !entry.enabled) {
      const { id, package: pkg } = entry.plugin;
      throw extensionNotEnabled(id, pkg ?? id, run.settings().configFile ?? undefined);
    }

    const parsed: ParsedArgs = command.passThrough
      ? { values: {}, positionals: rest }
      : parseCommandArgs(rest, { ...GLOBAL_OPTIONS, ...command.options }, command.usage);
    const flags = globalFlags(before.values, parsed.values);
    const out = new CliOutput(io, { json: flags.json, quiet: flags.quiet });
    state.out = out;
    if (flags.help) {
      out.result(commandHelp(entry));
      return ExitCode.OK;
    }
    checkPositionals(command, parsed.positionals);

    return await command.run({
      io,
      out,
      positionals: parsed.positionals,
      // Global flags written before the command count as if written after it.
      values: { ...before.values, ...parsed.values },
      catalog: await run.catalog(),
      settings: () => run.settings(),
      openStorage: (migrate, options) => run.openStorage(migrate, options?.missing ?? 'fail'),
    });
  } catch (thrown) {
    const error = state.run?.explain(thrown) ?? thrown;
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
