import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backupPlugin } from '@mainframe-kb/backup';
import { exportStore, ioFormatsPlugin, MANIFEST_FILE } from '@mainframe-kb/io-formats';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import notesPlugin from '../src/index.js';
import { seedNotes } from './support/seed.js';

// `kb_notes` is declared once, in the plugin's `tables`. Core, the export and the backup find it there.

let dir: string;
let storage: Storage;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kb-notes-tables-'));
  storage = await createStorage(
    { database: { path: join(dir, 'kb.db') } },
    { plugins: [notesPlugin, ioFormatsPlugin, backupPlugin] },
  );
  await seedNotes(storage);
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the table declared once', () => {
  it('is a table of the store, after the table its foreign key refers to', () => {
    const tables = storage.tables();
    const names = tables.map((t) => t.name);
    expect(tables.find((t) => t.name === 'kb_notes')).toEqual({
      name: 'kb_notes',
      entity: 'notes',
      primaryKey: ['id'],
    });
    expect(names.indexOf('kb_entries')).toBeLessThan(names.indexOf('kb_notes'));
    expect(storage.plugins.find((p) => p.id === 'notes')?.tables).toEqual(['kb_notes']);
  });

  it('is in an export envelope, with its schema and rows under its entity', async () => {
    const file = join(dir, 'export.json');
    const result = await exportStore(storage, { format: 'json', out: file });
    expect(result.tables.kb_notes).toBe(2);
    expect(result.records.notes).toBe(2);
    const envelope = JSON.parse(readFileSync(file, 'utf8'));
    expect(envelope.schemas.kb_notes).toMatchObject({
      entity: 'notes',
      table: 'kb_notes',
      primaryKey: ['id'],
    });
    expect(envelope.data.notes.kb_notes).toHaveLength(2);
    expect(envelope.metadata.extensions).toContainEqual({ id: 'notes', version: '0.1.0', mvp: 1 });
  });

  it('is in an export directory’s manifest, as a file of its own', async () => {
    const out = join(dir, 'export-csv');
    await exportStore(storage, { format: 'csv', out });
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8'));
    expect(manifest.files).toContainEqual(
      expect.objectContaining({ entity: 'notes', table: 'kb_notes', records: 2 }),
    );
  });

  it('is in a backup: restored with its rows, and chosen by name in a partial restore', async () => {
    const backups = storage.plugin(backupPlugin);
    const options = { destination: join(dir, 'repository'), passphrase: 'notes tables passphrase' };
    const run = await backups.create(options);
    expect(run.ok).toBe(true);
    const restored = await backups.restore(run.id, { ...options, to: join(dir, 'restored.db') });
    expect(restored.restored).toBe(true);
    expect(restored.tables.kb_notes).toBe(2);
    // Chosen by name: the notes and the entries they belong to, into another store.
    const other = await createStorage(
      { database: { path: join(dir, 'other.db') } },
      { plugins: [notesPlugin] },
    );
    try {
      const partial = await backups.restore(run.id, {
        ...options,
        into: other,
        tables: ['kb_entries', 'kb_notes'],
      });
      expect(partial.tables).toEqual({ kb_entries: 1, kb_notes: 2 });
      expect(await other.rowCounts(['kb_notes'])).toEqual({ kb_notes: 2 });
    } finally {
      await other.close();
    }
  });

  it('is named by no package but its own: the others take it from the declaration', () => {
    const packages = fileURLToPath(new URL('../../../packages', import.meta.url));
    const naming = sourceFiles(packages).filter((file) => readFileSync(file, 'utf8').includes('kb_notes'));
    expect(naming).toEqual([]);
  });
});

/** Every TypeScript source file under `root`'s packages' src folders. */
function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else if (name.endsWith('.ts')) out.push(child);
    }
  };
  for (const pkg of readdirSync(root)) {
    const src = join(root, pkg, 'src');
    if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
  }
  return out;
}
