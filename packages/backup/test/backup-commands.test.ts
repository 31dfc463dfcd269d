import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage, type StorageConfigInput } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupPlugin } from '../src/index.js';
import { commandNamed, FakeUsageError, runCommand } from './support/command-context.js';
import { filesUnder } from './support/repo-files.js';

const env = { KB_BACKUP_PASSPHRASE: 'cli test passphrase' };
const backup = commandNamed(backupPlugin.commands, 'backup');
const restore = commandNamed(backupPlugin.commands, 'restore');
const ENTRIES = 60;

async function auditActions(storage: Storage): Promise<string[]> {
  const actions: string[] = [];
  for await (const batch of storage.exportTables({ tables: ['kb_audit'] }))
    for (const row of batch.rows) actions.push(String(row.action));
  return actions.filter((a) => a.startsWith('backup-'));
}

describe('kb backup / kb restore, as the backup plugin’s commands', () => {
  let dir: string;
  let config: StorageConfigInput;
  let storage: Storage;
  const saved = process.env.KB_BACKUP_PASSPHRASE;
  const run = (command: typeof backup, argv: string[], options: { env?: Record<string, string> } = {}) =>
    runCommand(command, argv, { storage, cwd: dir, ...options });

  beforeAll(() => {
    // The commands read the passphrase from their own environment; the process's must not stand in for it.
    delete process.env.KB_BACKUP_PASSPHRASE;
  });
  afterAll(() => {
    if (saved !== undefined) process.env.KB_BACKUP_PASSPHRASE = saved;
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-commands-'));
    config = { database: { type: 'sqlite', path: join(dir, 'kb.db') } };
    storage = await createStorage(config, { plugins: [backupPlugin] });
    await storage.createEntries(generateCorpusArray({ count: ENTRIES, seed: 31 }));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('create, list, verify, restore, prune: the JSON of CLI.md, the text, the exit codes', async () => {
    const full = await run(backup, ['create', '--dest', 'repo'], { env });
    expect(full.code).toBe(0);
    expect(full.json).toMatchObject({ type: 'full', dependsOn: [], entryCount: ENTRIES });
    for (const key of ['id', 'timestamp', 'checksum', 'dataSize', 'storedSize', 'entryCount'])
      expect(full.json).toHaveProperty(key);
    expect(full.json.destinations).toEqual([{ destination: `local:${join(dir, 'repo')}`, ok: true }]);
    expect(full.text).toMatch(
      new RegExp(
        `^Backup ${full.json.id} \\(full\\): .+ of data, .+ stored, ${ENTRIES} entries, 1 destination\\(s\\) in \\d+\\.\\d s$`,
      ),
    );
    await storage.createEntry({ title: 'T', problem: 'P', solution: 'S', category: 'JCL' });
    const inc = await run(backup, ['create', '--type', 'incremental', '--dest', 'repo'], { env });
    expect(inc.json).toMatchObject({
      type: 'incremental',
      dependsOn: [full.json.id],
      entryCount: ENTRIES + 1,
    });
    expect(inc.text).toContain(`(incremental on ${full.json.id})`);

    const list = await run(backup, ['list', '--dest', 'repo']);
    expect(list.code).toBe(0);
    expect(list.json.backups.map((b: { id: string }) => b.id)).toEqual([full.json.id, inc.json.id]);
    expect(list.json.backups[0].storedSize).toBe(full.json.storedSize);
    expect(list.json.damaged).toEqual([]);
    const lines = list.text!.split('\n');
    expect(lines[0]).toMatch(/^ID\s+TYPE\s+KIND\s+DATA\s+STORED\s+ENTRIES\s+BASE\s+HOLD\s+VERIFIED$/);
    expect(lines[2]).toContain(`incremental  physical`);
    expect(lines[2]).toContain(full.json.id);

    // Without a passphrase, verify checks checksums and chain only; with it, content too; --deep restores.
    const keyless = await run(backup, ['verify', inc.json.id, '--dest', 'repo']);
    expect(keyless).toMatchObject({ code: 0, json: { ok: true, keyed: false } });
    expect(keyless.text).toContain('(no passphrase: checksums and chain only');
    expect(keyless.text!.endsWith('Verified.')).toBe(true);
    const deep = await run(backup, ['verify', inc.json.id, '--deep', '--dest', 'repo'], { env });
    expect(deep.json).toMatchObject({ ok: true, keyed: true });
    expect(typeof deep.json.restoreMs).toBe('number');
    expect(deep.json.checks.map((c: { name: string }) => c.name)).toContain('test-restore integrity_check');
    expect(deep.text).toMatch(/test restore took \d+\.\d s/);

    const restored = await run(restore, [inc.json.id, '--to', 'copy.db', '--dest', 'repo'], { env });
    expect(restored.code).toBe(0);
    expect(restored.json).toMatchObject({
      restored: true,
      entryCount: ENTRIES + 1,
      id: inc.json.id,
      target: join(dir, 'copy.db'),
    });
    expect(restored.text).toMatch(
      new RegExp(
        `^Restored ${inc.json.id} to ${join(dir, 'copy.db')}: ${ENTRIES + 1} entries; \\d+ checks passed in \\d+\\.\\d s$`,
      ),
    );
    // The deep verify recorded its checks for this image: the default restore relies on that record,
    // --integrity full runs integrity_check again, and an unknown level is a usage error.
    const names = (r: { json: { checks: { name: string }[] } }) => r.json.checks.map((c) => c.name);
    expect(names(restored)).toContain('integrity-record');
    const again = await run(
      restore,
      [inc.json.id, '--to', 'copy2.db', '--dest', 'repo', '--integrity', 'full'],
      { env },
    );
    expect(names(again)).not.toContain('integrity-record');
    expect(names(again).join(' ')).toMatch(/integrity_check/);
    await expect(
      run(restore, [inc.json.id, '--to', 'copy3.db', '--dest', 'repo', '--integrity', 'some'], { env }),
    ).rejects.toBeInstanceOf(FakeUsageError);
    const copy = await createStorage({ database: { type: 'sqlite', path: join(dir, 'copy.db') } });
    try {
      expect((await copy.search('T')).total).toBeGreaterThan(0);
    } finally {
      await copy.close();
    }

    const pruned = await run(backup, ['prune', '--dest', 'repo'], { env });
    expect(pruned.code).toBe(0);
    expect(pruned.json.destinations[0].removed).toEqual([]);
    expect(pruned.text).toMatch(/: removed 0 backups, 0 packs \(0 B\), 0 temporary files; kept 2$/);

    // The commands went through the API: each change is in the audit trail.
    expect(await auditActions(storage)).toEqual([
      'backup-create',
      'backup-create',
      'backup-verify',
      'backup-restore',
      'backup-restore',
    ]);
  });

  it('verify exits 5 when a stored object is damaged; a passphrase file works like the variable', async () => {
    writeFileSync(join(dir, 'pass.txt'), `${env.KB_BACKUP_PASSPHRASE}\n`);
    const full = await run(backup, ['create', '--dest', 'repo', '--passphrase-file', 'pass.txt']);
    expect(full.code).toBe(0);
    const dataDir = join(dir, 'repo', 'data');
    const sub = readdirSync(dataDir)[0]!;
    const pack = join(dataDir, sub, readdirSync(join(dataDir, sub))[0]!);
    const bytes = readFileSync(pack);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(pack, bytes);
    const result = await run(backup, ['verify', full.json.id, '--dest', 'repo']);
    expect(result.code).toBe(5);
    expect(result.json.ok).toBe(false);
    expect(result.text!.endsWith('Verification FAILED.')).toBe(true);
    // kb maps INTEGRITY to exit 5.
    await expect(
      run(restore, [full.json.id, '--to', 'x.db', '--dest', 'repo'], { env }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    await expect(
      run(backup, ['create', '--dest', 'repo', '--passphrase-file', 'missing.txt']),
    ).rejects.toBeInstanceOf(FakeUsageError);
  });

  it('refuses a restore over the live store, a backup without a passphrase, and wrong usage', async () => {
    const full = await run(backup, ['create', '--dest', 'repo'], { env });
    await expect(run(restore, [full.json.id, '--to', 'kb.db', '--dest', 'repo'], { env })).rejects.toThrow(
      /overwrite/,
    );
    // No destination took it: the reason is the command's error (kb prints it, also under --json), not a warning.
    await expect(run(backup, ['create', '--dest', 'repo2'])).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/passphrase/),
    });
    for (const argv of [
      ['create', '--type', 'weekly', '--dest', 'repo'],
      ['list', 'extra'],
      ['rotate'],
      ['verify', '--deep'],
      ['hold'],
    ]) {
      await expect(run(backup, argv, { env }), argv.join(' ')).rejects.toBeInstanceOf(FakeUsageError);
    }
  });

  it('holds and releases a backup: the listing shows it, retention keeps it, the audit trail names both', async () => {
    const full = await run(backup, ['create', '--dest', 'repo'], { env });
    const held = await run(backup, ['hold', full.json.id, '--dest', 'repo'], { env });
    expect(held).toMatchObject({ code: 0, json: { id: full.json.id, legalHold: true, placed: true } });
    const list = await run(backup, ['list', '--dest', 'repo']);
    expect(list.json.backups[0].legalHold).toBe(true);
    expect(list.text!.split('\n')[1]).toContain('yes');
    const released = await run(backup, ['release', full.json.id, '--dest', 'repo'], { env });
    expect(released.json).toEqual({ id: full.json.id, legalHold: false, released: true });
    expect((await run(backup, ['list', '--dest', 'repo'])).json.backups[0].legalHold).toBe(false);
    expect(await auditActions(storage)).toEqual(['backup-create', 'backup-hold', 'backup-release']);
  });

  it('run for a viewer: refused (FORBIDDEN) with nothing written, except the listing', async () => {
    const full = await run(backup, ['create', '--dest', 'repo'], { env });
    const before = filesUnder(join(dir, 'repo'));
    const viewer = await createStorage(config, {
      plugins: [backupPlugin],
      actor: { id: 'eve', role: 'viewer' },
    });
    try {
      const as = (command: typeof backup, argv: string[]) =>
        runCommand(command, argv, { storage: viewer, cwd: dir, env });
      for (const argv of [
        ['create', '--dest', 'repo'],
        ['prune', '--dest', 'repo'],
        ['verify', full.json.id, '--dest', 'repo'],
        ['hold', full.json.id, '--dest', 'repo'],
      ]) {
        await expect(as(backup, argv), argv.join(' ')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      await expect(as(restore, [full.json.id, '--to', 'stolen.db', '--dest', 'repo'])).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const list = await as(backup, ['list', '--dest', 'repo']);
      expect(list.json.backups.map((b: { id: string }) => b.id)).toEqual([full.json.id]);
    } finally {
      await viewer.close();
    }
    expect(filesUnder(join(dir, 'repo'))).toEqual(before);
    expect(readdirSync(dir)).not.toContain('stolen.db');
    expect(await auditActions(storage)).toEqual(['backup-create']);
  });
});
