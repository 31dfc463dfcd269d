import { writeFileSync } from 'node:fs';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainImporter } from '../src/index.js';
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

describe('kb import --source: importers contributed by extensions', () => {
  let dir: TempDir;
  let storage: Storage;

  beforeEach(async () => {
    dir = tempDir();
    storage = await createStorage(
      {
        database: { type: 'sqlite', path: dir.file('store.db') },
        mvp: { extensions: [{ id: 'patterns', options: { incremental: false } }] },
      },
      { plugins: [ioFormatsPlugin(), patternsPlugin], actor: { id: 't', role: 'admin' } },
    );
  });

  afterEach(async () => {
    await storage.close();
    dir.remove();
  });

  it('routes servicenow to the patterns extension and writes its rows in one transaction', async () => {
    const file = dir.file('incidents.json');
    writeFileSync(file, JSON.stringify(incidents));
    const dry = await importStore(storage, { input: file, source: 'servicenow', dryRun: true });
    expect(dry).toMatchObject({ layout: 'source', dryRun: true, committed: false, errors: [] });
    expect(dry.tables.incidents?.inserted).toBe(1);
    const result = await importStore(storage, { input: file, source: 'servicenow' });
    expect(result).toMatchObject({ committed: true, errors: [] });
    expect(result.tables.incidents?.inserted).toBe(1);
    const rows = await storage.dialect.db.selectFrom('incidents').selectAll().execute();
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

  it('a DomainImporter may yield KB entries, validated with the knowledge-base rules', async () => {
    const importer: DomainImporter = async function* (input) {
      const text = new TextDecoder().decode(await input.source.read(0, input.source.size));
      let line = 0;
      for (const title of text.split('\n').filter((t) => t.length > 0)) {
        line += 1;
        yield {
          entry: { title, problem: 'from a custom tool', solution: 'see the tool', category: 'Other' },
          location: { line },
        };
      }
    };
    const custom = await createStorage(
      { database: { type: 'sqlite', path: dir.file('custom.db') } },
      {
        plugins: [
          ioFormatsPlugin(),
          {
            id: 'custom-tool',
            version: '1.0.0',
            mvp: 2,
            setup: () => ({
              contributes: {
                importers: [{ source: 'custom', description: 'lines', entities: ['kb'], handler: importer }],
              },
            }),
          },
        ],
      },
    );
    try {
      const file = dir.file('titles.txt');
      writeFileSync(file, 'First title\nSecond title\n');
      const result = await importStore(custom, { input: file, source: 'custom' });
      expect(result).toMatchObject({ committed: true, inserted: 2 });
      expect((await custom.listEntries()).entries.map((e) => e.title).sort()).toEqual([
        'First title',
        'Second title',
      ]);
    } finally {
      await custom.close();
    }
  });
});
