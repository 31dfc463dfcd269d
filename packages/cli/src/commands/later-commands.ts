import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { CliError, ExitCode } from '../cli-error.js';
import type { Command } from '../command.js';

interface LaterCommand {
  name: string;
  usage: string;
  summary: string;
  /** The package that will provide it, named in the refusal so the operator knows what to install. */
  provider: string;
}

/**
 * Commands of CLI.md whose implementation lives in packages that are not part of this release. They are
 * recognised (so a script gets a clear refusal, not "unknown command") and refused with exit 1. None is left
 * today: `kb upgrade`, the last one, is kb's own command now (commands/upgrade-command.ts).
 */
const LATER: readonly LaterCommand[] = [];

function laterCommand(spec: LaterCommand): Command {
  return {
    name: spec.name,
    summary: `${spec.summary} (needs ${spec.provider}, not in this release)`,
    usage: spec.usage,
    // Whatever follows is accepted unparsed: the refusal is the answer, whatever the arguments.
    options: {},
    positionals: { min: 0, max: Number.POSITIVE_INFINITY },
    passThrough: true,
    async run() {
      throw new CliError(
        StorageErrorCode.EXTENSION_NOT_ENABLED,
        `'kb ${spec.name}' is provided by ${spec.provider}, which is not part of this release of kb`,
        ExitCode.FAILED,
      );
    },
  };
}

export const laterCommands: readonly Command[] = LATER.map(laterCommand);
