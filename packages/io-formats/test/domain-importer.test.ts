import { readFileSync, writeFileSync } from 'node:fs';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import {
  createStorage,
  type DomainImporter,
  type DomainImportInput,
  definePlugin,
  type Storage,
} from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importStore, ioFormatsPlugin } from '../src/index.js';
import { type TempDir, tempDir } from './store-helpers.js';

const incidents = {
  result: [
    {
      sys_id: '9d385017c611228701d22104cc95c371',
      number: 'INC0010001',
      short_description: 'PAYROLL nightly batch abended S0C7',
      description: 'Job PAYR0001 step STEP040 abended with ABEND=S0C7.',
      cmdb_ci: 'PAYROLL',
      priority: '1',
      severity: '1',
      state: '7',
      opened_at: '2025-03-03 01:12:44',
      close_notes: 'Input file fixed',
    },
  ],
};

describe('kb import --source: importers contributed by plugins', () => {
  let dir: TempDir;
  let storage: Storage;

  beforeEach(async () => {
    dir = tempDir();
    storage = await createStorage(
      {
        database: { type: 'sqlite', path: dir.file('store.db') },
        mvp: { extensions: [{ id: 'patterns', options: { incremental: false } }] },
      },
      { plugins: [ioFormatsPlugin, patternsPlugin, rawAccessPlugin], actor: { id: 't', role: 'admin' } },
    );
  });

  afterEach(async () => {
    await storage.close();
    dir.remove();
  });

  it('routes servicenow to the patterns plugin and writes its rows in one transaction', async () => {
    const file = dir.file('incidents.json');
    writeFileSync(file, JSON.stringify(incidents));
    const dry = await importStore(storage, { input: file, source: 'servicenow', dryRun: true });
    expect(dry).toMatchObject({ layout: 'source', dryRun: true, committed: false, errors: [] });
    expect(dry.tables.incidents?.inserted).toBe(1);
    const result = await importStore(storage, { input: file, source: 'servicenow' });
    expect(result).toMatchObject({ committed: true, errors: [] });
    expect(result.tables.incidents?.inserted).toBe(1);
    const rows = await rawDb(storage).selectFrom('incidents').selectAll().execute();
    expect(rows).toHaveLength(1);
    const again = await importStore(storage, { input: file, source: 'servicenow', onConflict: 'skip' });
    expect(again.tables.incidents).toMatchObject({ inserted: 0, skipped: 1 });
  });

  it('an unknown source names the available ones', async () => {
    const file = dir.file('x.json');
    writeFileSync(file, '{}');
    await expect(importStore(storage, { input: file, source: 'remedy' })).rejects.toMatchObject({
      code: 'EXTENSION_NOT_ENABLED',
      message: expect.stringContaining('servicenow'),
    });
  });

  /** A store with io-formats and a plugin contributing `importer` as the source `custom`. */
  async function customStore(name: string, importer: DomainImporter): Promise<Storage> {
    const customTool = definePlugin({
      id: 'custom-tool',
      version: '1.0.0',
      mvp: 2,
      setup: () => ({
        contributes: {
          importers: [{ source: 'custom', description: 'a test tool', entities: ['kb'], handler: importer }],
        },
      }),
    });
    return createStorage(
      { database: { type: 'sqlite', path: dir.file(name) } },
      { plugins: [ioFormatsPlugin, customTool] },
    );
  }

  const titles = async (store: Storage) => (await store.listEntries()).entries.map((e) => e.title).sort();

  it('a DomainImporter may yield KB entries, validated with the knowledge-base rules', async () => {
    let seen: DomainImportInput | undefined;
    const custom = await customStore('custom.db', async function* (input) {
      seen = input;
      const text = new TextDecoder().decode(await input.source.read(0, input.source.size));
      let line = 0;
      for (const title of text.split('\n')) {
        line += 1;
        if (title.length === 0) continue;
        yield {
          entry: { title, problem: 'from a custom tool', solution: 'see the tool', category: 'Other' },
          location: { line },
        };
      }
    });
    try {
      const file = dir.file('titles.txt');
      writeFileSync(file, 'First title\nSecond title\n');
      const result = await importStore(custom, {
        input: file,
        source: 'custom',
        sourceOptions: { timeZone: 'UTC' },
        limits: { maxRecords: 10 },
      });
      expect(result).toMatchObject({ layout: 'source', committed: true, inserted: 2, errors: [] });
      expect(await titles(custom)).toEqual(['First title', 'Second title']);
      expect(seen?.fileName).toBe('titles.txt');
      expect(new TextDecoder().decode(seen?.head)).toBe('First title\nSecond title\n');
      expect(seen?.options).toEqual({ timeZone: 'UTC' });
      expect(seen?.limits.maxRecords).toBe(10);

      // A rejected entry is reported at the importer's location and nothing is written.
      const bad = dir.file('bad-titles.txt');
      writeFileSync(bad, `Third title\n${'x'.repeat(300)}\n`);
      const refused = await importStore(custom, { input: bad, source: 'custom' });
      expect(refused.committed).toBe(false);
      expect(refused.errors[0]).toMatchObject({ location: { line: 2 }, field: 'title' });
      expect(await titles(custom)).toEqual(['First title', 'Second title']);
    } finally {
      await custom.close();
    }
  });

  it("readRecords('csv') streams a tabular export through the pipeline's own CSV reader", async () => {
    const custom = await customStore('csv.db', async function* (input) {
      expect(input.format).toBe('csv');
      for await (const { record, location } of input.readRecords('csv')) {
        yield {
          entry: {
            id: record.Ticket ?? null,
            title: record.Summary ?? null,
            problem: record.Details ?? null,
            solution: record.Fix ?? null,
            category: 'Other',
          },
          location,
        };
      }
    });
    try {
      const file = dir.file('tickets.csv');
      writeFileSync(
        file,
        'Ticket,Summary,Details,Fix\r\n' +
          'T-1,"IEC141I 013-18, member not found",OPEN of a PDS member fails,Correct the member name in the DD\r\n' +
          'T-2,SB37 on SYSUT2,"Out of space, ""secondary"" exhausted",Add secondary space\r\n' +
          'T-3,,no title,none\r\n',
      );
      const result = await importStore(custom, { input: file, source: 'custom' });
      // The third row has no title: rejected at its CSV line, and the import writes nothing.
      expect(result).toMatchObject({ committed: false, rejected: 1 });
      expect(result.errors).toEqual([
        expect.objectContaining({ field: 'title', location: expect.objectContaining({ line: 4 }) }),
      ]);
      expect(await titles(custom)).toEqual([]);

      writeFileSync(file, readFileSync(file, 'utf8').replace('T-3,,no title,none\r\n', ''));
      const accepted = await importStore(custom, { input: file, source: 'custom' });
      expect(accepted).toMatchObject({ committed: true, inserted: 2, errors: [] });
      expect(await custom.getEntry('T-2')).toMatchObject({
        title: 'SB37 on SYSUT2',
        problem: 'Out of space, "secondary" exhausted',
      });
    } finally {
      await custom.close();
    }
  });

  it('readRecords with a format no codec reads is refused, naming the formats that are', async () => {
    const custom = await customStore('unknown.db', async function* (input) {
      for await (const { record, location } of input.readRecords('xlsx')) yield { entry: record, location };
    });
    try {
      const file = dir.file('sheet.xlsx');
      writeFileSync(file, 'PK\u0003\u0004 not really a workbook');
      const failure = importStore(custom, { input: file, source: 'custom' });
      await expect(failure).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringMatching(/'xlsx'.*csv/),
        details: expect.objectContaining({ reason: 'UNKNOWN_FORMAT', format: 'xlsx' }),
      });
      expect(await titles(custom)).toEqual([]);
    } finally {
      await custom.close();
    }
  });
});
