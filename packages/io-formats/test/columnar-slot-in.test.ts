import type { Storage } from '@mainframe-kb/storage-core';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDefaultRegistry,
  exportStore,
  type FormatName,
  importStore,
  ioFormatsPlugin,
} from '../src/index.js';
import { seedStore, type TempDir, tempDir } from './store-helpers.js';

// The directory layout takes any codec of the registry by its format name: the columnar codecs (owned by
// src/columnar/) are in the default registry next to the row codecs and export and import the whole store.
const codecs = createDefaultRegistry();

async function open(path: string): Promise<Storage> {
  return createStorage({ database: { type: 'sqlite', path } }, { plugins: [ioFormatsPlugin] });
}

describe('columnar codecs slot into export and import by format name', () => {
  let dir: TempDir;
  let source: Storage;

  beforeEach(async () => {
    dir = tempDir();
    source = await open(dir.file('source.db'));
    await seedStore(source);
  });

  afterEach(async () => {
    await source.close();
    dir.remove();
  });

  it('the default registry holds every format', () => {
    expect(codecs.formats().sort()).toEqual(['avro', 'csv', 'json', 'ndjson', 'orc', 'parquet', 'xml']);
  });

  it("the seed's storage.export() / storage.import() delegate here", async () => {
    const out = dir.file('flat.json');
    const exported = await source.export({ format: 'json', out });
    expect(exported.records.kb).toBeGreaterThan(0);
    const target = await open(dir.file('flat-target.db'));
    try {
      const imported = await target.import({ input: out, restore: true });
      expect(imported.committed).toBe(true);
      expect(await target.contentHash()).toEqual(await source.contentHash());
      await expect(target.export('nonsense' as never)).rejects.toMatchObject({ code: 'VALIDATION' });
    } finally {
      await target.close();
    }
  });

  for (const format of ['parquet', 'avro', 'orc'] as FormatName[]) {
    it(`${format}: a restore reproduces the whole-store content hash`, async () => {
      const out = dir.file(`export-${format}`);
      await exportStore(source, { format, out });
      const target = await open(dir.file(`target-${format}.db`));
      try {
        const result = await importStore(target, { input: out, restore: true });
        expect(result.errors).toEqual([]);
        expect(await target.contentHash()).toEqual(await source.contentHash());
      } finally {
        await target.close();
      }
    });
  }
});
