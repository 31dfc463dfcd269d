import { readFileSync } from 'node:fs';
import type { Storage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportStore, type FormatName, importStore } from '../src/index.js';
import { DATA_TABLES, openStore, seedStore, type TempDir, tableRows, tempDir } from './store-helpers.js';

const FORMATS: FormatName[] = ['json', 'ndjson', 'csv', 'xml'];

describe('whole-store round trip', () => {
  let dir: TempDir;
  let source: Storage;

  beforeEach(async () => {
    dir = tempDir();
    source = await openStore(dir.file('source.db'));
    await seedStore(source);
    await source.search('S0C7');
  });

  afterEach(async () => {
    await source.close();
    dir.remove();
  });

  it('pages of one and two rows (keyset paging, composite keys) give the same export, entries in seq order', async () => {
    await source.createEntries(
      Array.from({ length: 5 }, (_, i) => ({
        title: `Paging entry ${i}`,
        problem: 'p',
        solution: 's',
        category: 'JCL',
        tags: ['b', 'a', `t${i}`],
      })),
    );
    const whole = await exportStore(source, { format: 'ndjson', out: dir.file('whole') });
    for (const pageSize of [1, 2]) {
      const out = dir.file(`paged-${pageSize}`);
      const paged = await exportStore(source, { format: 'ndjson', out, pageSize });
      expect(paged.tables).toEqual(whole.tables);
      for (const table of ['kb_entries', 'kb_tags']) {
        expect(readFileSync(`${out}/${table}.ndjson`, 'utf8'), table).toBe(
          readFileSync(`${dir.file('whole')}/${table}.ndjson`, 'utf8'),
        );
      }
      // kb_entries in creation (seq) order — the order an import appends them back in — not by id.
      const seqs = readFileSync(`${out}/kb_entries.ndjson`, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.length).toBe(8);
      const target = await openStore(dir.file(`paged-target-${pageSize}.db`));
      try {
        expect((await importStore(target, { input: out })).committed).toBe(true);
        const hashed = { tables: DATA_TABLES };
        expect((await target.contentHash(hashed)).hash).toBe((await source.contentHash(hashed)).hash);
      } finally {
        await target.close();
      }
    }
  });

  for (const format of FORMATS) {
    it(`${format}: export then import into an empty store reproduces every data table`, async () => {
      const out = dir.file(`export-${format}`);
      const exported = await exportStore(source, { format, out });
      expect(exported.records.kb).toBeGreaterThan(0);
      const target = await openStore(dir.file(`target-${format}.db`));
      try {
        const result = await importStore(target, { input: out });
        expect(result.errors).toEqual([]);
        expect(result.committed).toBe(true);
        expect([...result.ignored].sort()).toEqual(['audit', 'events', 'schema']);
        for (const table of DATA_TABLES) {
          expect(await tableRows(target, table), table).toEqual(await tableRows(source, table));
        }
        // The same content by core's logical hash. The store's own logs (events, audit) are not imported:
        // the import writes its own audit row, so the data tables are what must hash the same.
        const hashed = { tables: DATA_TABLES };
        expect((await target.contentHash(hashed)).hash).toBe((await source.contentHash(hashed)).hash);
        // The search index follows the imported rows.
        const found = await target.search('S0C7');
        expect(found.results.map((r) => r.entry.title)).toContain('S0C7 data exception in payroll batch');
        // A second import of the same export conflicts on every row; with skip it changes nothing.
        const again = await importStore(target, { input: out, onConflict: 'skip' });
        expect(again.inserted).toBe(0);
        expect(again.skipped).toBe(result.inserted);
      } finally {
        await target.close();
      }
    });
  }

  for (const format of FORMATS) {
    it(`${format}: a restore into an empty store gives the identical whole-store content hash`, async () => {
      const out = dir.file(`restore-${format}`);
      await exportStore(source, { format, out });
      const target = await openStore(dir.file(`restored-${format}.db`));
      try {
        const result = await importStore(target, { input: out, restore: true });
        expect(result.errors).toEqual([]);
        expect(result.committed).toBe(true);
        const [restored, original] = [await target.contentHash(), await source.contentHash()];
        expect(Object.keys(restored.tables)).toContain('kb_audit');
        expect(restored).toEqual(original);
        expect((await target.verifyAuditChain()).ok).toBe(true);
      } finally {
        await target.close();
      }
    });
  }
});
