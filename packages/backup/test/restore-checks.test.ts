import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKED, readOverlay, writeOverlay } from '../src/manifest/manifest-store.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';

const names = (checks: readonly { name: string }[]) => checks.map((c) => c.name);

describe('restore checks: integrity_check, or the record that it passed on this very image', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await makeFixture(200);
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('runs integrity_check until a deep verification recorded it, then proves identity instead', async () => {
    const full = await fx.manager.create({ type: 'full' });
    expect(full.ok).toBe(true);

    const first = await fx.manager.restore(full.id, { to: join(fx.dir, 'a.db') });
    expect(names(first.checks)).toEqual(
      expect.arrayContaining(['image-sha256', 'integrity_check', 'foreign_key_check']),
    );
    expect(names(first.checks)).not.toContain('integrity-record');

    const report = await new BackupVerifier(fx.manager).verify(full.id, { deep: true });
    expect(report.ok).toBe(true);
    expect(await readOverlay(fx.manager.destinations[0]!, CHECKED, full.id)).toBeDefined();

    const second = await fx.manager.restore(full.id, { to: join(fx.dir, 'b.db') });
    expect(second.checks.every((c) => c.ok)).toBe(true);
    expect(names(second.checks)).toEqual(
      expect.arrayContaining([
        'image-sha256',
        'integrity-record',
        'sqlite-open',
        'row-counts-and-table-hashes',
      ]),
    );
    expect(names(second.checks)).not.toContain('integrity_check');

    // The flag still forces the full check.
    const forced = await fx.manager.restore(full.id, { to: join(fx.dir, 'c.db'), integrity: 'full' });
    expect(names(forced.checks)).toContain('integrity_check');
    expect(names(forced.checks)).not.toContain('integrity-record');

    const restored = await createStorage({ database: { type: 'sqlite', path: join(fx.dir, 'b.db') } });
    try {
      expect((await restored.contentHash()).hash).toBe((await fx.storage.contentHash()).hash);
    } finally {
      await restored.close();
    }
  });

  it('ignores a forged record, and a record moved to another backup', async () => {
    const full = await fx.manager.create({ type: 'full' });
    await fx.storage.createEntries(generateCorpusArray({ count: 20, seed: 3, idPrefix: 'more-' }));
    const inc = await fx.manager.create({ type: 'incremental' });
    const destination = fx.manager.destinations[0]!;
    expect((await new BackupVerifier(fx.manager).verify(full.id, { deep: true })).ok).toBe(true);
    const record = (await readOverlay(destination, CHECKED, full.id))!;

    // Moved: the record of the full, stored as the incremental's.
    await writeOverlay(destination, CHECKED, inc.id, record);
    const moved = await fx.manager.restore(inc.id, { to: join(fx.dir, 'moved.db') });
    expect(names(moved.checks)).toContain('integrity_check');
    expect(names(moved.checks)).not.toContain('integrity-record');

    // Forged: a field changed without the key (the keyless file header is recomputed, the MAC cannot be).
    await writeOverlay(destination, CHECKED, full.id, { ...record, at: '2020-01-01T00:00:00.000Z' });
    const forged = await fx.manager.restore(full.id, { to: join(fx.dir, 'forged.db') });
    expect(names(forged.checks)).toContain('integrity_check');
    expect(names(forged.checks)).not.toContain('integrity-record');
  });

  it('backs up and restores the same on the calling thread as on worker threads', async () => {
    const inline = fx.managerWith({ threads: 1 });
    const full = await inline.create({ type: 'full' });
    expect(full.ok).toBe(true);
    await fx.storage.createEntries(generateCorpusArray({ count: 30, seed: 5, idPrefix: 'inline-' }));
    const inc = await fx.manager.create({ type: 'incremental' });
    expect(inc.type).toBe('incremental');
    const expected = (await fx.storage.contentHash()).hash;
    // Written by worker threads, restored on this thread; and the other way round.
    for (const [manager, id, file] of [
      [inline, inc.id, 'inline.db'],
      [fx.manager, full.id, 'threads.db'],
    ] as const) {
      const result = await manager.restore(id, { to: join(fx.dir, file), integrity: 'full' });
      expect(result.checks.every((c) => c.ok)).toBe(true);
    }
    const restored = await createStorage({ database: { type: 'sqlite', path: join(fx.dir, 'inline.db') } });
    try {
      expect((await restored.contentHash()).hash).toBe(expected);
    } finally {
      await restored.close();
    }
  });
});
