import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupScheduler, backupPlugin } from '../src/index.js';
import { PASSPHRASE } from './support/fixtures.js';

describe('the backup extension', () => {
  let dir: string;
  let storage: Storage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-plugin-'));
    process.env.KB_TEST_BACKUP_PASSPHRASE = PASSPHRASE;
    storage = await createStorage(
      {
        database: { path: join(dir, 'kb.db') },
        backup: {
          destinations: [
            { type: 'local', path: join(dir, 'repo-a') },
            { type: 'local', path: join(dir, 'repo-b') },
          ],
          encryption: { passphraseEnv: 'KB_TEST_BACKUP_PASSPHRASE' },
        },
      },
      { plugins: [backupPlugin] },
    );
    await storage.createEntries(generateCorpusArray({ count: 80, seed: 5 }));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.KB_TEST_BACKUP_PASSPHRASE;
  });

  it('storage.backup() and storage.restore() delegate to it, on every destination', async () => {
    const events: string[] = [];
    storage.on('backup:completed', (e) => events.push(`${e.type}:${e.trigger}`));
    const run = await storage.backup({ type: 'full' });
    expect(run.ok).toBe(true);
    expect(run.destinations.map((d) => d.destination)).toEqual([
      `local:${join(dir, 'repo-a')}`,
      `local:${join(dir, 'repo-b')}`,
    ]);
    expect(events).toEqual(['full:manual']);
    const restored = await storage.restore(run.id, { to: join(dir, 'copy.db') });
    expect(restored).toMatchObject({ restored: true, entryCount: 80 });
    // The second destination holds the same backup, independently readable.
    const fromB = await storage.restore(run.id, { to: join(dir, 'copy-b.db'), destination: 1 });
    expect(fromB.restored).toBe(true);
  });

  it('reports the last backup age as a health probe and counts backups in its metrics', async () => {
    let health = await storage.healthCheck();
    expect(health.probes.find((p) => p.name === 'backup-age')).toMatchObject({
      status: 'degraded',
      detail: 'no backup yet',
    });
    await storage.backup({ type: 'full' });
    health = await storage.healthCheck();
    expect(health.probes.find((p) => p.name === 'backup-age')?.status).toBe('healthy');
    const metrics = await storage.getMetrics();
    expect(metrics.extensions.backup).toMatchObject({ backupsCreated: 1, backupsFailed: 0 });
  });

  it('reports backup-age as a warning, never healthy, when no destination is configured', async () => {
    const bare = await createStorage(
      { database: { path: join(dir, 'bare.db') } },
      { plugins: [backupPlugin] },
    );
    try {
      const health = await bare.healthCheck();
      expect(health.probes.find((p) => p.name === 'backup-age')).toMatchObject({
        status: 'degraded',
        detail: expect.stringMatching(/^not configured/),
        data: { configured: false },
      });
      expect(health.status).not.toBe('healthy');
    } finally {
      await bare.close();
    }
  });

  it('a failed backup (no passphrase) is reported as an event and an error, never as plaintext', async () => {
    delete process.env.KB_TEST_BACKUP_PASSPHRASE;
    const failures: string[] = [];
    storage.on('backup:failed', (e) => failures.push(e.message));
    await expect(storage.backup({ type: 'full' })).rejects.toMatchObject({ reason: 'PASSPHRASE_REQUIRED' });
    expect(failures).toHaveLength(1);
    expect((await storage.getMetrics()).extensions.backup).toMatchObject({ backupsFailed: 1 });
  });
});

