import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type Storage, StorageError } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportStore, importStore, MANIFEST_FILE } from '../src/index.js';
import { openStore, seedStore, type TempDir, tempDir } from './store-helpers.js';

/**
 * RELIABILITY.md promise 6 for exports: a restore (`import --restore`) checks the sha256 of every file a
 * manifest lists, the hash of an envelope's body, and the content hash the export recorded, and refuses with
 * an INTEGRITY error (CLI exit 5) naming what differs, writing nothing.
 */
describe('export integrity: a restore verifies what the export recorded', () => {
  let dir: TempDir;
  let source: Storage;
  let n = 0;

  beforeAll(async () => {
    dir = tempDir('io-formats-integrity-');
    source = await openStore(dir.file('source.db'));
    await seedStore(source);
  });

  afterAll(async () => {
    await source.close();
    dir.remove();
  });

  const manifestOf = (out: string) => JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8'));
  const writeManifest = (out: string, manifest: unknown) =>
    writeFileSync(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

  /** Restores `input` into a fresh store; returns the error it was refused with and the rows it left. */
  async function refusedRestore(input: string, options: { trustUnverified?: boolean } = {}) {
    const target = await openStore(dir.file(`target-${++n}.db`));
    try {
      const error = await importStore(target, { input, restore: true, ...options }).then(
        (result) => new Error(`restored: ${JSON.stringify(result)}`),
        (e: unknown) => e,
      );
      const rows = Object.values(await target.rowCounts()).reduce((a, b) => a + b, 0);
      return { error: error as StorageError, rows };
    } finally {
      await target.close();
    }
  }

  function expectIntegrity(error: unknown, names: string) {
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('INTEGRITY');
    expect((error as StorageError).message).toContain(names);
  }

  it('records the sha256 of every file and the content hash of the exported tables', async () => {
    const out = dir.file('recorded-csv');
    await exportStore(source, { format: 'csv', out });
    const manifest = manifestOf(out);
    for (const file of manifest.files) {
      expect(file.sha256).toBe(sha256(readFileSync(join(out, file.file))));
    }
    const tables = manifest.files.filter((f: { entity: string }) => f.entity !== 'schema');
    const expected = await source.contentHash({ tables: tables.map((f: { table: string }) => f.table) });
    expect(manifest.integrity.content_hash).toEqual(expected);
  });

  it('parquet: a flipped bit in a table file is refused, naming the file; nothing is written', async () => {
    const out = dir.file('flipped-parquet');
    await exportStore(source, { format: 'parquet', out });
    const path = join(out, 'kb_entries.parquet');
    const bytes = readFileSync(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x10;
    writeFileSync(path, bytes);
    const { error, rows } = await refusedRestore(out);
    expectIntegrity(error, 'kb_entries.parquet');
    expect(rows).toBe(0);
  });

  it('csv: an edited cell is refused, naming the file; nothing is written', async () => {
    const out = dir.file('edited-csv');
    await exportStore(source, { format: 'csv', out });
    const path = join(out, 'kb_entries.csv');
    writeFileSync(path, readFileSync(path, 'utf8').replace('VSAM status 35', 'VSAM status 36'));
    const { error, rows } = await refusedRestore(out);
    expectIntegrity(error, 'kb_entries.csv');
    expect(rows).toBe(0);
  });

  it('a file edited together with its recorded sha256 is caught by the content hash, naming the table', async () => {
    const out = dir.file('consistent-edit-csv');
    await exportStore(source, { format: 'csv', out });
    const path = join(out, 'kb_entries.csv');
    writeFileSync(path, readFileSync(path, 'utf8').replace('VSAM status 35', 'VSAM status 36'));
    const manifest = manifestOf(out);
    for (const file of manifest.files) {
      if (file.file === 'kb_entries.csv') file.sha256 = sha256(readFileSync(path));
    }
    writeManifest(out, manifest);
    const { error, rows } = await refusedRestore(out);
    expectIntegrity(error, 'kb_entries');
    expect(error.message).toMatch(/content hash/);
    expect(rows).toBe(0);
  });

  it('json envelope: an edited value is refused by the body hash; nothing is written', async () => {
    const out = dir.file('edited.json');
    await exportStore(source, { format: 'json', out });
    writeFileSync(out, readFileSync(out, 'utf8').replace('VSAM status 35', 'VSAM status 36'));
    const { error, rows } = await refusedRestore(out);
    expectIntegrity(error, 'edited.json');
    expect(rows).toBe(0);
  });

  it('json envelope, gzip: an edit with the body hash recomputed is caught by the content hash', async () => {
    const plain = dir.file('recomputed.json');
    await exportStore(source, { format: 'json', out: plain });
    const text = readFileSync(plain, 'utf8').replace('VSAM status 35', 'VSAM status 36');
    // The documented layout: the body hash covers every byte before the line that holds "integrity".
    const at = text.lastIndexOf('\n"integrity":') + 1;
    const body = Buffer.from(text.slice(0, at));
    const trailer = JSON.parse(`{${text.slice(at)}`);
    trailer.integrity.body_sha256 = sha256(body);
    const edited = Buffer.concat([body, Buffer.from(`${JSON.stringify(trailer).slice(1)}\n`)]);
    const out = dir.file('recomputed.json.gz');
    writeFileSync(out, gzipSync(edited));
    expect(gunzipSync(readFileSync(out)).length).toBe(edited.length);
    const { error, rows } = await refusedRestore(out);
    expectIntegrity(error, 'kb_entries');
    expect(rows).toBe(0);
  });

  it('an export without hashes (an older release) is refused unless trusted, then restored with a warning', async () => {
    const out = dir.file('unverified-ndjson');
    await exportStore(source, { format: 'ndjson', out });
    const manifest = manifestOf(out);
    delete manifest.integrity;
    for (const file of manifest.files) delete file.sha256;
    writeManifest(out, manifest);
    const { error, rows } = await refusedRestore(out);
    expectIntegrity(error, 'trustUnverified');
    expect(rows).toBe(0);

    const target = await openStore(dir.file('trusted.db'));
    try {
      const result = await importStore(target, { input: out, restore: true, trustUnverified: true });
      expect(result.committed).toBe(true);
      expect(result.warnings).toEqual([expect.stringContaining('no integrity hashes')]);
      expect(await target.contentHash()).toEqual(await source.contentHash());
    } finally {
      await target.close();
    }
  });

  it('an intact export restores, verified, with no warning', async () => {
    for (const format of ['json', 'orc'] as const) {
      const out = dir.file(`intact-${format}`);
      await exportStore(source, { format, out });
      const target = await openStore(dir.file(`intact-${format}.db`));
      try {
        const result = await importStore(target, { input: out, restore: true });
        expect(result).toMatchObject({ committed: true, errors: [], warnings: [] });
        expect(await target.contentHash()).toEqual(await source.contentHash());
      } finally {
        await target.close();
      }
    }
  });
});
