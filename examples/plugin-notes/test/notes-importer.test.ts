import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importStore, ioFormatsPlugin } from '@mainframe-kb/io-formats';
import type { Storage } from '@mainframe-kb/storage-core';
import { availableTestStores, type TestStores } from '@mainframe-kb/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import notesPlugin from '../src/index.js';

// The `notes-csv` importer, driven by the io-formats import pipeline exactly as `kb import <file> --source notes-csv`
// drives it: the importer yields rows, the pipeline validates, writes (all or nothing) and reports. On every
// dialect available.

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

for (const target of availableTestStores()) {
  const name = `the notes-csv importer on ${target.dialect}`;
  const stores = target.stores;
  if (!stores) {
    describe(`${name} (${target.skipped})`, () => {
      it.skip('runs on this dialect', () => {});
    });
    continue;
  }
  describe(name, () => {
    afterAll(() => stores.cleanup());
    defineImporterTests(stores);
  });
}

function defineImporterTests(stores: TestStores): void {
  let storage: Storage;
  beforeEach(async () => {
    storage = await stores.open(
      { mvp: { extensions: [{ id: 'notes', options: { maxLength: 60 } }] } },
      { plugins: [notesPlugin, ioFormatsPlugin] },
    );
    const entry = { problem: 'p', solution: 's', category: 'Other' };
    await storage.createEntries([
      { ...entry, id: 'PAYR010-S0C7', title: 'S0C7 in PAYR010' },
      { ...entry, id: 'VSAM-35-CUST', title: 'VSAM status 35 opening PROD.CUST.KSDS' },
    ]);
  });
  afterEach(() => storage.close());

  it('is listed among the store’s importers', () => {
    expect(storage.importers().map((i) => i.source)).toContain('notes-csv');
  });

  // Into an empty table on every dialect: io-formats once bound NULL to kb_notes.seq there, which PostgreSQL
  // refused (a sequence column outside the key).
  it('imports every line as a note; a second import of the file adds nothing', async () => {
    // #region import
    const result = await importStore(storage, { input: fixture('notes.csv'), source: 'notes-csv' });
    // #endregion
    expect(result).toMatchObject({ committed: true, inserted: 3, rejected: 0, errors: [] });
    const notes = storage.plugin(notesPlugin);
    expect((await notes.list('PAYR010-S0C7')).map((n) => [n.author, n.text])).toEqual([
      ['maria', 'Seen again on LPAR2 after IPL.'],
      ['joao', 'EXTR020 rerun with the old copybook, fixed by the rerun.'],
    ]);
    const again = await importStore(storage, {
      input: fixture('notes.csv'),
      source: 'notes-csv',
      onConflict: 'skip',
    });
    expect(again).toMatchObject({ inserted: 0, skipped: 3 });
    // Notes added afterwards get their place after the imported ones.
    await storage.addNote('PAYR010-S0C7', 'Seen a third time.');
    expect((await notes.list('PAYR010-S0C7')).map((n) => n.text).at(-1)).toBe('Seen a third time.');
    expect(await storage.rowCounts(['kb_notes'])).toEqual({ kb_notes: 4 });
  });

  it('reports a bad record with its line and writes nothing', async () => {
    const result = await importStore(storage, {
      input: fixture('notes-bad-record.csv'),
      source: 'notes-csv',
    });
    expect(result).toMatchObject({ committed: false, rejected: 1 });
    expect(result.errors).toEqual([
      expect.objectContaining({
        table: 'kb_notes',
        field: 'text',
        message: 'is required',
        location: expect.objectContaining({ line: 3 }),
      }),
    ]);
    expect(await storage.rowCounts(['kb_notes'])).toEqual({ kb_notes: 0 });
  });

  it('refuses a file that is not a notes CSV, or holds a note over maxLength, naming why', async () => {
    await expect(
      importStore(storage, { input: fixture('not-notes.csv'), source: 'notes-csv' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('no entry_id, author, text'),
    });
    const long = join(tmpdir(), `kb-notes-long-${process.pid}-${Date.now()}.csv`);
    writeFileSync(
      long,
      `entry_id,author,text\nPAYR010-S0C7,maria,ok\nPAYR010-S0C7,maria,${'x'.repeat(61)}\n`,
    );
    try {
      await expect(importStore(storage, { input: long, source: 'notes-csv' })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('line 3'),
      });
    } finally {
      rmSync(long, { force: true });
    }
    expect(await storage.rowCounts(['kb_notes'])).toEqual({ kb_notes: 0 });
  });
}
