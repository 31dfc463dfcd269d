import type { LoggedEvent } from '@mainframe-kb/storage-core';
import { type Command, stringList, stringOption, wholeNumber } from '../command.js';

const USAGE = 'kb events [--from t] [--to t] [--type x]… [--after seq] [--limit n]';

export const eventsCommand: Command = {
  name: 'events',
  summary: 'replay the durable event log, oldest first',
  usage: USAGE,
  details: [
    '--from, --to   a time range (ISO 8601 with offset; --from inclusive, --to exclusive)',
    '--type         only events of this type (repeat for several), e.g. entry:created, entry:deleted',
    '--after        resume after this sequence number (the last seq a previous page printed)',
    '--limit        at most this many, 1 to 100000 (default 1000); "more" says whether the log goes on',
  ],
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    type: { type: 'string', multiple: true },
    after: { type: 'string' },
    limit: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const limit = wholeNumber(ctx, 'limit', { min: 1, max: 100_000 }, USAGE) ?? 1_000;
    const afterSeq = wholeNumber(ctx, 'after', { min: 0, max: Number.MAX_SAFE_INTEGER }, USAGE);
    const from = stringOption(ctx, 'from');
    const to = stringOption(ctx, 'to');
    const types = stringList(ctx, 'type');
    const storage = await ctx.openStorage();
    const events: LoggedEvent[] = [];
    let more = false;
    // Bad times or types are the store's to refuse (VALIDATION, exit 3) before anything is read.
    for await (const event of storage.replayEvents({
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(types === undefined ? {} : { types }),
      ...(afterSeq === undefined ? {} : { afterSeq }),
    })) {
      if (events.length === limit) {
        more = true;
        break;
      }
      events.push(event);
    }
    ctx.out.emit({ events, more }, () => {
      if (events.length === 0) return 'No events.';
      const lines = events.map((e) => `${e.seq}  ${e.createdAt}  ${e.type}  ${JSON.stringify(e.payload)}`);
      if (more) lines.push(`… more after seq ${events.at(-1)?.seq}: kb events --after ${events.at(-1)?.seq}`);
      return lines.join('\n');
    });
    return 0;
  },
};
