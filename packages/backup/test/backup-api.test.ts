import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BackupApi, backupPlugin } from '../src/index.js';
import { PASSPHRASE } from './support/fixtures.js';

const ENV = 'KB_TEST_API_PASSPHRASE';

async function auditRows(storage: Storage): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of storage.exportTables({ tables: ['kb_audit'] })) rows.push(...batch.rows);
  return rows.filter((r) => String(r.action).startsWith('backup-'));
}

describe('the backup API: operations under the actor’s role, each change audited', () => {
  let dir: string;
  let storage: Storage;
  let api: BackupApi;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-api-'));
    process.env[ENV] = PASSPHRASE;
    storage = await createStorage(
      {
        database: { type: 'sqlite', path: join(dir, 'kb.db') },
        backup: {
          destinations: [{ type: 'local', path: join(dir, 'repo') }],
          encryption: { passphraseEnv: ENV },
          policy: { full: { intervalMs: 86_400_000, keep: 1 } },
        },
      },
      { plugins: [backupPlugin], actor: { id: 'ops', role: 'admin' } },
    );
    await storage.createEntries(generateCorpusArray({ count: 30, seed: 41 }));
    api = storage.plugin(backupPlugin);
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env[ENV];
  });

  it('records who created, verified, restored, held, pruned and re-keyed, never the passphrase', async () => {
    const first = await api.create({ type: 'full' });
    await api.verify(first.id);
    // Checksums only: nothing decrypted, nothing written, no audit row.
    await api.verify(first.id, { keyless: true });
    await api.restore(first.id, { to: join(dir, 'copy.db') });
    await api.hold(first.id);
    await api.release(first.id);
    await storage.createEntries(generateCorpusArray({ count: 3, seed: 42, idPrefix: 'more-' }));
    const second = await api.create({ type: 'full' });
    const pruned = await api.prune();
    expect(pruned[0]!.removed).toEqual([first.id]);
    await api.changePassphrase('a brand new passphrase');
    const rows = await auditRows(storage);
    expect(rows.map((r) => [r.action, r.entity, r.entity_id, r.actor])).toEqual([
      ['backup-create', 'backup', first.id, 'ops'],
      ['backup-verify', 'backup', first.id, 'ops'],
      ['backup-restore', 'backup', first.id, 'ops'],
      ['backup-hold', 'backup', first.id, 'ops'],
      ['backup-release', 'backup', first.id, 'ops'],
      ['backup-create', 'backup', second.id, 'ops'],
      ['backup-prune', 'backup', null, 'ops'],
      ['backup-passphrase', 'backup', null, 'ops'],
    ]);
    const details = rows.map((r) => String(r.detail)).join('\n');
    expect(details).not.toContain(PASSPHRASE);
    expect(details).not.toContain('a brand new passphrase');
    expect(JSON.parse(String(rows[2]!.detail))).toMatchObject({
      target: join(dir, 'copy.db'),
      entryCount: 30,
    });
    expect((await storage.verifyAuditChain()).ok).toBe(true);
    // The new passphrase opens the repository; the old one no longer does.
    expect((await api.verify(second.id, { passphrase: 'a brand new passphrase' })).ok).toBe(true);
    await expect(api.verify(second.id)).resolves.toMatchObject({ ok: false });
  });

  it('takes a destination folder and a passphrase per call, leaving the configured repository alone', async () => {
    const elsewhere = join(dir, 'elsewhere');
    const run = await api.create({ destination: elsewhere, passphrase: 'another passphrase' });
    expect(run.destinations.map((d) => d.destination)).toEqual([`local:${elsewhere}`]);
    expect(existsSync(join(dir, 'repo'))).toBe(false);
    expect((await api.list({ destination: elsewhere })).backups.map((b) => b.id)).toEqual([run.id]);
    // The configured repository's passphrase does not open this one.
    await expect(
      api.restore(run.id, { destination: elsewhere, to: join(dir, 'x.db') }),
    ).rejects.toMatchObject({
      reason: 'WRONG_PASSPHRASE',
    });
    const restored = await api.restore(run.id, {
      destination: elsewhere,
      passphrase: 'another passphrase',
      to: `sqlite:${join(dir, 'y.db')}`,
      tables: ['kb_entries', 'kb_tags'],
    });
    expect(restored).toMatchObject({ restored: true, entryCount: 30, target: join(dir, 'y.db') });
    // A row restore into a new SQLite file ends with integrity_check of that file.
    expect(restored.checks.find((c) => c.name === 'integrity_check')).toMatchObject({ ok: true });
    await expect(api.list({ destination: 7 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(api.create({ destination: '' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(api.create({ type: 'weekly' as 'full' })).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('reports the schedule and the last success as plain data', async () => {
    expect(api.schedule()).toEqual({ running: false, tiers: [], history: [] });
    expect(api.lastSuccess()).toBeUndefined();
    await expect(api.runSchedule()).rejects.toMatchObject({ reason: 'UNSUPPORTED' });
    await api.create();
    const last = api.lastSuccess()!;
    last.setFullYear(2000);
    expect(api.lastSuccess()!.getFullYear()).not.toBe(2000);
  });

  it('runs the policy’s schedule when asked, and says what it runs next', async () => {
    await storage.close();
    storage = await createStorage(
      {
        database: { type: 'sqlite', path: join(dir, 'kb.db') },
        backup: {
          destinations: [{ type: 'local', path: join(dir, 'repo') }],
          encryption: { passphraseEnv: ENV },
          policy: {
            full: { intervalMs: 86_400_000, keep: 2 },
            incremental: { cron: '*/15 * * * *', keep: 4 },
          },
        },
        mvp: { extensions: [{ id: 'backup', options: { schedule: true, verifyAfterBackup: 'none' } }] },
      },
      { plugins: [backupPlugin] },
    );
    api = storage.plugin(backupPlugin);
    const status = api.schedule();
    expect(status.running).toBe(true);
    expect(status.tiers.map((t) => [t.type, t.intervalMs ?? t.cron])).toEqual([
      ['full', 86_400_000],
      ['incremental', '*/15 * * * *'],
    ]);
    expect(Date.parse(status.tiers[0]!.next)).toBeGreaterThan(Date.now());
    const at = new Date(Date.now() + 25 * 3_600_000);
    expect(await api.runSchedule(at)).toBe('full');
    expect(api.schedule().history.map((h) => h.type)).toEqual(['full']);
    expect((await api.list()).backups).toHaveLength(1);
  });

  it('a schedule in a store a viewer holds runs nothing, and says so', async () => {
    await storage.close();
    storage = await createStorage(
      {
        database: { type: 'sqlite', path: join(dir, 'kb.db') },
        backup: {
          destinations: [{ type: 'local', path: join(dir, 'repo') }],
          encryption: { passphraseEnv: ENV },
          policy: { full: { intervalMs: 1_000, keep: 1 } },
        },
        mvp: { extensions: [{ id: 'backup', options: { schedule: true } }] },
      },
      { plugins: [backupPlugin], actor: { id: 'eve', role: 'viewer' } },
    );
    const errors: { operation: string; code: string }[] = [];
    storage.on('storage:error', (e) => errors.push(e));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(errors[0]).toMatchObject({ operation: 'backup.schedule full', code: 'FORBIDDEN' });
    expect(existsSync(join(dir, 'repo'))).toBe(false);
  });
});
