import type { Command } from '../command.js';
import { formatEntry, toEntryJson } from '../output/entry-json.js';

export const getCommand: Command = {
  name: 'get',
  summary: 'show one entry',
  usage: 'kb get <id>',
  options: {},
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    // getEntry throws NOT_FOUND for an unknown id, which the CLI turns into exit 4.
    const entry = await storage.getEntry(ctx.positionals[0] as string);
    ctx.out.emit(toEntryJson(entry), () => formatEntry(entry));
    return 0;
  },
};
