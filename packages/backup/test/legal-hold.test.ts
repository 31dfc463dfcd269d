import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage, type StorageConfigInput } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupPlugin, LocalDestination } from '../src/index.js';
import { deleteManifest, scanManifests } from '../src/manifest/manifest-store.js';
import { commandNamed, runCommand } from './support/command-context.js';
import { PASSPHRASE } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

const ENV = 'KB_TEST_HOLD_PASSPHRASE';
const env = { [ENV]: PASSPHRASE };
const backup = commandNamed(backupPlugin.commands, 'backup');

async function auditActions(storage: Storage): Promise<string[]> {
  const actions: string[] = [];
  for await (const batch of storage.exportTables({ tables: ['kb_audit'] }))
    for (const row of batch.rows) actions.push(String(row.action));
  return actions.filter((a) => a.startsWith('backup-'));
}

describe('legal hold: kb backup hold / release', () => {
  let dir: string;
  let repo: string;
  let storage: Storage;
  const configFor = (db: string): StorageConfigInput => ({
    database: { type: 'sqlite', path: join(dir, db) },
    backup: {
      destinations: [{ type: 'local', path: repo }],
      encryption: { passphraseEnv: ENV },
      // Retention keeps one full: without a hold, every older full goes at the next prune.
      policy: { full: { intervalMs: 86_400_000, keep: 1 } },
    },
  });
  const run = (argv: string[], environment: Record<string, string> = env, on: Storage = storage) =>
    runCommand(backup, argv, { storage: on, cwd: dir, env: environment });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-hold-'));
    repo = join(dir, 'repo');
    storage = await createStorage(configFor('kb.db'), {
      plugins: [backupPlugin],
      actor: { id: 'alice', role: 'admin' },
    });
    await storage.createEntries(generateCorpusArray({ count: 30, seed: 17 }));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is shown by list, kept by a prune run by another store, and lifted by release', async () => {
    const first = (await run(['create'])).json.id as string;
    await storage.createEntries(generateCorpusArray({ count: 3, seed: 18, idPrefix: 'later-' }));
    const second = (await run(['create'])).json.id as string;

    const held = await run(['hold', first, '--reason', '  case 4711: keep for the auditors ']);
    expect(held.code).toBe(0);
    expect(held.json).toEqual({
      id: first,
      legalHold: true,
      hold: { since: expect.any(String), reason: 'case 4711: keep for the auditors', actor: 'alice' },
      placed: true,
    });
    expect(held.text).toContain(`Backup ${first} is under legal hold (case 4711: keep for the auditors)`);
    const since = held.json.hold.since as string;
    expect(Math.abs(Date.parse(since) - Date.now())).toBeLessThan(60_000);

    // The listing needs no passphrase, and shows the hold's record.
    const listed = await run(['list'], {});
    expect(listed.json.backups.map((b: { id: string }) => b.id)).toEqual([first, second]);
    expect(listed.json.backups[0]).toMatchObject({
      legalHold: true,
      hold: { since, reason: 'case 4711: keep for the auditors', actor: 'alice' },
    });
    expect(listed.json.backups[1]).toMatchObject({ legalHold: false, hold: null });

    // Another store (its own database, its own process as far as the repository knows) sees the hold in
    // the repository and its prune keeps the backup its tier would remove.
    const other = await createStorage(configFor('other.db'), { plugins: [backupPlugin] });
    try {
      const pruned = await run(['prune'], env, other);
      expect(pruned.json.destinations[0].removed).toEqual([]);
      expect(pruned.json.destinations[0].kept).toContainEqual({ id: first, reason: 'legal hold' });
    } finally {
      await other.close();
    }

    // Holding again keeps the first hold as it was, and writes nothing.
    const again = await run(['hold', first, '--reason', 'another reason']);
    expect(again.json).toMatchObject({
      placed: false,
      hold: { since, reason: 'case 4711: keep for the auditors' },
    });
    expect(again.text).toContain('was already under legal hold');

    const released = await run(['release', first]);
    expect(released).toMatchObject({ code: 0, json: { id: first, legalHold: false, released: true } });
    // Releasing what is not held is no error: released false, exit 0, nothing written.
    const before = filesUnder(repo);
    const noop = await run(['release', first]);
    expect(noop).toMatchObject({ code: 0, json: { id: first, legalHold: false, released: false } });
    expect(noop.text).toBe(`Backup ${first} was not under legal hold; nothing changed.`);
    expect(filesUnder(repo)).toEqual(before);

    const pruned = await run(['prune']);
    expect(pruned.json.destinations[0].removed).toEqual([first]);
    expect(await auditActions(storage)).toEqual([
      'backup-create',
      'backup-create',
      'backup-hold',
      'backup-release',
      'backup-prune',
    ]);
  });

  it('hold and release of a backup that does not exist are NOT_FOUND (exit 4), with or without a passphrase', async () => {
    const created = (await run(['create'])).json.id as string;
    const missing = created.replace(/-[0-9a-f]{8}$/, '-00000000');
    const before = filesUnder(repo);
    for (const environment of [env, {}]) {
      for (const action of ['hold', 'release']) {
        await expect(run([action, missing], environment), action).rejects.toMatchObject({
          code: 'NOT_FOUND',
          message: `backup '${missing}' does not exist on local:${repo}`,
        });
      }
    }
    // A string that is no backup id is rejected input (3), as everywhere a backup id is taken.
    await expect(run(['hold', '../../etc/passwd'])).rejects.toMatchObject({
      code: 'VALIDATION',
      reason: 'PATH_ESCAPE',
    });
    expect(filesUnder(repo)).toEqual(before);
    expect(await auditActions(storage)).toEqual(['backup-create']);
  });

  it('takes the repository’s write lock, so no prune can delete between its check and its write', async () => {
    const id = (await run(['create'])).json.id as string;
    const lock = await new LocalDestination(repo).lock('a prune in another process');
    try {
      await expect(run(['hold', id])).rejects.toMatchObject({ code: 'BUSY', reason: 'REPOSITORY_LOCKED' });
      expect((await run(['list'])).json.backups[0].legalHold).toBe(false);
    } finally {
      await lock.release();
    }
    expect((await run(['hold', id])).json.placed).toBe(true);
  });

  it('no delete removes a held backup, and a damaged hold record still counts as a hold', async () => {
    const first = (await run(['create'])).json.id as string;
    await storage.createEntries(generateCorpusArray({ count: 2, seed: 19, idPrefix: 'x-' }));
    await run(['create']);
    await run(['hold', first, '--reason', 'litigation']);
    const destination = new LocalDestination(repo);
    const metadata = (await scanManifests(destination)).backups.find((b) => b.id === first)!;
    await expect(deleteManifest(destination, metadata)).rejects.toMatchObject({
      code: 'CONFLICT',
      reason: 'LEGAL_HOLD',
      message: expect.stringContaining(`kb backup release ${first}`),
    });
    expect(filesUnder(repo)).toContain(`manifests/${first}`);

    // A hold record whose bytes changed cannot be read: it may be a hold, so it is honoured as one.
    const record = join(repo, 'holds', first);
    const bytes = readFileSync(record);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    writeFileSync(record, bytes);
    const listed = (await run(['list'])).json.backups[0];
    expect(listed).toMatchObject({ id: first, legalHold: true, hold: { since: null, actor: null } });
    expect(listed.hold.reason).toMatch(/damaged/);
    expect((await run(['prune'])).json.destinations[0].removed).toEqual([]);
    // Releasing rewrites it; then retention applies again.
    expect((await run(['release', first])).json.released).toBe(true);
    expect((await run(['prune'])).json.destinations[0].removed).toEqual([first]);
  });

  it('a backup created held is listed with its creation time, and can be released', async () => {
    const api = storage.plugin(backupPlugin);
    const held = await api.create({ type: 'full', legalHold: true, passphrase: PASSPHRASE });
    await storage.createEntries(generateCorpusArray({ count: 2, seed: 20, idPrefix: 'y-' }));
    await api.create({ type: 'full', passphrase: PASSPHRASE });
    const [first] = (await api.list()).backups;
    expect(first).toMatchObject({
      id: held.id,
      legalHold: true,
      hold: { since: first!.timestamp, actor: null },
    });
    expect((await api.prune({ passphrase: PASSPHRASE }))[0]!.removed).toEqual([]);
    expect(await api.release(held.id)).toMatchObject({ released: true, legalHold: false });
    expect((await api.prune({ passphrase: PASSPHRASE }))[0]!.removed).toEqual([held.id]);
  });
});
