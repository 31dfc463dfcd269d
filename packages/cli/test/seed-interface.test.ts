import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backupPlugin } from '@mainframe-kb/backup';
import { ioFormatsPlugin } from '@mainframe-kb/io-formats';
import { analyticsPlugin } from '@mainframe-kb/plugin-analytics';
import { codePlugin } from '@mainframe-kb/plugin-code';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { templatesPlugin } from '@mainframe-kb/plugin-templates';
import { createStorage, type IStorageService, type Storage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';

/**
 * The requirements' IStorageService (§2.1) with every extension installed, as an application that imports
 * them sees it: the store is assignable to it (checked by the test typecheck), and each cross-MVP method
 * takes the seed's arguments.
 */

const PLUGINS = [ioFormatsPlugin, patternsPlugin, codePlugin, templatesPlugin, analyticsPlugin, backupPlugin];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-seed-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('IStorageService', () => {
  it('is a type the store satisfies', () => {
    expectTypeOf<Storage>().toExtend<IStorageService>();
    const asService = (s: Storage): IStorageService => s;
    expect(typeof asService).toBe('function');
  });

  it('runs the seed lifecycle: initialize, the MVP1 methods, migrate by MVP, restore from a backup path', async () => {
    const config = {
      database: { path: join(dir, 'kb.db') },
      backup: { encryption: { enabled: false } },
    };
    const storage: IStorageService = await createStorage(config, { plugins: PLUGINS, migrate: 'none' });
    try {
      // Nothing migrated yet: MVP2 brings core and patterns, not the later extensions.
      const mvp2 = await storage.migrate('MVP2');
      expect(new Set(mvp2.map((r) => r.namespace))).toEqual(new Set(['core', 'io-formats', 'patterns']));
      await storage.initialize(config);
      expect(await storage.migrate('MVP5')).toEqual([]);

      const id = await storage.createEntry({
        title: 'S0C7 in PAYROLL',
        problem: 'Data exception on a packed field',
        solution: 'Initialise WS-AMOUNT',
        category: 'COBOL',
      });
      expect((await storage.readEntry(id))?.title).toBe('S0C7 in PAYROLL');
      expect(await storage.updateEntry(id, { solution: 'Initialise WS-AMOUNT before the ADD' })).toBe(true);
      expect((await storage.searchEntries('S0C7')).map((r) => r.entry.id)).toEqual([id]);

      // export(format, options) returns what it says: the export itself as text, or the path it wrote.
      const text = await storage.export('json');
      expect(typeof text).toBe('string');
      expect(text).toContain('S0C7 in PAYROLL');
      const file = join(dir, 'kb.json');
      expect(await storage.export('json', { out: file })).toBe(file);
      expect(readFileSync(file, 'utf8')).toContain('S0C7 in PAYROLL');
      await expect(storage.export('csv')).rejects.toMatchObject({ code: 'VALIDATION' });

      // import(data, format, options): the text itself, into another store.
      const other = await createStorage({ database: { path: join(dir, 'other.db') } }, { plugins: PLUGINS });
      try {
        const imported = await other.import(text, 'json');
        expect(imported.committed).toBe(true);
        expect((await other.readEntry(id))?.title).toBe('S0C7 in PAYROLL');
        await expect(other.import('{}', 'parquet')).rejects.toMatchObject({ code: 'VALIDATION' });
      } finally {
        await other.close();
      }

      const repository = join(dir, 'repo');
      const backup = await storage.backup({ destination: repository, type: 'full' });
      const backupId = backup.destinations[0]?.metadata?.id as string;
      expect(await storage.deleteEntry(id)).toBe(true);

      // restore(backupPath): the repository folder and the id in one path, restored beside the store.
      const target = join(dir, 'restored.db');
      const restored = await storage.restore(join(repository, backupId), { to: target });
      expect(restored).toMatchObject({ restored: true, entryCount: 1 });
      const back = await createStorage({ database: { path: target } }, { plugins: PLUGINS });
      try {
        expect((await back.readEntry(id))?.title).toBe('S0C7 in PAYROLL');
      } finally {
        await back.close();
      }
      expect((await storage.healthCheck()).status).toBeDefined();
      expect((await storage.getMetrics()).database.entries).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
