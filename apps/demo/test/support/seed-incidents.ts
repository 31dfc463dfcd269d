import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSeedAnchorDir } from '@mainframe-kb/testkit';

// The incidents of the seed-anchor data (`incidents_enhanced` rows of seed-data.sql: KB_SEED_ANCHOR_DIR, or
// ../shared/data/seed-anchor beside the repo), exported the way ServiceNow's Table API and list view would.

export interface SeedIncident {
  title: string;
  description: string;
  area: string;
  status: string;
  priority: string;
}

export function seedIncidents(): SeedIncident[] {
  const sql = readFileSync(join(defaultSeedAnchorDir(), 'seed-data.sql'), 'utf8');
  const out: SeedIncident[] = [];
  for (const block of sql.split('INSERT INTO ').filter((b) => b.startsWith('incidents_enhanced '))) {
    const columns = /\(([^)]*)\)/
      .exec(block)![1]!
      .split(',')
      .map((c) => c.trim());
    for (const line of block.split('\n')) {
      if (!line.startsWith('(')) continue;
      const literals = [...line.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
      const value = (column: string) => literals[columns.indexOf(column)]!;
      out.push({
        title: value('title'),
        description: value('description'),
        area: value('technical_area'),
        status: value('status'),
        priority: value('priority'),
      });
    }
  }
  return out;
}

export const SEED = seedIncidents();
export const PRIORITY: Record<string, string> = {
  CRITICAL: '1 - Critical',
  HIGH: '2 - High',
  MEDIUM: '3 - Moderate',
  LOW: '4 - Low',
};
export const STATE: Record<string, string> = {
  OPEN: '1',
  IN_PROGRESS: '2',
  PENDING: '3',
  CRITICAL: '1',
  RESOLVED: '6',
};
export const HOUR = 3_600_000;
export const MARCH_1 = Date.UTC(2025, 2, 1);
/** ServiceNow's `YYYY-MM-DD HH:MM:SS` (UTC) of `hours` after 2025-03-01 00:00. */
export const at = (hours: number) =>
  new Date(MARCH_1 + hours * HOUR).toISOString().replace('T', ' ').slice(0, 19);

export const natural = SEED.find((s) => s.title === 'NATURAL Program Abend')!;

/** Seed incident i opened 5 h after the one before (2025-03-01 … 03-05); the NATURAL abend recurs on 03-07. */
export function serviceNowRecords() {
  const records = SEED.map((s, i) => ({
    number: `INC00${20001 + i}`,
    short_description: s.title,
    description: s.description,
    cmdb_ci: s.area,
    priority: PRIORITY[s.priority],
    state: STATE[s.status],
    opened_at: at(i * 5),
  }));
  const recurrences = [2, 3, 4].map((h, k) => ({
    number: `INC00${30001 + k}`,
    short_description: natural.title,
    description: natural.description,
    cmdb_ci: natural.area,
    priority: PRIORITY[natural.priority],
    state: '1',
    opened_at: at(6 * 24 + h),
  }));
  return [...records, ...recurrences];
}

export const serviceNowJson = () => JSON.stringify({ result: serviceNowRecords() });

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
export function serviceNowCsv(rows: ReturnType<typeof serviceNowRecords>): string {
  const header = ['number', 'opened_at', 'short_description', 'description', 'cmdb_ci', 'priority', 'state'];
  return [
    header.join(','),
    ...rows.map((r) => header.map((h) => csvField(String(r[h as keyof typeof r] ?? ''))).join(',')),
  ].join('\r\n');
}
