import { formatTable } from '@mainframe-kb/storage-core';
import { ExitCode } from '../cli-error.js';
import type { Command } from '../command.js';

export const healthCommand: Command = {
  name: 'health',
  summary: 'run the health probes (exit 5 when unhealthy)',
  usage: 'kb health',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    const health = await storage.healthCheck();
    ctx.out.emit(health, () =>
      [
        `Status: ${health.status}`,
        formatTable(
          ['PROBE', 'STATUS', 'MS', 'DETAIL'],
          health.probes.map((p) => [p.name, p.status, p.durationMs.toFixed(1), p.detail ?? '']),
        ),
      ].join('\n'),
    );
    // Degraded still serves; only unhealthy is the verification failure of CLI.md.
    return health.status === 'unhealthy' ? ExitCode.INTEGRITY : ExitCode.OK;
  },
};
