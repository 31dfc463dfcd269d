import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, createStorage, type Storage, type StorageConfigInput } from '@mainframe-kb/storage-core';
import { generateCorpusArray, rawAccessPlugin, rawDialect } from '@mainframe-kb/testkit';
import { Kysely, Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupManager } from '../src/engine/backup-manager.js';
import { backupPlugin, Repository } from '../src/index.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { PASSPHRASE } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

const ENV = 'KB_TEST_VIEWER_PASSPHRASE';
const VIEWER: Actor = { id: 'eve', role: 'viewer' };

/** Every file of a folder with the sha256 of its bytes: equal snapshots, nothing changed. */
function snapshot(root: string): Record<string, string> {
  return Object.fromEntries(
    filesUnder(root).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(join(root, f)))
        .digest('hex'),
    ]),
  );
}

async function auditRows(storage: Storage): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of storage.exportTables({ tables: ['kb_audit'] })) rows.push(...batch.rows);
  return rows;
}

/**
 * Everything reachable from `root` through own data properties (functions included, as objects), with the
 * path that reaches it.
 */
function reachable(root: unknown, path: string, out: Map<unknown, string>, depth = 0): void {
  if (root === null || (typeof root !== 'object' && typeof root !== 'function') || out.has(root)) return;
  if (depth > 8) return;
  out.set(root, path);
  for (const key of Reflect.ownKeys(root)) {
    const descriptor = Object.getOwnPropertyDescriptor(root, key);
    if (descriptor && 'value' in descriptor)
      reachable(descriptor.value, `${path}.${String(key)}`, out, depth + 1);
  }
}

describe('a viewer holding a store with the backup plugin', () => {
  let dir: string;
  let repoDir: string;
  let config: StorageConfigInput;
  let backupId: string;
  let auditBefore: number;
  let viewer: Storage;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-viewer-'));
    repoDir = join(dir, 'repo');
    process.env[ENV] = PASSPHRASE;
    config = {
      database: { type: 'sqlite', path: join(dir, 'kb.db') },
      backup: {
        destinations: [{ type: 'local', path: repoDir }],
        encryption: { passphraseEnv: ENV },
      },
    };
    const admin = await createStorage(config, { plugins: [backupPlugin] });
    try {
      await admin.createEntries(generateCorpusArray({ count: 40, seed: 21 }));
      const run = await admin.plugin(backupPlugin).create({ type: 'full' });
      expect(run.ok).toBe(true);
      backupId = run.id;
      auditBefore = (await auditRows(admin)).length;
    } finally {
      await admin.close();
    }
    viewer = await createStorage(config, { plugins: [backupPlugin, rawAccessPlugin], actor: VIEWER });
  }, 60_000);

  afterAll(async () => {
    await viewer?.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env[ENV];
  });

  it('is refused (FORBIDDEN) every operation that writes or decrypts, and nothing changes', async () => {
    const before = snapshot(repoDir);
    const otherRepo = join(dir, 'other-repo');
    const stolen = join(dir, 'stolen.db');
    const events: string[] = [];
    for (const name of ['backup:started', 'backup:completed', 'backup:failed', 'backup:pruned'] as const) {
      viewer.on(name, () => events.push(name));
    }
    const api = viewer.plugin(backupPlugin);
    const attempts: [string, () => Promise<unknown>][] = [
      ['create', () => api.create()],
      ['create elsewhere', () => api.create({ destination: otherRepo, passphrase: PASSPHRASE })],
      ['storage.backup', () => viewer.backup({ type: 'full' })],
      ['prune', () => api.prune()],
      ['restore to a file', () => api.restore(backupId, { to: stolen, passphrase: PASSPHRASE })],
      [
        'restore over the live store',
        () => api.restore(backupId, { overwrite: true, tables: ['kb_entries'] }),
      ],
      ['storage.restore', () => viewer.restore(backupId, { to: stolen })],
      ['passphrase change', () => api.changePassphrase('a new passphrase', { passphrase: PASSPHRASE })],
      ['verify with the key', () => api.verify(backupId, { passphrase: PASSPHRASE })],
      ['deep verify', () => api.verify(backupId, { deep: true })],
      ['verify everything', () => api.verify()],
      ['hold', () => api.hold(backupId)],
      ['release', () => api.release(backupId)],
      ['run the schedule', () => api.runSchedule()],
    ];
    for (const [what, attempt] of attempts) {
      await expect(attempt(), what).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(snapshot(repoDir)).toEqual(before);
    expect(existsSync(otherRepo)).toBe(false);
    expect(existsSync(stolen)).toBe(false);
    expect(events).toEqual([]);
    const admin = await createStorage(config, { plugins: [backupPlugin] });
    try {
      expect(await auditRows(admin)).toHaveLength(auditBefore);
      expect((await admin.plugin(backupPlugin).list()).backups.map((b) => b.id)).toEqual([backupId]);
    } finally {
      await admin.close();
    }
  });

  it('may list the backups: their clear metadata, which needs no key', async () => {
    const { backups, damaged } = await viewer.plugin(backupPlugin).list();
    expect(backups.map((b) => b.id)).toEqual([backupId]);
    expect(damaged).toEqual([]);
    expect(viewer.plugin(backupPlugin).schedule()).toMatchObject({ running: false });
  });

  it('reaches no database handle or manager through the API or what its functions return without arguments', async () => {
    const api = viewer.plugin(backupPlugin);
    const found = new Map<unknown, string>();
    reachable(api, 'api', found);
    // Every function, called with no argument (those whose arguments are all optional, and the others too).
    for (const [name, fn] of Object.entries(api)) {
      if (typeof fn !== 'function') continue;
      let result: unknown;
      try {
        result = await (fn as () => unknown)();
      } catch (error) {
        result = error;
      }
      reachable(result, `api.${name}()`, found);
    }
    const dialect = rawDialect(viewer);
    const handles = [...found].filter(
      ([value]) =>
        value === dialect ||
        value === dialect.db ||
        value instanceof Kysely ||
        value instanceof Transaction ||
        // what works below the role check, with its handles in private fields a walk cannot see
        value instanceof BackupManager ||
        value instanceof BackupVerifier ||
        value instanceof Repository ||
        // a dialect adapter or a plugin context, whatever its class
        (typeof value === 'object' &&
          value !== null &&
          ('writeTransaction' in value || ('authorize' in value && 'write' in value))),
    );
    expect(handles.map(([, path]) => path)).toEqual([]);
    // The walk did look somewhere: the API's functions and a listing at least.
    expect(found.size).toBeGreaterThan(10);
  });
});