describe('scheduled backups are test-restored after they are taken (verifyAfterBackup)', () => {
  let dir: string;
  let storage: Storage;
  const open = async (verifyAfterBackup?: 'none' | 'full' | 'all', extra: Record<string, unknown> = {}) => {
    storage = await createStorage(
      {
        database: { path: join(dir, 'kb.db') },
        backup: {
          destinations: [{ type: 'local', path: join(dir, 'repo') }],
          encryption: { passphraseEnv: 'KB_TEST_BACKUP_PASSPHRASE' },
          policy: {
            full: { intervalMs: 86_400_000, keep: 3 },
            incremental: { intervalMs: 900_000, keep: 10 },
          },
        },
        mvp: {
          extensions: [
            {
              id: 'backup',
              options: { schedule: true, ...(verifyAfterBackup ? { verifyAfterBackup } : {}), ...extra },
            },
          ],
        },
      },
      { plugins: [backupPlugin] },
    );
    await storage.createEntries(generateCorpusArray({ count: 60, seed: 9 }));
    const verified: { id: string; type: string; ok: boolean; destination: string; failed: string[] }[] = [];
    storage.on('backup:verified', (e) => verified.push(e));
    const pruned: number[] = [];
    storage.on('backup:pruned', (e) => pruned.push(e.removed));
    const backups = storage.plugin(backupPlugin);
    return { scheduler: { runDue: (at: Date) => backups.runSchedule(at) }, verified, pruned };
  };
  const hours = (n: number) => new Date(Date.now() + n * 3_600_000);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-verify-'));
    process.env.KB_TEST_BACKUP_PASSPHRASE = PASSPHRASE;
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.KB_TEST_BACKUP_PASSPHRASE;
  });

  it('by default the full is verified, and restoring it uses the integrity record', async () => {
    const { scheduler, verified } = await open();
    expect(await scheduler.runDue(hours(25))).toBe('full');
    expect(verified).toHaveLength(1);
    expect(verified[0]).toMatchObject({ type: 'full', ok: true });
    await storage.createEntries(generateCorpusArray({ count: 5, seed: 10, idPrefix: 'later-' }));
    expect(await scheduler.runDue(hours(25.5))).toBe('incremental');
    // The default verifies fulls only.
    expect(verified).toHaveLength(1);
    const metrics = (await storage.getMetrics()).extensions.backup;
    expect(metrics).toMatchObject({ backupsCreated: 2, backupsVerified: 1, backupsVerifyFailed: 0 });
    const restored = await storage.restore(verified[0]!.id, { to: join(dir, 'copy.db') });
    expect(restored.checks.map((c) => c.name)).toContain('integrity-record');
    expect(restored.checks.map((c) => c.name)).not.toContain('integrity_check');
    expect(restored.checks.every((c) => c.ok)).toBe(true);
  });

  it('`all` verifies every scheduled backup, `none` none', async () => {
    const all = await open('all');
    await all.scheduler.runDue(hours(25));
    await storage.createEntries(generateCorpusArray({ count: 5, seed: 11, idPrefix: 'more-' }));
    await all.scheduler.runDue(hours(25.5));
    expect(all.verified.map((v) => `${v.type}:${v.ok}`)).toEqual(['full:true', 'incremental:true']);
    await storage.close();
    rmSync(join(dir, 'repo'), { recursive: true, force: true });
    const none = await open('none');
    expect(await none.scheduler.runDue(hours(25))).toBe('full');
    expect(none.verified).toEqual([]);
  });

  it('a failed test restore is an event and a metric, and the run does not prune', async () => {
    // The test restore's scratch folder cannot be made: its parent is a file.
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const { scheduler, verified, pruned } = await open('full', { scratchDir: join(blocker, 'scratch') });
    expect(await scheduler.runDue(hours(25))).toBe('full');
    expect(verified).toHaveLength(1);
    expect(verified[0]).toMatchObject({ type: 'full', ok: false, destination: `local:${join(dir, 'repo')}` });
    expect(verified[0]!.failed.join('\n')).toMatch(/test-restore/);
    expect(pruned).toEqual([]);
    expect((await storage.getMetrics()).extensions.backup).toMatchObject({
      backupsVerified: 0,
      backupsVerifyFailed: 1,
    });
    // A run without verification (an incremental, under `full`) prunes again.
    await storage.createEntries(generateCorpusArray({ count: 5, seed: 12, idPrefix: 'after-' }));
    expect(await scheduler.runDue(hours(25.5))).toBe('incremental');
    expect(pruned).toHaveLength(1);
  });

  it('refuses an unknown verifyAfterBackup value', async () => {
    await expect(open('weekly' as 'all')).rejects.toThrow(/verifyAfterBackup/);
    storage = await createStorage({ database: { path: join(dir, 'other.db') } });
  });
});

describe('BackupScheduler', () => {
  it('runs due tiers on its clock, the largest when several are due, and never two at once', async () => {
    let now = new Date('2026-11-28T00:00:00Z');
    const ran: string[] = [];
    const scheduler = new BackupScheduler({
      tiers: [
        { type: 'incremental', intervalMs: 15 * 60_000 },
        { type: 'differential', intervalMs: 60 * 60_000 },
        { type: 'full', cron: '0 3 * * *' },
      ],
      run: async (type) => {
        ran.push(`${now.toISOString().slice(11, 16)} ${type}`);
      },
      now: () => now,
    });
    for (let minute = 0; minute <= 4 * 60; minute += 15) {
      now = new Date(Date.UTC(2026, 10, 28, 0, minute));
      await scheduler.runDue(now);
    }
    expect(ran).toEqual([
      '00:15 incremental',
      '00:30 incremental',
      '00:45 incremental',
      '01:00 differential',
      '01:15 incremental',
      '01:30 incremental',
      '01:45 incremental',
      '02:00 differential',
      '02:15 incremental',
      '02:30 incremental',
      '02:45 incremental',
      '03:00 full',
      '03:15 incremental',
      '03:30 incremental',
      '03:45 incremental',
      '04:00 differential',
    ]);
  });

  it('a failing run is reported and the schedule goes on', async () => {
    const now = new Date('2026-11-28T00:00:00Z');
    const errors: string[] = [];
    const scheduler = new BackupScheduler({
      tiers: [{ type: 'full', intervalMs: 60_000 }],
      run: async () => {
        throw new Error('disk gone');
      },
      onError: (type, error) => errors.push(`${type}: ${(error as Error).message}`),
      now: () => now,
    });
    expect(await scheduler.runDue(new Date('2026-11-28T00:01:00Z'))).toBe('full');
    expect(errors).toEqual(['full: disk gone']);
    expect(scheduler.nextRuns()[0]!.at.toISOString()).toBe('2026-11-28T00:02:00.000Z');
  });
});
