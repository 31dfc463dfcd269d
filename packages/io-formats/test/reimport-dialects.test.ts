import { writeFileSync } from 'node:fs';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { availableTestStores } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { exportStore, importStore, ioFormatsPlugin } from '../src/index.js';
import { seedStore, tempDir } from './store-helpers.js';
import { seedIncidents, serviceNowJson } from './support/seed-incidents.js';

// Issue 18, defect 3 on every dialect the run reaches (KB_TEST_PG_URL, KB_TEST_MYSQL_URL): a record equal to
// the stored one is `unchanged` whatever the driver hands back for it (int8 as text, booleans as 0/1, TEXT,
// varchar timestamps), so importing the same data again writes nothing.

const options = {
  plugins: [ioFormatsPlugin, patternsPlugin],
  actor: { id: 'matrix', role: 'admin' as const },
};
const config = { mvp: { extensions: [{ id: 'patterns', options: { incremental: false } }] } };
const SEED = seedIncidents();

for (const target of availableTestStores()) {
  const stores = target.stores;
  if (!stores) {
    describe(`re-imports on ${target.dialect} (${target.skipped})`, () => {
      it.skip(`runs against ${target.dialect}`, () => {});
    });
    continue;
  }

  describe(`re-imports on ${target.dialect}`, () => {
    const dir = tempDir();
    afterAll(async () => {
      await stores.cleanup();
      dir.remove();
    });

    it('the store its own export, with --on-conflict update: every record unchanged, nothing written', async () => {
      const store = await stores.open(config, options);
      await seedStore(store);
      const out = dir.file(`${target.dialect}-export.ndjson`);
      const exported = await exportStore(store, { format: 'ndjson', out });
      const before = await store.contentHash();
      const again = await importStore(store, { input: out, onConflict: 'update' });
      expect(again.errors).toEqual([]);
      expect(again.records).toMatchObject({ inserted: 0, updated: 0, unchanged: exported.records.kb });
      for (const [table, counts] of Object.entries(again.rows)) {
        expect(counts, table).toMatchObject({ inserted: 0, updated: 0 });
      }
      expect(await store.contentHash()).toEqual(before);
    });

    it('a ServiceNow export imported again: unchanged, and the same content hash', async () => {
      const store = await stores.open(config, options);
      const file = dir.file(`${target.dialect}-incidents.json`);
      writeFileSync(file, serviceNowJson(SEED));
      expect((await importStore(store, { input: file })).records.inserted).toBe(SEED.length);
      const before = await store.contentHash();
      const again = await importStore(store, { input: file });
      expect(again.records).toEqual({
        inserted: 0,
        updated: 0,
        unchanged: SEED.length,
        skipped: 0,
        rejected: 0,
      });
      expect(await store.contentHash()).toEqual(before);
    });
  });
}
