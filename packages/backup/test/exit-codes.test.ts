import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupPlugin } from '../src/index.js';
import { commandNamed, runCommand } from './support/command-context.js';
import { PASSPHRASE } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

const env = { KB_BACKUP_PASSPHRASE: PASSPHRASE };
const wrong = { KB_BACKUP_PASSPHRASE: 'not the passphrase at all' };
const backup = commandNamed(backupPlugin.commands, 'backup');
const restore = commandNamed(backupPlugin.commands, 'restore');

// kb maps a StorageError's code to its exit code (packages/cli/src/cli-error.ts): INTEGRITY exits 5, as
// CLI.md asks of a verification or integrity failure; NOT_FOUND 4, VALIDATION 3.
describe('kb restore and kb backup verify fail as CLI.md says: 5 for a missing pack or a wrong passphrase', () => {
  let dir: string;
  let storage: Storage;
  const run = (command: typeof backup, argv: string[], environment: Record<string, string> = env) =>
    runCommand(command, argv, { storage, cwd: dir, env: environment });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-exit-'));
    storage = await createStorage(
      { database: { type: 'sqlite', path: join(dir, 'kb.db') } },
      { plugins: [backupPlugin] },
    );
    await storage.createEntries(generateCorpusArray({ count: 20, seed: 3 }));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['physical', 'logical'] as const) {
    it(`a ${kind} backup with a missing pack: verify exits 5, restore fails with INTEGRITY`, async () => {
      const created = await run(backup, [
        'create',
        '--dest',
        'repo',
        ...(kind === 'logical' ? ['--logical'] : []),
      ]);
      expect(created.code).toBe(0);
      for (const pack of filesUnder(join(dir, 'repo')).filter((f) => f.startsWith('data/')))
        rmSync(join(dir, 'repo', pack));
      const verified = await run(backup, ['verify', created.json.id, '--dest', 'repo']);
      expect(verified.code).toBe(5);
      await expect(
        run(restore, [created.json.id, '--to', 'copy.db', '--dest', 'repo']),
      ).rejects.toMatchObject({ code: 'INTEGRITY', reason: 'OBJECT_MISSING' });
    });
  }

  it('a wrong passphrase: verify exits 5, restore fails with INTEGRITY', async () => {
    const created = await run(backup, ['create', '--dest', 'repo']);
    const verified = await run(backup, ['verify', created.json.id, '--dest', 'repo'], wrong);
    expect(verified.code).toBe(5);
    expect(verified.json.checks.find((c: { name: string }) => c.name === 'key')?.ok).toBe(false);
    await expect(
      run(restore, [created.json.id, '--to', 'copy.db', '--dest', 'repo'], wrong),
    ).rejects.toMatchObject({ code: 'INTEGRITY', reason: 'WRONG_PASSPHRASE' });
  });

  it('a backup that does not exist is still not found (4)', async () => {
    const created = await run(backup, ['create', '--dest', 'repo']);
    const missing = created.json.id.replace(/-[0-9a-f]{8}$/, '-00000000');
    await expect(run(restore, [missing, '--to', 'copy.db', '--dest', 'repo'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
