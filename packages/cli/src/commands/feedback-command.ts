import type { UsageCounters } from '@mainframe-kb/storage-core';
import { UsageError } from '../cli-error.js';
import { type Command, flag } from '../command.js';

const USAGE = 'kb feedback <id> --success|--failure';

function describeCounters(c: UsageCounters): string {
  const rate = c.successRate === null ? 'no feedback yet' : `${Math.round(c.successRate * 100)}% success`;
  return `${c.id}: used ${c.usageCount} times, ${c.successCount} worked, ${c.failureCount} did not (${rate})`;
}

export const feedbackCommand: Command = {
  name: 'feedback',
  summary: 'record whether the fix of an entry worked',
  usage: USAGE,
  options: { success: { type: 'boolean' }, failure: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const success = flag(ctx, 'success');
    if (success === flag(ctx, 'failure'))
      throw new UsageError('give exactly one of --success or --failure', USAGE);
    const storage = await ctx.openStorage();
    const counters = await storage.recordFeedback(ctx.positionals[0] as string, {
      outcome: success ? 'success' : 'failure',
    });
    ctx.out.emit(counters, () => describeCounters(counters));
    return 0;
  },
};
