import { writeFileSync } from 'node:fs';
import { availableTestStores } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { exportStore, type FormatName, importStore, ioFormatsPlugin } from '../src/index.js';
import { DATA_TABLES, seedStore, tempDir } from './store-helpers.js';

// Export and import on every dialect the run can reach: SQLite always, PostgreSQL with KB_TEST_PG_URL (each
// store in its own schema), MySQL/MariaDB with KB_TEST_MYSQL_URL (each store in its own database).

const FORMATS: FormatName[] = ['json', 'ndjson', 'csv', 'xml'];
const options = { plugins: [ioFormatsPlugin], actor: { id: 'matrix', role: 'admin' as const } };

for (const target of availableTestStores()) {
  const stores = target.stores;
  if (!stores) {
    describe(`io-formats on ${target.dialect} (${target.skipped})`, () => {
      it.skip(`runs against ${target.dialect}`, () => {});
    });
    continue;
  }

  describe(`io-formats on ${target.dialect}`, () => {
    const dir = tempDir();
    afterAll(async () => {
      await stores.cleanup();
      dir.remove();
    });

    for (const format of FORMATS) {
      it(`${format}: import and restore reproduce the content hash; a refused import writes nothing`, async () => {
        const source = await stores.open({}, options);
        await seedStore(source);
        const out = dir.file(`${target.dialect}-${format}`);
        await exportStore(source, { format, out });

        const merged = await stores.open({}, options);
        const result = await importStore(merged, { input: out });
        expect(result.errors).toEqual([]);
        const data = { tables: DATA_TABLES };
        expect((await merged.contentHash(data)).hash).toBe((await source.contentHash(data)).hash);
        // Keys were written as given: the next entry must still get a fresh one.
        await merged.createEntry({ title: 'after import', problem: 'p', solution: 's', category: 'JCL' });

        const restored = await stores.open({}, options);
        expect((await importStore(restored, { input: out, restore: true })).committed).toBe(true);
        expect(await restored.contentHash()).toEqual(await source.contentHash());

        const before = await merged.contentHash();
        const bad = dir.file(`${target.dialect}-${format}-bad.ndjson`);
        writeFileSync(
          bad,
          '{"title":"ok","problem":"p","solution":"s","category":"JCL"}\n{"title":"","problem":"p","solution":"s","category":"JCL"}\n',
        );
        expect((await importStore(merged, { input: bad })).committed).toBe(false);
        expect(await merged.contentHash()).toEqual(before);
      });
    }

    it('a checkpointed batch import keeps its checkpoint in the store and resumes from it', async () => {
      const source = await stores.open({}, options);
      await seedStore(source);
      const out = dir.file(`${target.dialect}-checkpointed`);
      await exportStore(source, { format: 'ndjson', out });
      const store = await stores.open({}, options);
      const first = await importStore(store, { input: out, batchSize: 2, checkpoint: true });
      expect(first).toMatchObject({ committed: true, rejected: 0, resumedAfter: 0 });
      const data = { tables: DATA_TABLES };
      expect((await store.contentHash(data)).hash).toBe((await source.contentHash(data)).hash);
      const again = await importStore(store, { input: out, batchSize: 3, checkpoint: true });
      expect(again).toMatchObject({ inserted: 0, rejected: 0 });
      expect(again.resumedAfter).toBeGreaterThan(0);
    });
  });
}
