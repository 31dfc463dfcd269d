import { readFileSync, writeFileSync } from 'node:fs';
import type { Storage } from '@mainframe-kb/storage-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preparingThreadSettings } from '../src/import/prepared-stream.js';
import { exportStore, type FormatName, type ImportOptions, importStore } from '../src/index.js';
import { DATA_TABLES, openStore, seedStore, type TempDir, tableRows, tempDir } from './store-helpers.js';

/**
 * Large inputs are read, parsed and validated on a second thread (prepared-stream.ts). These tests run it on
 * small inputs, every record through it, and compare each import with the same import on one thread: the
 * same result (counts, rejected records and their locations, errors) and the same rows.
 */
// Each threaded import starts a worker that loads the package from source through tsx: seconds each on a
// loaded 2-core machine (CI runs every package's suite at once), so these tests get minutes, not 30 s.
describe('imports prepared on a second thread', { timeout: 240_000 }, () => {
  let dir: TempDir;
  let source: Storage;
  const saved = { ...preparingThreadSettings };

  beforeAll(async () => {
    dir = tempDir();
    source = await openStore(dir.file('source.db'));
    await seedStore(source);
    await source.createEntries(
      Array.from({ length: 120 }, (_, i) => ({
        title: `Thread entry ${i}`,
        problem: `problem ${i}, "quoted" <b>`,
        solution: `solution ${i}`,
        category: i % 2 === 0 ? 'JCL' : 'CICS',
        severity: 'medium' as const,
        tags: ['b', `t${i % 7}`],
      })),
    );
  });

  afterAll(async () => {
    await source.close();
    dir.remove();
  });

  afterEach(() => {
    Object.assign(preparingThreadSettings, saved);
  });

  let stores = 0;
  /** Imports `input` into a fresh store (or `into`) on one thread or two; the result and the data tables. */
  async function importInto(
    threaded: boolean,
    options: Omit<ImportOptions, 'input'> & { input: string },
    prepare?: (storage: Storage) => Promise<void>,
  ) {
    preparingThreadSettings.minimumBytes = threaded ? 0 : Number.POSITIVE_INFINITY;
    preparingThreadSettings.waitForThread = threaded;
    const storage = await openStore(dir.file(`target-${stores++}.db`));
    try {
      await prepare?.(storage);
      const before = preparingThreadSettings.handedOver;
      let result: Awaited<ReturnType<typeof importStore>> | undefined;
      let error: unknown;
      try {
        result = await importStore(storage, options);
      } catch (e) {
        error = e;
      }
      const tables: Record<string, Record<string, unknown>[]> = {};
      for (const table of DATA_TABLES) tables[table] = await tableRows(storage, table);
      return { result, error, tables, handedOver: preparingThreadSettings.handedOver - before };
    } finally {
      await storage.close();
    }
  }

  for (const format of ['json', 'ndjson', 'csv', 'xml', 'parquet'] as FormatName[]) {
    it(`${format}: an export imports the same on two threads as on one`, async () => {
      const out = dir.file(`export-${format}`);
      await exportStore(source, { format, out });
      const one = await importInto(false, { input: out });
      const two = await importInto(true, { input: out });
      expect(one.error).toBeUndefined();
      expect(one.handedOver).toBe(0);
      expect(two.handedOver).toBe(1);
      expect(two.result).toEqual(one.result);
      expect(two.result?.committed).toBe(true);
      expect(two.tables).toEqual(one.tables);
      expect(two.tables.kb_entries?.length).toBe(123);
    });
  }

  it('rejected records (a bad value, a repeated key) are reported alike, with their locations; nothing is written', async () => {
    const out = dir.file('export-bad');
    await exportStore(source, { format: 'ndjson', out });
    const file = `${out}/kb_entries.ndjson`;
    const lines = readFileSync(file, 'utf8').split('\n');
    const fifth = JSON.parse(lines[4] as string) as Record<string, unknown>;
    lines[4] = JSON.stringify({ ...fifth, severity: 'bogus' });
    // Line 60 repeats the key of line 10.
    const tenth = JSON.parse(lines[9] as string) as Record<string, unknown>;
    const sixtieth = JSON.parse(lines[59] as string) as Record<string, unknown>;
    lines[59] = JSON.stringify({ ...sixtieth, id: tenth.id });
    writeFileSync(file, lines.join('\n'));
    const one = await importInto(false, { input: out });
    const two = await importInto(true, { input: out });
    expect(two.handedOver).toBe(1);
    expect(one.result?.committed).toBe(false);
    expect(one.result?.errors.map((e) => e.reason).sort()).toEqual(['duplicate', 'invalid']);
    expect(two.result).toEqual(one.result);
    expect(two.tables).toEqual(one.tables);
    expect(two.tables.kb_entries).toEqual([]);
  });

  it('conflict policies: skip and update against a store that holds the entries', async () => {
    const out = dir.file('export-conflict');
    await exportStore(source, { format: 'csv', out });
    const holdSome = async (storage: Storage) => {
      await importStore(storage, { input: out });
      await storage.createEntries([
        { title: 'Local entry', problem: 'p', solution: 's', category: 'JCL', tags: ['local'] },
      ]);
    };
    for (const onConflict of ['skip', 'update', 'fail'] as const) {
      const one = await importInto(false, { input: out, onConflict }, holdSome);
      const two = await importInto(true, { input: out, onConflict }, holdSome);
      expect(two.handedOver, onConflict).toBe(1);
      expect(two.result, onConflict).toEqual(one.result);
      expect(two.tables.kb_tags?.length, onConflict).toBe(one.tables.kb_tags?.length);
      expect(two.tables.kb_entries?.length, onConflict).toBe(one.tables.kb_entries?.length);
    }
  });

  it('a dry run reports the same and writes nothing', async () => {
    const out = dir.file('export-dry');
    await exportStore(source, { format: 'xml', out });
    const one = await importInto(false, { input: out, dryRun: true });
    const two = await importInto(true, { input: out, dryRun: true });
    expect(two.handedOver).toBe(1);
    expect(two.result).toEqual(one.result);
    expect(two.tables.kb_entries).toEqual([]);
  });

  it('an input the thread cannot read is imported again on one thread: the same typed error, nothing written', async () => {
    const out = dir.file('export-broken');
    await exportStore(source, { format: 'ndjson', out });
    const file = `${out}/kb_tags.ndjson`;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[40] = '{"entry_id": "x", "tag":';
    writeFileSync(file, lines.join('\n'));
    const one = await importInto(false, { input: out });
    const two = await importInto(true, { input: out });
    expect(one.error).toBeDefined();
    expect(two.handedOver).toBe(1);
    expect(two.error).toBeInstanceOf((one.error as object).constructor);
    expect((two.error as Error).message).toBe((one.error as Error).message);
    expect((two.error as { details?: unknown }).details).toEqual(
      (one.error as { details?: unknown }).details,
    );
    expect(two.tables).toEqual(one.tables);
  });

  it('plain NDJSON entries (records, not an export) import the same', async () => {
    const file = dir.file('plain.ndjson');
    writeFileSync(
      file,
      Array.from({ length: 50 }, (_, i) =>
        JSON.stringify({
          id: `plain-${i}`,
          title: `Plain ${i}`,
          problem: 'p',
          solution: 's',
          category: 'JCL',
          tags: ['x', 'y'],
        }),
      ).join('\n'),
    );
    const one = await importInto(false, { input: file });
    const two = await importInto(true, { input: file });
    expect(two.handedOver).toBe(1);
    expect(two.result).toEqual(one.result);
    const text = (rows: Record<string, unknown>[] | undefined) =>
      rows?.map((r) => [r.id, r.title, r.tags, r.category, r.severity]);
    expect(text(two.tables.kb_entries)).toEqual(text(one.tables.kb_entries));
    expect(two.tables.kb_tags).toEqual(one.tables.kb_tags);
  });
});
