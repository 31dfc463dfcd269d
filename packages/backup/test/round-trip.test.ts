import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_COMPRESSION_LEVEL, LocalDestination } from '../src/index.js';
import { readManifest } from '../src/manifest/manifest-store.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';

describe('backup → restore (reliability 6: every type restores to the same content)', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await makeFixture(300);
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function restoredHash(id: string) {
    const to = join(fx.dir, `restored-${id}.db`);
    const result = await fx.manager.restore(id, { to });
    expect(result.restored).toBe(true);
    expect(result.checks.every((c) => c.ok)).toBe(true);
    const restored = await createStorage({ database: { type: 'sqlite', path: to } }, { migrate: 'verify' });
    try {
      return await restored.contentHash();
    } finally {
      await restored.close();
    }
  }

  it('full, incremental and differential each restore to the content of their moment', async () => {
    const expected: Record<string, string> = {};
    const full = await fx.manager.create({ type: 'full' });
    expect(full.ok).toBe(true);
    // A small store is copied into memory (large ones are read in place: live-image.test.ts).
    expect(full.snapshot).toBe('memory');
    expected[full.id] = (await fx.storage.contentHash()).hash;

    await fx.storage.createEntries(generateCorpusArray({ count: 50, seed: 11, idPrefix: 'more-' }));
    const inc1 = await fx.manager.create({ type: 'incremental' });
    expect(inc1.type).toBe('incremental');
    expected[inc1.id] = (await fx.storage.contentHash()).hash;

    const ids = (await fx.storage.listEntries({ limit: 20 })).entries.map((e) => e.id);
    for (const id of ids) await fx.storage.updateEntry(id, { title: `changed ${id}` });
    const inc2 = await fx.manager.create({ type: 'incremental' });
    expected[inc2.id] = (await fx.storage.contentHash()).hash;

    await fx.storage.deleteEntry(ids[0]!);
    const diff = await fx.manager.create({ type: 'differential' });
    expect(diff.type).toBe('differential');
    expected[diff.id] = (await fx.storage.contentHash()).hash;

    const { backups } = await fx.manager.list();
    expect(backups.map((b) => b.id)).toEqual([full.id, inc1.id, inc2.id, diff.id]);
    expect(backups[2]!.dependsOn).toEqual([full.id, inc1.id]);
    expect(backups[3]!.dependsOn).toEqual([full.id]);
    // Incrementals store only changed pages: far less than the full.
    expect(backups[2]!.compressedSize).toBeLessThan(backups[0]!.compressedSize / 2);

    for (const [id, hash] of Object.entries(expected)) {
      const restored = await restoredHash(id);
      expect(restored.hash, `backup ${id}`).toBe(hash);
      const manifest = backups.find((b) => b.id === id)!;
      expect(restored.tables.kb_entries!.rows).toBe(manifest.entryCount);
    }
  });

  it('an incremental without a full becomes a full', async () => {
    const run = await fx.manager.create({ type: 'incremental' });
    expect(run.ok).toBe(true);
    expect(run.type).toBe('full');
    expect(run.destinations[0]!.metadata!.dependsOn).toEqual([]);
  });

  it('records the zstd level it wrote with, the default or a configured one, and restores either', async () => {
    const byDefault = await fx.manager.create({ type: 'full' });
    expect(byDefault.destinations[0]!.metadata!.compression).toEqual({
      algorithm: 'zstd',
      level: DEFAULT_COMPRESSION_LEVEL,
    });
    const level9 = fx.managerWith({ compressionLevel: 9 });
    await fx.storage.createEntries(generateCorpusArray({ count: 30, seed: 12, idPrefix: 'level-' }));
    const full9 = await level9.create({ type: 'full' });
    expect(full9.destinations[0]!.metadata!.compression).toEqual({ algorithm: 'zstd', level: 9 });
    const expected = (await fx.storage.contentHash()).hash;
    // The later full at level 9 shares the groups that did not change with the default-level one.
    expect(full9.destinations[0]!.metadata!.compressedSize).toBeLessThan(
      byDefault.destinations[0]!.metadata!.compressedSize,
    );
    expect((await restoredHash(full9.id)).hash).toBe(expected);
  });

  it('refuses options that would write blobs a restore cannot read or misstate the zstd level', () => {
    for (const options of [
      { changedBlobBytes: 128 * 1024 * 1024 },
      { changedBlobBytes: 100 },
      { changedBlobBytes: 4096.5 },
      { compressionLevel: 99 },
      { compressionLevel: 0 },
    ]) {
      expect(() => fx.managerWith(options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
    expect(() => fx.managerWith({ changedBlobBytes: 64 * 1024 * 1024, compressionLevel: 22 })).not.toThrow();
  });

  it('a logical backup restores to the same content hash', async () => {
    const run = await fx.manager.create({ type: 'full', kind: 'logical' });
    expect(run.ok, String(run.destinations[0]?.error)).toBe(true);
    const expected = await fx.storage.contentHash();
    expect(run.destinations[0]!.metadata!.kind).toBe('logical');
    // The hash a logical backup records over the rows it streamed is storage-core's content hash.
    const repository = await fx.manager.openRepository(fx.manager.destinations[0]!);
    const { body } = await readManifest(repository, run.id);
    expect(body.contentHash).toBe(expected.hash);
    expect(body.tables).toEqual(expected.tables);
    const to = join(fx.dir, 'logical.db');
    const result = await fx.manager.restore(run.id, { to });
    expect(result.checks.every((c) => c.ok)).toBe(true);
    const restored = await createStorage({ database: { type: 'sqlite', path: to } });
    try {
      expect((await restored.contentHash()).hash).toBe(expected.hash);
    } finally {
      await restored.close();
    }
  });

  it('restore never overwrites without the explicit flag, and never the live store', async () => {
    const run = await fx.manager.create({ type: 'full' });
    await expect(fx.manager.restore(run.id, { to: fx.dbPath })).rejects.toMatchObject({
      reason: 'TARGET_EXISTS',
    });
    const to = join(fx.dir, 'once.db');
    await fx.manager.restore(run.id, { to });
    await expect(fx.manager.restore(run.id, { to })).rejects.toMatchObject({ reason: 'TARGET_EXISTS' });
    const again = await fx.manager.restore(run.id, { to, overwrite: true });
    expect(again.restored).toBe(true);
  });

  it('partial restore loads only the chosen tables', async () => {
    const run = await fx.manager.create({ type: 'full' });
    const to = join(fx.dir, 'partial.db');
    const result = await fx.manager.restore(run.id, { to, tables: ['kb_entries'] });
    expect(result.tables).toEqual({ kb_entries: 300 });
    expect(existsSync(to)).toBe(true);
    const verifier = new BackupVerifier(fx.manager);
    const report = await verifier.verify(run.id, { deep: true, tables: ['kb_entries', 'kb_tags'] });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a deep verification compares the backup with the live store: by counts, or by hashes when recorded', async () => {
    const counted = await fx.manager.create({ type: 'full' });
    const hashing = fx.managerWith({
      destinations: [new LocalDestination(join(fx.dir, 'repo-hash'))],
      contentCheck: 'hash',
    });
    const hashed = await hashing.create({ type: 'full' });
    const byCounts = new BackupVerifier(fx.manager);
    const byHashes = new BackupVerifier(hashing);
    expect((await byCounts.verify(counted.id, { deep: true })).comparison).toEqual({
      equal: true,
      changedTables: [],
    });
    expect((await byHashes.verify(hashed.id, { deep: true })).comparison).toEqual({
      equal: true,
      changedTables: [],
    });
    // Same number of rows, other content: only the recorded hashes can tell.
    const [first] = (await fx.storage.listEntries({ limit: 1 })).entries;
    await fx.storage.updateEntry(first!.id, { title: 'a title the backups never saw' });
    // (The update also added audit and event rows: those tables differ either way.)
    const afterUpdate = (await byCounts.verify(counted.id, { deep: true })).comparison!;
    expect(afterUpdate.equal).toBe(false);
    expect(afterUpdate.changedTables).not.toContain('kb_entries');
    const hashedAfterUpdate = (await byHashes.verify(hashed.id, { deep: true })).comparison!;
    expect(hashedAfterUpdate.changedTables).toContain('kb_entries');
    expect(hashedAfterUpdate.changedTables).toEqual(
      expect.arrayContaining(afterUpdate.changedTables as string[]),
    );
    await fx.storage.createEntries(generateCorpusArray({ count: 1, seed: 5, idPrefix: 'later-' }));
    expect((await byCounts.verify(counted.id, { deep: true })).comparison?.changedTables).toContain(
      'kb_entries',
    );
  });
});
