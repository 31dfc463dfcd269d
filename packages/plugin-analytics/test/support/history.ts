import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import type { Storage } from '@mainframe-kb/storage-core';
import { SeededRandom } from '@mainframe-kb/testkit';

/** The KB a history is resolved with: an error code, a title and a category each. */
export const ENTRIES = [
  { code: 'S0C7', title: 'S0C7 data exception in a packed decimal field', category: 'COBOL' },
  { code: 'SQLCODE -911', title: 'SQLCODE -911 deadlock or timeout on a DB2 table', category: 'DB2' },
  { code: 'IEC161I', title: 'VSAM status 35 and IEC161I when opening a missing cluster', category: 'VSAM' },
  { code: 'S322', title: 'S322 abend: the job step used more CPU time than allowed', category: 'JCL' },
  { code: 'S806', title: 'S806 module not found in STEPLIB or the link list', category: 'Batch' },
  { code: 'SQLCODE -805', title: 'SQLCODE -805 package not found in the plan', category: 'DB2' },
] as const;

export const COMPONENTS = ['PAYROLL', 'BILLING', 'GL', null] as const;

export interface History {
  entryIds: string[];
  incidentIds: string[];
  /** Entries given a creation time before the history, so resolutions with them count as reuse. */
  oldEntryIds: string[];
}

/**
 * A deterministic incident history over [start, start + days): incidents in several components with error
 * codes in their titles, most resolved some hours later, many with the KB entry of their code.
 */
export async function seedHistory(
  storage: Storage,
  options: {
    start: string;
    days: number;
    perDay: number;
    seed?: number;
    backdate?: (ids: string[]) => Promise<void>;
  },
): Promise<History> {
  const rng = new SeededRandom(options.seed ?? 7);
  const entryIds: string[] = [];
  for (const e of ENTRIES) {
    entryIds.push(
      await storage.createEntry({
        title: e.title,
        problem: `${e.code}: ${e.title}. The job ends abnormally.`,
        solution: `Fix for ${e.code}: see the runbook.`,
        category: e.category,
        tags: [e.code.toLowerCase().replace(/\s+/g, '-')],
      }),
    );
  }
  const oldEntryIds = entryIds.filter((_, i) => i % 2 === 0);
  if (options.backdate) await options.backdate(oldEntryIds);
  const inputs = [];
  const start = Date.parse(`${options.start}T00:00:00.000Z`);
  let n = 0;
  for (let d = 0; d < options.days; d++) {
    // A weekly rhythm: more incidents early in the week.
    const weekday = new Date(start + d * 86_400_000).getUTCDay();
    const count = Math.max(0, options.perDay + (weekday === 1 ? 3 : weekday === 0 ? -2 : 0) + rng.int(-1, 1));
    for (let k = 0; k < count; k++) {
      const which = rng.int(0, ENTRIES.length - 1);
      const e = ENTRIES[which]!;
      const created = start + d * 86_400_000 + rng.int(0, 86_399) * 1000;
      const resolved = rng.next() < 0.8 ? created + rng.int(600, 72 * 3600) * 1000 : null;
      const withEntry = resolved !== null && rng.next() < 0.7;
      inputs.push({
        ticketId: `INC${String(++n).padStart(6, '0')}`,
        title: `${e.code} in job PAY${rng.int(100, 999)}`,
        description: `${e.title}. Seen in the nightly batch.`,
        component: COMPONENTS[rng.int(0, COMPONENTS.length - 1)] ?? null,
        severity: (['low', 'medium', 'high', 'critical'] as const)[rng.int(0, 3)],
        status: resolved === null ? ('open' as const) : ('resolved' as const),
        createdAt: new Date(created).toISOString(),
        resolvedAt: resolved === null ? null : new Date(resolved).toISOString(),
        kbEntryId: withEntry ? entryIds[which]! : null,
      });
    }
  }
  const incidentIds = await storage.plugin(patternsPlugin).createIncidents(inputs);
  return { entryIds, incidentIds, oldEntryIds };
}
