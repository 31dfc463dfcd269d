import { formatTable } from '@mainframe-kb/storage-core';
import { type Command, stringOption, wholeNumber } from '../command.js';

const USAGE = 'kb history [--limit n] [--since <ISO time>]';

export const historyCommand: Command = {
  name: 'history',
  summary: 'the searches run on this store, newest first',
  usage: USAGE,
  details: [
    '--limit   how many, 1 to 10000 (default 100)',
    '--since   only those at or after this time (ISO 8601 with its offset, e.g. 2026-12-01T00:00:00Z)',
  ],
  options: { limit: { type: 'string' }, since: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const limit = wholeNumber(ctx, 'limit', { min: 1, max: 10_000 }, USAGE);
    const since = stringOption(ctx, 'since');
    const storage = await ctx.openStorage();
    // A malformed --since is the store's to refuse (VALIDATION, exit 3), as for every time range.
    const searches = await storage.getSearchHistory({
      ...(limit === undefined ? {} : { limit }),
      ...(since === undefined ? {} : { since }),
    });
    ctx.out.emit({ searches }, () =>
      searches.length === 0
        ? 'No searches recorded.'
        : formatTable(
            ['AT', 'RESULTS', 'MS', 'QUERY', 'CORRECTED TO'],
            searches.map((s) => [
              s.createdAt,
              String(s.resultCount),
              s.tookMs.toFixed(1),
              s.query,
              s.correctedQuery ?? '',
            ]),
          ),
    );
    return 0;
  },
};
