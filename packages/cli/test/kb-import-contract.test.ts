import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage } from '@mainframe-kb/storage-core';
import { defaultSeedAnchorDir } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunResult, Workspace } from './cli-harness.js';

// Issue 18, the `kb import` / `kb export` contract of CLI.md as an operator meets it, on the seed-anchor data
// (KB entries, and the seed incidents exported as ServiceNow, Jira and Splunk would):
// 1. counts are records of what the user imported or exported, per entity, table rows only as detail;
// 2. kb import recognises what it is given (kb add --file's shapes, a source system's export) or says what
//    it expected;
// 3. a source system's export imported again is unchanged, not a conflict;
// 4. progress on a terminal, on stderr, for envelopes and source imports too;
// 5. bad input leaves the store exactly as it was, with CLI.md's exit codes.

const SEED = defaultSeedAnchorDir();
const FIXTURES = fileURLToPath(new URL('../../plugin-patterns/test/fixtures/', import.meta.url));
const ENTRY_FILES = ['cobol-abends.json', 'db2-sqlcodes.json', 'jcl-errors.json', 'vsam-errors.json'];

interface SeedIncident {
  title: string;
  description: string;
  area: string;
  priority: string;
}

/** The `incidents_enhanced` rows of seed-data.sql. */
function seedIncidents(): SeedIncident[] {
  const sql = readFileSync(join(SEED, 'seed-data.sql'), 'utf8');
  const out: SeedIncident[] = [];
  for (const block of sql.split('INSERT INTO ').filter((b) => b.startsWith('incidents_enhanced '))) {
    const columns = (/\(([^)]*)\)/.exec(block)?.[1] ?? '').split(',').map((c) => c.trim());
    for (const line of block.split('\n').filter((l) => l.startsWith('('))) {
      const literals = [...line.matchAll(/'((?:[^']|'')*)'/g)].map((m) =>
        (m[1] as string).replaceAll("''", "'"),
      );
      const value = (c: string) => literals[columns.indexOf(c)] as string;
      out.push({
        title: value('title'),
        description: value('description'),
        area: value('technical_area'),
        priority: value('priority'),
      });
    }
  }
  return out;
}

const INCIDENTS = seedIncidents();
const PRIORITY: Record<string, string> = { CRITICAL: '1', HIGH: '2', MEDIUM: '3', LOW: '4' };
const ticket = (i: number) => `INC00${20001 + i}`;

/** The seed incidents as ServiceNow's Table API gives them (`{"result":[…]}`, pretty-printed). */
function serviceNowExport(incidents: readonly SeedIncident[]): string {
  const result = incidents.map((s, i) => ({
    number: ticket(i),
    short_description: s.title,
    description: s.description,
    cmdb_ci: s.area,
    priority: PRIORITY[s.priority] ?? '3',
    state: '1',
    opened_at: new Date(Date.UTC(2025, 2, 1) + i * 3_600_000).toISOString().replace('T', ' ').slice(0, 19),
  }));
  return JSON.stringify({ result }, null, 2);
}

