import { formatTable, type OptimizationResult } from '@mainframe-kb/storage-core';
import type { Command } from '../command.js';

function formatOptimization(r: OptimizationResult): string {
  return [
    formatTable(
      ['STEP', 'OK', 'MS', 'DETAIL'],
      r.steps.map((s) => [s.name, s.ok ? 'yes' : 'no', s.durationMs.toFixed(1), s.detail ?? '']),
    ),
    '',
    `database ${r.before.databaseBytes} → ${r.after.databaseBytes} bytes, WAL ${r.before.walBytes} → ${r.after.walBytes} bytes, ${r.durationMs.toFixed(0)} ms`,
  ].join('\n');
}

export const optimizeCommand: Command = {
  name: 'optimize',
  summary: 'maintenance: statistics, full-text index merge, WAL checkpoint',
  usage: 'kb optimize',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    const result = await storage.optimize();
    ctx.out.emit(result, () => formatOptimization(result));
    // A failed step is reported, not hidden: the maintenance did not fully run.
    return result.steps.every((s) => s.ok) ? 0 : 1;
  },
};
