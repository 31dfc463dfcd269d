import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

// The operator's contract (issue 18): a backup or a repository that does not exist is NOT_FOUND (4) whatever
// else is wrong; a restore target that would be overwritten is CONFLICT (kb: 3), naming it and --overwrite.
describe('kb backup / kb restore: not found is 4, an occupied target is a conflict', () => {
  let dir: string;
  let storage: Storage;
  let id: string;
  let missing: string;
  const run = (command: typeof backup, argv: string[], environment: Record<string, string> = env) =>
    runCommand(command, argv, { storage, cwd: dir, env: environment });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-exit-'));
    storage = await createStorage(
      { database: { type: 'sqlite', path: join(dir, 'kb.db') } },
      { plugins: [backupPlugin] },
    );
    await storage.createEntries(generateCorpusArray({ count: 20, seed: 3 }));
    id = (await run(backup, ['create', '--dest', 'repo'])).json.id;
    missing = id.replace(/-[0-9a-f]{8}$/, '-00000000');
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verify of a backup that does not exist is NOT_FOUND naming it, with or without a passphrase', async () => {
    for (const environment of [env, {}, wrong]) {
      for (const extra of [[], ['--deep']]) {
        await expect(
          run(backup, ['verify', missing, ...extra, '--dest', 'repo'], environment),
        ).rejects.toMatchObject({
          code: 'NOT_FOUND',
          message: `backup '${missing}' does not exist on local:${join(dir, 'repo')}`,
        });
      }
    }
    // The backup that is there still verifies.
    expect((await run(backup, ['verify', id, '--dest', 'repo'])).code).toBe(0);
  });

  it('restore of a backup that does not exist is NOT_FOUND, with no passphrase or a wrong one too', async () => {
    for (const environment of [env, {}, wrong]) {
      await expect(
        run(restore, [missing, '--to', 'copy.db', '--dest', 'repo'], environment),
      ).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(missing) });
    }
    expect(readdirSync(dir)).not.toContain('copy.db');
  });

  it('list of a destination that does not exist is NOT_FOUND naming it; an empty folder lists nothing', async () => {
    const nowhere = join(dir, 'no', 'such', 'folder');
    await expect(run(backup, ['list', '--dest', nowhere])).rejects.toMatchObject({
      code: 'NOT_FOUND',
      reason: 'DESTINATION_MISSING',
      message: expect.stringContaining(nowhere),
    });
    // verify without an id there is no failed verification either: nothing is there to verify.
    await expect(run(backup, ['verify', '--dest', nowhere])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(nowhere)).toBe(false);
    mkdirSync(join(dir, 'empty'));
    const empty = await run(backup, ['list', '--dest', 'empty']);
    expect(empty).toMatchObject({ code: 0, json: { backups: [], damaged: [] }, text: 'No backups.' });
  });

  it('restore over an existing file is CONFLICT naming the target and --overwrite, and leaves it alone', async () => {
    writeFileSync(join(dir, 'taken.db'), 'precious bytes');
    for (const extra of [[], ['--tables', 'kb_entries']]) {
      await expect(run(restore, [id, '--to', 'taken.db', '--dest', 'repo', ...extra])).rejects.toMatchObject({
        code: 'CONFLICT',
        reason: 'TARGET_EXISTS',
        message: expect.stringMatching(new RegExp(`^${join(dir, 'taken.db')} exists; .*--overwrite`)),
      });
    }
    expect(readFileSync(join(dir, 'taken.db'), 'utf8')).toBe('precious bytes');
  });

  it('restore into a store that holds rows is CONFLICT naming it and --overwrite, before the backup is read', async () => {
    const occupied = await createStorage({ database: { type: 'sqlite', path: join(dir, 'occupied.db') } });
    try {
      await occupied.createEntries(generateCorpusArray({ count: 2, seed: 4, idPrefix: 'mine-' }));
      // Without its packs the backup cannot be read: the refusal must come first, not OBJECT_MISSING.
      for (const pack of filesUnder(join(dir, 'repo')).filter((f) => f.startsWith('data/')))
        rmSync(join(dir, 'repo', pack));
      const api = storage.plugin(backupPlugin);
      await expect(
        api.restore(id, { into: occupied, destination: join(dir, 'repo'), passphrase: PASSPHRASE }),
      ).rejects.toMatchObject({
        code: 'CONFLICT',
        reason: 'TARGET_EXISTS',
        message: expect.stringMatching(/occupied\.db already holds rows in kb_entries.*--overwrite/),
      });
      expect((await occupied.listEntries()).total).toBe(2);
    } finally {
      await occupied.close();
    }
  });
});
