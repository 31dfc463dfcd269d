import { type KBEntryUpdate, NotFoundError, type Severity } from '@mainframe-kb/storage-core';
import { UsageError } from '../cli-error.js';
import { type Command, flag, stringList, stringOption } from '../command.js';
import { formatEntry, toEntryJson } from '../output/entry-json.js';

const USAGE =
  'kb update <id> [--title T] [--problem P] [--solution S] [--category C] [--severity S] [--tag t]… [--clear-tags]';

export const updateCommand: Command = {
  name: 'update',
  summary: 'change fields of an entry',
  usage: USAGE,
  details: [
    '--tag t       replaces the whole tag list; repeat for several tags.',
    '--clear-tags  removes every tag.',
  ],
  options: {
    title: { type: 'string' },
    problem: { type: 'string' },
    solution: { type: 'string' },
    category: { type: 'string' },
    severity: { type: 'string' },
    tag: { type: 'string', multiple: true },
    'clear-tags': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const id = ctx.positionals[0] as string;
    const tags = stringList(ctx, 'tag');
    if (tags !== undefined && flag(ctx, 'clear-tags')) {
      throw new UsageError('--tag and --clear-tags contradict each other', USAGE);
    }
    const update: KBEntryUpdate = {};
    for (const field of ['title', 'problem', 'solution', 'category'] as const) {
      const value = stringOption(ctx, field);
      if (value !== undefined) update[field] = value;
    }
    const severity = stringOption(ctx, 'severity');
    if (severity !== undefined) update.severity = severity as Severity;
    if (tags !== undefined) update.tags = tags;
    if (flag(ctx, 'clear-tags')) update.tags = [];
    if (Object.keys(update).length === 0) {
      throw new UsageError('nothing to update: give at least one field to change', USAGE);
    }
    const storage = await ctx.openStorage();
    if (!(await storage.updateEntry(id, update))) throw new NotFoundError('entry', id);
    const entry = await storage.getEntry(id);
    ctx.out.emit(toEntryJson(entry), () => (ctx.out.mode.quiet ? entry.id : formatEntry(entry)));
    return 0;
  },
};
