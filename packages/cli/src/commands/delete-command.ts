import { ExitCode } from '../cli-error.js';
import type { Command } from '../command.js';

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete an entry',
  usage: 'kb delete <id>',
  options: {},
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const storage = await ctx.openStorage();
    const deleted = await storage.deleteEntry(id);
    ctx.out.emit({ deleted }, () => (deleted ? `Deleted ${id}` : `No entry '${id}'; nothing deleted`));
    // The document still says deleted:false; the exit code lets scripts tell "not there" from "done".
    return deleted ? ExitCode.OK : ExitCode.NOT_FOUND;
  },
};
