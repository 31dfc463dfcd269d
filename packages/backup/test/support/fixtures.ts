import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import type { BackupManager, BackupManagerOptions } from '../../src/engine/backup-manager.js';
import { LocalDestination } from '../../src/index.js';
import { backupContextPlugin, managerOf } from './backup-context.js';

export const PASSPHRASE = 'correct horse battery staple';
/** The lowest scrypt cost the bounds allow: tests open many repositories. */
export const TEST_KDF = { N: 2 ** 14, r: 8, p: 1 } as const;

export interface Fixture {
  dir: string;
  dbPath: string;
  repoDir: string;
  storage: Storage;
  manager: BackupManager;
  /** Another manager of the same store and repository, with the fixture's options overridden by `options`. */
  managerWith(options: Partial<BackupManagerOptions>): BackupManager;
  cleanup(): Promise<void>;
}

export async function makeFixture(
  entries = 200,
  options: Partial<BackupManagerOptions> & { encryption?: boolean } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kb-backup-test-'));
  const dbPath = join(dir, 'kb.db');
  const repoDir = join(dir, 'repo');
  const storage = await createStorage(
    {
      database: { type: 'sqlite', path: dbPath },
      backup: { encryption: { enabled: options.encryption ?? true } },
    },
    { plugins: [backupContextPlugin] },
  );
  if (entries > 0) await storage.createEntries(generateCorpusArray({ count: entries, seed: 7 }));
  const managerWith = (overrides: Partial<BackupManagerOptions>) =>
    managerOf(storage, {
      destinations: [new LocalDestination(repoDir)],
      passphrase: PASSPHRASE,
      kdf: TEST_KDF,
      scratchDir: join(dir, 'scratch'),
      ...options,
      ...overrides,
    });
  return {
    dir,
    dbPath,
    repoDir,
    storage,
    manager: managerWith({}),
    managerWith,
    async cleanup() {
      await storage.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
