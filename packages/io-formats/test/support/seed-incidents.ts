import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSeedAnchorDir } from '@mainframe-kb/testkit';

// The incidents of the seed-anchor data (the `incidents_enhanced` rows of seed-data.sql, in
// KB_SEED_ANCHOR_DIR or ../shared/data/seed-anchor beside the repo), exported the way ServiceNow's Table API,
// Jira's search API and Splunk's results endpoint give them.

export interface SeedIncident {
  readonly title: string;
  readonly description: string;
  readonly area: string;
  readonly status: string;
  readonly priority: string;
}

/** Every `incidents_enhanced` row of seed-data.sql, in file order. */
export function seedIncidents(): SeedIncident[] {
  const sql = readFileSync(join(defaultSeedAnchorDir(), 'seed-data.sql'), 'utf8');
  const out: SeedIncident[] = [];
  for (const block of sql.split('INSERT INTO ').filter((b) => b.startsWith('incidents_enhanced '))) {
    const columns = (/\(([^)]*)\)/.exec(block)?.[1] ?? '').split(',').map((c) => c.trim());
    for (const line of block.split('\n')) {
      if (!line.startsWith('(')) continue;
      const literals = [...line.matchAll(/'((?:[^']|'')*)'/g)].map((m) =>
        (m[1] as string).replaceAll("''", "'"),
      );
      const value = (column: string) => {
        const v = literals[columns.indexOf(column)];
        if (v === undefined) throw new Error(`seed-data.sql: no ${column} in ${line.slice(0, 60)}`);
        return v;
      };
      out.push({
        title: value('title'),
        description: value('description'),
        area: value('technical_area'),
        status: value('status'),
        priority: value('priority'),
      });
    }
  }
  if (out.length === 0) throw new Error('seed-data.sql holds no incidents_enhanced rows');
  return out;
}

const PRIORITY: Record<string, string> = {
  CRITICAL: '1 - Critical',
  HIGH: '2 - High',
  MEDIUM: '3 - Moderate',
  LOW: '4 - Low',
};
const STATE: Record<string, string> = {
  OPEN: '1',
  IN_PROGRESS: '2',
  PENDING: '3',
  CRITICAL: '1',
  RESOLVED: '6',
};

/** ServiceNow's `YYYY-MM-DD HH:MM:SS` (UTC), `i` five-hour steps after 2025-03-01 00:00. */
const openedAt = (i: number) =>
  new Date(Date.UTC(2025, 2, 1) + i * 5 * 3_600_000).toISOString().replace('T', ' ').slice(0, 19);

export const ticketOf = (i: number) => `INC00${20001 + i}`;

/** The Table API's `{"result":[…]}` (pretty-printed, as a saved response usually is). */
export function serviceNowJson(incidents: readonly SeedIncident[]): string {
  const result = incidents.map((s, i) => ({
    number: ticketOf(i),
    short_description: s.title,
    description: s.description,
    cmdb_ci: s.area,
    priority: PRIORITY[s.priority] ?? '3 - Moderate',
    state: STATE[s.status] ?? '1',
    opened_at: openedAt(i),
  }));
  return JSON.stringify({ result }, null, 2);
}

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** A ServiceNow list view exported as CSV, columns by label. */
export function serviceNowCsv(incidents: readonly SeedIncident[]): string {
  const header = [
    'Number',
    'Opened',
    'Short description',
    'Description',
    'Configuration item',
    'Priority',
    'State',
  ];
  const rows = incidents.map((s, i) =>
    [ticketOf(i), openedAt(i), s.title, s.description, s.area, PRIORITY[s.priority] ?? '', s.status]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...rows].join('\r\n');
}

/** A Jira REST v2 search result. */
export function jiraJson(incidents: readonly SeedIncident[]): string {
  const issues = incidents.map((s, i) => ({
    id: String(30_000 + i),
    key: `MFOPS-${i + 1}`,
    fields: {
      summary: s.title,
      description: s.description,
      components: [{ name: s.area }],
      priority: { name: s.priority.charAt(0) + s.priority.slice(1).toLowerCase() },
      status: { name: s.status === 'RESOLVED' ? 'Resolved' : 'Open' },
      created: new Date(Date.UTC(2025, 2, 1) + i * 3_600_000).toISOString(),
    },
  }));
  return JSON.stringify({ startAt: 0, maxResults: 50, total: issues.length, issues }, null, 2);
}

/** Splunk's `results?output_mode=json`. */
export function splunkJson(incidents: readonly SeedIncident[]): string {
  const results = incidents.map((s, i) => ({
    _time: new Date(Date.UTC(2025, 2, 2) + i * 60_000).toISOString(),
    host: 'SYSA',
    source: 'SYSLOG',
    component: s.area,
    severity: s.priority.toLowerCase(),
    _raw: `${s.title}: ${s.description}`,
  }));
  return JSON.stringify({ preview: false, init_offset: 0, messages: [], fields: [], results }, null, 2);
}
