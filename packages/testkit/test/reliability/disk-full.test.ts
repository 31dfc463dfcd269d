import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type KBEntry, type Storage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectStorageError } from '../../src/conformance/conformance-helpers.js';
import { generateCorpusArray } from '../../src/corpus/corpus-generator.js';
import { rawAccessPlugin, rawDb, rawDialect } from '../../src/index.js';

/**
 * Reliability 4: a full disk is an error, not a corruption. `PRAGMA max_page_count` (through the config's
 * `database.pragmas`) caps the file a few pages above its current size; writes then run until SQLite
 * refuses one. The refusal must be DISK_FULL, the refused write absent, everything before it readable,
 * and the file must pass integrity_check, both on the full store and after reopening without the cap.
 */
describe('reliability 4: disk full is a typed error that leaves the store intact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-rel4-'));
  const path = join(dir, 'kb.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function pageCount(storage: Storage): Promise<number> {
    // The pragma as an eponymous table, so the query goes through kysely without raw SQL.
    const row = await rawDb(storage)
      .selectFrom('pragma_page_count')
      .select('page_count')
      .executeTakeFirstOrThrow();
    return Number(row.page_count);
  }

  it('refuses the write that does not fit with DISK_FULL and keeps every earlier row', {
    timeout: 120_000,
  }, async () => {
    const seed = await createStorage({ database: { type: 'sqlite', path } }, { plugins: [rawAccessPlugin] });
    await seed.createEntries(generateCorpusArray({ count: 100, seed: 'rel4-base' }));
    // Checkpoint so the pages live in the main file, which is what max_page_count limits.
    await seed.optimize();
    const pages = await pageCount(seed);
    await seed.close();

    const storage = await createStorage(
      { database: { type: 'sqlite', path, pragmas: { max_page_count: pages + 40 } } },
      { plugins: [rawAccessPlugin] },
    );
    let written = 0;
    try {
      const stored: KBEntry[] = [];
      const entries = generateCorpusArray({ count: 5_000, seed: 'rel4-fill', idPrefix: 'fill-' });
      let refused: string | undefined;
      for (const entry of entries) {
        try {
          const id = await storage.createEntry(entry);
          stored.push(await storage.getEntry(id));
        } catch (error) {
          expect((error as { code?: unknown }).code, String(error)).toBe('DISK_FULL');
          refused = entry.id;
          break;
        }
      }
      expect(refused, 'the page cap was never reached').toBeDefined();
      expect(stored.length).toBeGreaterThan(0);
      written = stored.length;

      // The refused entry is absent from the table, the index, the events and the audit trail.
      expect(await storage.readEntry(refused!)).toBeNull();
      expect(await storage.countEntries()).toBe(100 + stored.length);
      for (const entry of stored) expect(await storage.getEntry(entry.id)).toEqual(entry);
      for await (const event of storage.replayEvents({ types: ['entry:created'] })) {
        expect((event.payload as { entry: KBEntry }).entry.id).not.toBe(refused);
      }
      expect((await storage.verifyAuditChain()).ok).toBe(true);
      expect(await rawDialect(storage).integrityCheck('full')).toEqual({ ok: true, problems: [] });

      // A bulk import that cannot fit is refused whole.
      const count = await storage.countEntries();
      await expectStorageError(
        storage.createEntries(generateCorpusArray({ count: 500, seed: 'rel4-bulk' })),
        'DISK_FULL',
      );
      expect(await storage.countEntries()).toBe(count);

      // Reads still work on the full store.
      expect((await storage.listEntries({ limit: 5 })).entries).toHaveLength(5);
      expect((await storage.search('abend')).total).toBeGreaterThan(0);
      expect(await rawDialect(storage).integrityCheck('full')).toEqual({ ok: true, problems: [] });
    } finally {
      await storage.close();
    }

    const reopened = await createStorage(
      { database: { type: 'sqlite', path } },
      { plugins: [rawAccessPlugin] },
    );
    try {
      expect(await rawDialect(reopened).integrityCheck('full')).toEqual({ ok: true, problems: [] });
      await reopened.createEntry({
        title: 'after the disk was freed',
        problem: 'p',
        solution: 's',
        category: 'Batch',
      });
      expect(await reopened.countEntries()).toBe(100 + written + 1);
    } finally {
      await reopened.close();
    }
  });
});
