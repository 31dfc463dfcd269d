import { beforeAll, describe, expect, it } from 'vitest';
import { runKillHarness, SCENARIOS } from '../scripts/kill-harness.js';
import { buildCli } from './built-cli.js';

/**
 * Reliability 1, 2, 3 and 6 under SIGKILL, through the `kb` binary (issue 13): a resumable import, a backup,
 * a restore, a migration and a copy, each killed at several points over its whole run, leave the store, the
 * repository or the target as before or as after, a rerun gives the uninterrupted result, and nothing is
 * left behind. The harness is one script (`pnpm --filter @mainframe-kb/cli kill-harness`); this test runs it
 * with two kills per operation (one inside the run, one after it), and four with KB_RELIABILITY_FULL=1.
 */
const FULL = process.env.KB_RELIABILITY_FULL === '1';
const KILLS = FULL ? 4 : 2;

beforeAll(() => buildCli(), 300_000);

describe('the kill -9 harness', () => {
  it(`leaves nothing half-done or left over, over ${KILLS} kill points per operation`, {
    timeout: 900_000,
  }, async () => {
    const lines: string[] = [];
    const report = await runKillHarness({ kills: KILLS, entries: 1_500, log: (line) => lines.push(line) });
    const problems = report.scenarios.flatMap((s) =>
      s.kills
        .filter((k) => k.problems.length > 0)
        .map((k) => `${s.scenario} at ${k.delayMs.toFixed(0)} ms: ${k.problems.join('; ')}`),
    );
    expect(problems, lines.join('\n')).toEqual([]);
    expect(report.scenarios.map((s) => s.scenario)).toEqual([...SCENARIOS]);
    for (const s of report.scenarios) {
      // Kills are spread over the run and the last lands after it: at least one must catch it running.
      expect(
        s.kills.filter((k) => k.landed === 'inside').length,
        `${s.scenario}: ${lines.join('\n')}`,
      ).toBeGreaterThan(0);
      expect(s.kills).toHaveLength(KILLS);
    }
    expect(report.ok).toBe(true);
  });
});
