import { promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

const realOpen = fs.open.bind(fs);

/**
 * Files whose path matches `pattern` are opened on /dev/full instead: every write to them fails with the
 * kernel's ENOSPC, as on a full disk, while everything else works as usual.
 */
function fillDiskFor(pattern: RegExp): void {
  vi.spyOn(fs, 'open').mockImplementation(((path: Parameters<typeof fs.open>[0], ...rest: unknown[]) =>
    pattern.test(String(path))
      ? realOpen('/dev/full', 'r+')
      : realOpen(path, ...(rest as [string, number]))) as typeof fs.open);
}

describe('a full disk during backup or restore is DISK_FULL, and leaves nothing behind', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await makeFixture(80, { threads: 1 });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await fx.cleanup();
  });

  it('writing packs and manifests to the repository', async () => {
    await fx.manager.create({ type: 'full' }); // the repository exists: its config is written
    const before = filesUnder(fx.repoDir);
    fillDiskFor(/[/\\]repo[/\\]tmp[/\\]/);
    for (const kind of ['physical', 'logical'] as const) {
      const run = await fx.manager.create({ type: 'full', kind });
      expect(run.ok).toBe(false);
      expect(run.destinations[0]!.error).toMatchObject({ code: 'DISK_FULL' });
      expect(run.destinations[0]!.error!.message).toMatch(/disk is full/);
    }
    vi.restoreAllMocks();
    expect(filesUnder(fx.repoDir)).toEqual(before);
  });

  it('writing the restored image, beside the target and in the scratch folder', async () => {
    const run = await fx.manager.create({ type: 'full' });
    fillDiskFor(/\.restore-\d+-[0-9a-f]+$/);
    await expect(fx.manager.restore(run.id, { to: join(fx.dir, 'copy.db') })).rejects.toMatchObject({
      code: 'DISK_FULL',
    });
    // Rows restored from a physical backup are rebuilt in the scratch folder first.
    await expect(
      fx.manager.restore(run.id, { to: join(fx.dir, 'rows.db'), tables: ['kb_entries'] }),
    ).rejects.toMatchObject({ code: 'DISK_FULL' });
    vi.restoreAllMocks();
    expect(readdirSync(fx.dir).filter((n) => n.startsWith('copy.db') || n.startsWith('rows.db'))).toEqual([]);
  });

  it('writing the decrypted copy of a deep verification', async () => {
    const run = await fx.manager.create({ type: 'full' });
    fillDiskFor(/[/\\]kb-verify-[^/\\]+[/\\]restore\.sqlite$/);
    const report = await new BackupVerifier(fx.manager).verify(run.id, { deep: true });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'test-restore')?.detail).toMatch(/disk is full/);
  });
});
