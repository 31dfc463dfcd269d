import { formatTable, type ListEntriesOptions, type Severity } from '@mainframe-kb/storage-core';
import { UsageError } from '../cli-error.js';
import { type Command, flag, stringOption, wholeNumber } from '../command.js';
import { toEntryJson } from '../output/entry-json.js';

const USAGE =
  'kb list [--category c] [--severity s] [--tag t] [--sort updated|created|used|title] [--limit n] [--offset n] [--archived]';

/** The names `--sort` takes, and the order the store lists by. */
const SORTS: Readonly<Record<string, NonNullable<ListEntriesOptions['orderBy']>>> = {
  updated: 'updatedAt',
  updatedAt: 'updatedAt',
  created: 'createdAt',
  createdAt: 'createdAt',
  used: 'usageCount',
  usageCount: 'usageCount',
  title: 'title',
};

export const listCommand: Command = {
  name: 'list',
  summary: 'list entries, filtered, sorted and paged',
  usage: USAGE,
  details: [
    '--sort       updated (default, newest first), created (newest first), used (most used first), title (A–Z)',
    '--limit      entries per page, 1 to 1000 (default 50); --offset skips that many',
    '--archived   include archived entries',
    'total is the number of entries that match the filters, whatever the page.',
  ],
  options: {
    category: { type: 'string' },
    severity: { type: 'string' },
    tag: { type: 'string' },
    sort: { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
    archived: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const sortName = stringOption(ctx, 'sort');
    const orderBy = sortName === undefined ? undefined : SORTS[sortName];
    if (sortName !== undefined && orderBy === undefined) {
      throw new UsageError(`--sort takes updated, created, used or title, not '${sortName}'`, USAGE);
    }
    const limit = wholeNumber(ctx, 'limit', { min: 1, max: 1_000 }, USAGE);
    const offset = wholeNumber(ctx, 'offset', { min: 0, max: Number.MAX_SAFE_INTEGER }, USAGE);
    const storage = await ctx.openStorage();
    // Category, severity and tag are the store's to check: a bad value is rejected input (exit 3).
    const { entries, total } = await storage.listEntries({
      category: stringOption(ctx, 'category'),
      severity: stringOption(ctx, 'severity') as Severity | undefined,
      tag: stringOption(ctx, 'tag'),
      includeArchived: flag(ctx, 'archived'),
      limit,
      offset,
      orderBy,
    });
    ctx.out.emit({ entries: entries.map(toEntryJson), total }, () => {
      if (entries.length === 0)
        return total === 0 ? 'No entries.' : `No entries on this page (${total} in all).`;
      const first = (offset ?? 0) + 1;
      return [
        formatTable(
          ['ID', 'TITLE', 'CATEGORY', 'SEVERITY', 'USED', 'UPDATED'],
          entries.map((e) => [e.id, e.title, e.category, e.severity, String(e.usageCount), e.updatedAt]),
        ),
        '',
        `${first}–${first + entries.length - 1} of ${total} entries`,
      ].join('\n');
    });
    return 0;
  },
};