describe('kb import / kb export: the contract of CLI.md', () => {
  let ws: Workspace;

  beforeEach(async () => {
    // Only kb init creates a store.
    ws = await new Workspace().init();
  });

  afterEach(() => ws.remove());

  const write = (name: string, text: string) => {
    writeFileSync(ws.path(name), text);
    return ws.path(name);
  };
  /** The store's content hash, incidents included (what a refused import must leave as it was). */
  const contentHash = async (file = 'kb.db') => {
    const storage = await createStorage(
      { database: { type: 'sqlite', path: ws.path(file) }, mvp: { extensions: [{ id: 'patterns' }] } },
      { plugins: [patternsPlugin] },
    );
    try {
      return (await storage.contentHash()).hash;
    } finally {
      await storage.close();
    }
  };
  const expectExit = (result: RunResult, code: number) => {
    if (result.code !== code) throw new Error(`exited ${result.code}, expected ${code}: ${result.stderr}`);
  };

  describe('1. counts are records, per entity, with table rows as detail', () => {
    it('3 ServiceNow tickets are 3 inserted incidents, their 4 error codes only rows', async () => {
      const json = await ws.ok([
        'import',
        join(FIXTURES, 'servicenow-incidents.json'),
        '--source',
        'servicenow',
      ]);
      expect(json).toMatchObject({ inserted: 3, updated: 0, unchanged: 0, skipped: 0, errors: [] });
      expect(json.entities).toEqual({
        incidents: { inserted: 3, updated: 0, unchanged: 0, skipped: 0, rejected: 0 },
      });
      expect(json.rows.incidents.inserted).toBe(3);
      expect(json.rows.incident_error_codes.inserted).toBe(4);

      const other = await new Workspace().init();
      try {
        const text = await other.run(['import', join(FIXTURES, 'servicenow-incidents.json')]);
        expectExit(text, 0);
        expect(text.stdout).toContain('incidents: inserted 3, updated 0, unchanged 0, skipped 0');
        expect(text.stdout).toContain('rows: incidents 3 inserted; incident_error_codes 4 inserted');
        expect(text.stdout).not.toMatch(/inserted 7/);
      } finally {
        other.remove();
      }
    });

    it('exporting the seed entries reports entries per entity, not rows of every table', async () => {
      let entries = 0;
      for (const file of ENTRY_FILES) {
        const imported = await ws.ok(['import', join(SEED, file)]);
        entries += imported.inserted;
        expect(imported.entities.kb.inserted).toBe(imported.inserted);
      }
      const essential = await ws.ok(['import', join(SEED, 'essential-kb.json')]);
      entries += essential.inserted;
      expect(entries).toBe(40);
      const listed = await ws.ok(['list', '--limit', '100']);
      expect(listed.total).toBe(entries);

      const exported = await ws.ok(['export', '--format', 'json', '--out', 'all.json']);
      expect(exported).toEqual({ file: ws.path('all.json'), format: 'json', records: expect.any(Object) });
      expect(exported.records.kb).toBe(entries);
      const csv = await ws.ok(['export', '--format', 'csv', '--out', 'all-csv', '--entities', 'kb']);
      expect(csv.records).toEqual({ kb: entries });
      const text = await ws.run(['export', '--format', 'ndjson', '--out', 'all-ndjson', '--entities', 'kb']);
      expectExit(text, 0);
      expect(text.stdout).toMatch(
        new RegExp(`^Exported kb ${entries} to .*all-ndjson \\(ndjson, \\d+ bytes; \\d+ rows in 6 tables\\)`),
      );

      // The envelope into another store: the same entries, counted as entries.
      await ws.init(['--db', 'copy.db']);
      const back = await ws.ok(['--db', 'copy.db', 'import', 'all.json']);
      expect(back).toMatchObject({ inserted: entries, rejected: 0, errors: [] });
      expect(back.entities).toEqual({
        kb: { inserted: entries, updated: 0, unchanged: 0, skipped: 0, rejected: 0 },
      });
      expect(back.rows.kb_tags.inserted).toBeGreaterThan(entries);
    });
  });

  describe('2. kb import recognises what it is given', () => {
    it('takes the files kb add --file takes, tags as arrays, with the same result', async () => {
      const one = write(
        'one.json',
        JSON.stringify(
          {
            title: 'IEF212I DD missing',
            problem: 'p',
            solution: 's',
            category: 'JCL',
            tags: ['ief212i', 'dd'],
          },
          null,
          2,
        ),
      );
      await ws.init(['--db', 'added.db']);
      for (const file of [join(SEED, 'cobol-abends.json'), one]) {
        const imported = await ws.run(['--json', 'import', file]);
        expectExit(imported, 0);
        expect(imported.stderr).not.toMatch(/nested values/);
        await ws.ok(['--db', 'added.db', 'add', '--file', file]);
      }
      const entries = async (db: string) =>
        ((await ws.ok(['--db', db, 'list', '--limit', '100'])).entries as { title: string; tags: string[] }[])
          .map((e) => ({ title: e.title, tags: [...e.tags].sort() }))
          .sort((a, b) => a.title.localeCompare(b.title));
      const imported = await entries('kb.db');
      expect(imported).toHaveLength(6);
      expect(imported).toEqual(await entries('added.db'));
      expect(imported.find((e) => e.title === 'IEF212I DD missing')?.tags).toEqual(['dd', 'ief212i']);
    });

    it('a ServiceNow file without --source is imported as ServiceNow, not read as NDJSON', async () => {
      const file = write('incidents.json', serviceNowExport(INCIDENTS));
      const result = await ws.run(['--json', 'import', file]);
      expectExit(result, 0);
      expect(result.stderr).not.toMatch(/ndjson/i);
      expect(result.json()).toMatchObject({ source: 'servicenow', inserted: INCIDENTS.length, errors: [] });
      const jira = await ws.ok(['import', join(FIXTURES, 'jira-search-v3.json')]);
      expect(jira).toMatchObject({ source: 'jira', inserted: 1 });
      const splunk = await ws.ok(['import', join(FIXTURES, 'splunk-results.csv')]);
      expect(splunk).toMatchObject({ source: 'splunk', inserted: 2 });
    });

    it('anything else: exit 3, the recognised forms listed, nothing written', async () => {
      const before = await contentHash();
      const file = write('orders.json', JSON.stringify({ orders: [{ id: 1, total: 3 }] }, null, 2));
      const text = await ws.run(['import', file]);
      expectExit(text, 3);
      expect(text.stderr).toContain('cannot tell what orders.json holds');
      for (const form of [
        'export',
        'kb add --file',
        'NDJSON',
        'CSV',
        'ServiceNow',
        'Jira',
        'Splunk',
        '--source',
      ])
        expect(text.stderr).toContain(form);
      const json = await ws.run(['--json', 'import', file]);
      expectExit(json, 3);
      expect(json.stdout).toBe('');
      expect(json.errorJson().error.code).toBe('VALIDATION');
      expect(await contentHash()).toBe(before);
    });
  });

  describe('3. a source system export imported again', () => {
    it('is unchanged record by record: exit 0, nothing written, no audit row', async () => {
      const file = write('incidents.json', serviceNowExport(INCIDENTS));
      await ws.ok(['import', file]);
      const before = await contentHash();
      const audit = (await ws.ok(['audit', 'show'])).rows.length;
      const again = await ws.ok(['import', file]);
      expect(again).toMatchObject({
        inserted: 0,
        updated: 0,
        unchanged: INCIDENTS.length,
        skipped: 0,
        errors: [],
      });
      expect(await contentHash()).toBe(before);
      expect((await ws.ok(['audit', 'show'])).rows.length).toBe(audit);
      const named = await ws.ok(['import', file, '--source', 'servicenow']);
      expect(named.unchanged).toBe(INCIDENTS.length);

      const changed = INCIDENTS.map((s, i) =>
        i === 2 ? { ...s, description: `${s.description} Recurred.` } : s,
      );
      const next = await ws.ok(['import', write('next.json', serviceNowExport(changed))]);
      expect(next).toMatchObject({ inserted: 0, updated: 1, unchanged: INCIDENTS.length - 1 });
    });

    it('--on-conflict fail refuses with a summary (counts and the first keys), not a line per row', async () => {
      const file = write('incidents.json', serviceNowExport(INCIDENTS));
      await ws.ok(['import', file]);
      const before = await contentHash();
      const text = await ws.run(['import', file, '--on-conflict', 'fail']);
      expectExit(text, 3);
      expect(text.stdout).toContain(`${INCIDENTS.length} records are stored already (conflict policy: fail)`);
      expect(text.stdout).toContain(`${ticket(0)}, ${ticket(1)}, ${ticket(2)}`);
      expect(text.stdout).toContain('--on-conflict update');
      expect(text.stdout.trim().split('\n').length).toBeLessThan(8);
      const json = await ws.run(['--json', 'import', file, '--on-conflict', 'fail']);
      expectExit(json, 3);
      const body = json.json();
      expect(body.rejected).toBe(INCIDENTS.length);
      // One error per ticket, not one per row (a ticket and its error codes).
      expect(body.errors).toHaveLength(INCIDENTS.length);
      expect(body.errors[0]).toMatchObject({ record: 1, reason: 'conflict', key: ticket(0) });
      expect(await contentHash()).toBe(before);
      const skipped = await ws.ok(['import', file, '--on-conflict', 'skip']);
      expect(skipped).toMatchObject({ skipped: INCIDENTS.length, inserted: 0, updated: 0, unchanged: 0 });
    });
  });

  describe('4. progress on a terminal, on stderr', () => {
    const hasBar = (text: string) => text.includes('\r') && /\[[#-]+\]\s+\d+%/.test(text);

    it('an export envelope, a --source import and an export show a bar; --json, --quiet and pipes none', async () => {
      await ws.ok(['import', join(SEED, 'essential-kb.json')]);
      const exported = await ws.run(['export', '--format', 'json', '--out', 'all.json'], { isTTY: true });
      expectExit(exported, 0);
      expect(hasBar(exported.stderr)).toBe(true);
      expect(exported.stderr).toContain('Exporting rows');
      expect(exported.stdout).not.toContain('\r');

      await ws.init(['--db', 'copy.db']);
      const envelope = await ws.run(['--db', 'copy.db', 'import', 'all.json'], { isTTY: true });
      expectExit(envelope, 0);
      expect(hasBar(envelope.stderr)).toBe(true);
      expect(envelope.stderr).toContain('Importing (bytes read)');
      expect(envelope.stderr).toContain('100%');
      expect(envelope.stdout).not.toContain('\r');

      const file = write('incidents.json', serviceNowExport(INCIDENTS));
      const source = await ws.run(['import', file, '--source', 'servicenow'], { isTTY: true });
      expectExit(source, 0);
      expect(source.stderr).toContain('\r');
      expect(source.stderr).toContain(`Importing records ${INCIDENTS.length}`);

      for (const quiet of [['--json'], ['--quiet']]) {
        const run = await ws.run([...quiet, 'import', file], { isTTY: true });
        expectExit(run, 0);
        expect(run.stderr).not.toContain('\r');
        expect(run.stdout).not.toContain('\r');
      }
      const piped = await ws.run(['import', file]);
      expect(piped.stderr).not.toContain('\r');
    });
  });

  describe('5. bad input leaves the store as it was', () => {
    it('a missing input file exits 4 naming it', async () => {
      const result = await ws.run(['--json', 'import', 'no-such-export.json']);
      expectExit(result, 4);
      expect(result.errorJson().error).toMatchObject({ code: 'NOT_FOUND' });
      expect(result.errorJson().error.message).toContain('no-such-export.json');
    });

    it('rejected records exit 3, each named, and nothing is written (entries and incidents)', async () => {
      await ws.ok(['import', join(SEED, 'cobol-abends.json')]);
      const before = await contentHash();
      const entries = write(
        'entries.json',
        JSON.stringify([
          { title: 'fine', problem: 'p', solution: 's', category: 'JCL' },
          { title: '', problem: 'p', solution: 's', category: 'JCL' },
          { title: 'no category', problem: 'p', solution: 's' },
        ]),
      );
      const result = await ws.run(['--json', 'import', entries]);
      expectExit(result, 3);
      const body = result.json();
      expect(body).toMatchObject({ committed: false, rejected: 2 });
      expect(body.errors.map((e: { record: number; field: string }) => [e.record, e.field])).toEqual([
        [2, 'title'],
        [3, 'category'],
      ]);
      expect(await contentHash()).toBe(before);

      const incidents = JSON.parse(serviceNowExport(INCIDENTS.slice(0, 3))) as {
        result: Record<string, string>[];
      };
      (incidents.result[1] as Record<string, string>).opened_at = 'yesterday';
      const bad = await ws.run(['--json', 'import', write('bad.json', JSON.stringify(incidents))]);
      expectExit(bad, 3);
      expect(bad.json().errors).toEqual([
        expect.objectContaining({ record: 2, field: 'opened_at', location: { pointer: '/result/1' } }),
      ]);
      const text = await ws.run(['import', ws.path('bad.json')]);
      expectExit(text, 3);
      expect(text.stdout).toMatch(/record 2 \(pointer \/result\/1\) opened_at: 'yesterday' is not a date/);
      expect(await contentHash()).toBe(before);
    });
  });
});
