import {
  definePlugin,
  type HealthProbe,
  type PluginContext,
  type Storage,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { z } from 'zod';
import {
  BackupManager,
  type BackupRunResult,
  type CreateBackupOptions,
  type RestoreOptions,
  type RestoreResult,
} from '../engine/backup-manager.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupType } from '../manifest/backup-metadata.js';
import { BackupScheduler, type TierSchedule } from '../scheduler/backup-scheduler.js';
import { BackupVerifier } from '../verify/backup-verifier.js';

declare module '@mainframe-kb/storage-core' {
  interface StorageEvents {
    /** Internal: lets the extension reach the store it is attached to (see `hostOf`). */
    'backup:started': { type: BackupType; trigger: 'manual' | 'schedule' };
    'backup:completed': {
      id: string;
      type: BackupType;
      durationMs: number;
      storedBytes: number;
      trigger: 'manual' | 'schedule';
    };
    'backup:failed': { type: BackupType; message: string; trigger: 'manual' | 'schedule' };
    'backup:pruned': { removed: number; packsRemoved: number; bytesFreed: number };
    /**
     * A test restore of a scheduled backup on one destination (`verifyAfterBackup`): `failed` names the checks
     * that failed.
     */
    'backup:verified': {
      id: string;
      type: BackupType;
      destination: string;
      ok: boolean;
      durationMs: number;
      failed: string[];
    };
  }
}

const optionsSchema = z.strictObject({
  /** Run the policy's schedule in this process (default: `config.backup.enabled`). */
  schedule: z.boolean().optional(),
  scratchDir: z.string().min(1).optional(),
  contentCheck: z.enum(['hash', 'counts']).optional(),
  /** Prune after each scheduled backup (default true). */
  pruneAfterBackup: z.boolean().default(true),
  /**
   * Test-restore scheduled backups of these types right after they are taken (`kb backup verify --deep`):
   * `full` (default) the daily full only, `all` every backup, `none` never. A backup that passed is restored
   * without running integrity_check again (its integrity record proves the image); its failure is an event.
   */
  verifyAfterBackup: z.enum(['none', 'full', 'all']).default('full'),
});

/** The extension's typed API: `storage.extension(backupPlugin)`. */
export interface BackupApi {
  manager(): BackupManager;
  verifier(): BackupVerifier;
  readonly scheduler: BackupScheduler | undefined;
  /** Time of the last successful backup made by this process, or undefined. */
  lastSuccess(): Date | undefined;
}

/** The tiers the policy schedules: its tiers with an interval or cron, else a full every `interval`. */
export function scheduleOf(config: Storage['config']): TierSchedule[] {
  const policy = config.backup.policy;
  if (!policy) return [{ type: 'full', intervalMs: config.backup.interval }];
  const tiers: TierSchedule[] = [];
  for (const type of ['full', 'differential', 'incremental'] as const) {
    const tier = policy[type];
    if (tier && (tier.intervalMs !== undefined || tier.cron !== undefined)) {
      tiers.push({
        type,
        ...(tier.cron !== undefined ? { cron: tier.cron } : { intervalMs: tier.intervalMs }),
      });
    }
  }
  return tiers;
}

/**
 * The `backup` extension: `storage.backup()` and `storage.restore()` delegate to it, it reports the age of the
 * last successful backup as a health probe and backup counters as metrics, and (with `config.backup.enabled`)
 * runs the policy's schedule in the process that holds the store open.
 */
export const backupPlugin = definePlugin({
  id: 'backup',
  version: '0.1.0',
  mvp: 1,
  package: '@mainframe-kb/backup',
  description: 'Encrypted, compressed, page-level incremental backups with retention and verification',
  dependsOn: { core: '^0.1.0' },
  setup(ctx: PluginContext) {
    const parsed = optionsSchema.safeParse(ctx.options);
    if (!parsed.success) {
      throw new BackupError(
        StorageErrorCode.CONFIG_INVALID,
        BackupFailure.UNSUPPORTED,
        `backup extension options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const options = parsed.data;
    let manager: BackupManager | undefined;
    let lastSuccess: Date | undefined;
    const counters = {
      created: 0,
      failed: 0,
      lastDurationMs: 0,
      lastStoredBytes: 0,
      verified: 0,
      verifyFailed: 0,
    };

    const managerOf = (): BackupManager => {
      if (!manager) {
        manager = new BackupManager(ctx.storage(), {
          ...(options.scratchDir ? { scratchDir: options.scratchDir } : {}),
          ...(options.contentCheck ? { contentCheck: options.contentCheck } : {}),
        });
      }
      return manager;
    };

    const create = async (
      request: CreateBackupOptions,
      trigger: 'manual' | 'schedule',
    ): Promise<BackupRunResult> => {
      const type = request.type ?? 'full';
      ctx.emit('backup:started', { type, trigger });
      let result: BackupRunResult;
      try {
        result = await ctx.read('backup.create', () => managerOf().create(request));
      } catch (error) {
        counters.failed += 1;
        ctx.emit('backup:failed', {
          type,
          message: error instanceof Error ? error.message : String(error),
          trigger,
        });
        throw error;
      }
      const stored = result.destinations.reduce((sum, d) => sum + (d.metadata?.compressedSize ?? 0), 0);
      counters.lastDurationMs = result.durationMs;
      if (result.ok) {
        counters.created += 1;
        counters.lastStoredBytes = stored;
        lastSuccess = new Date();
        ctx.emit('backup:completed', {
          id: result.id,
          type: result.type,
          durationMs: result.durationMs,
          storedBytes: stored,
          trigger,
        });
      } else {
        counters.failed += 1;
        const message = result.destinations
          .map((d) => d.error?.message)
          .filter(Boolean)
          .join('; ');
        ctx.emit('backup:failed', { type, message, trigger });
        if (result.destinations.every((d) => d.error)) throw result.destinations[0]!.error;
      }
      return result;
    };

    /** Set when the extension stops: a verification cut short by the shutdown is not a failed one. */
    let stopping = false;

    /**
     * The deep verification of a scheduled backup on every destination (one `backup:verified` event and one
     * count each); a failure is reported, not thrown. Returns whether every destination's passed.
     */
    const verifyScheduled = async (result: BackupRunResult): Promise<boolean> => {
      const verifier = new BackupVerifier(managerOf());
      let allPassed = true;
      for (let destination = 0; destination < result.destinations.length; destination += 1) {
        if (stopping) return false;
        const started = performance.now();
        let failed: string[];
        try {
          const report = await ctx.read('backup.verify', () =>
            // The comparison with the live store only informs, and right after the backup it has nothing to say.
            verifier.verify(result.id, { deep: true, destination, compareSource: false }),
          );
          failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
          if (!report.ok && failed.length === 0) failed = ['verification failed'];
        } catch (error) {
          if (stopping) return false;
          failed = [`verification could not run: ${error instanceof Error ? error.message : String(error)}`];
        }
        if (failed.length === 0) counters.verified += 1;
        else counters.verifyFailed += 1;
        allPassed &&= failed.length === 0;
        ctx.emit('backup:verified', {
          id: result.id,
          type: result.type,
          destination: result.destinations[destination]!.destination,
          ok: failed.length === 0,
          durationMs: performance.now() - started,
          failed,
        });
      }
      return allPassed;
    };

    const tiers = scheduleOf(ctx.config);
    const scheduler =
      (options.schedule ?? ctx.config.backup.enabled) && tiers.length > 0
        ? new BackupScheduler({
            tiers,
            run: async (type) => {
              const result = await create({ type }, 'schedule');
              const verify =
                result.ok &&
                (options.verifyAfterBackup === 'all' ||
                  (options.verifyAfterBackup === 'full' && result.type === 'full'));
              // A backup that failed its test restore must not count toward retention: pruning now could
              // delete the last good backup it would replace. The next run prunes.
              const verified = verify ? await verifyScheduled(result) : true;
              if (options.pruneAfterBackup && verified && !stopping) {
                const pruned = await managerOf().prune();
                ctx.emit('backup:pruned', {
                  removed: pruned.reduce((n, p) => n + p.removed.length, 0),
                  packsRemoved: pruned.reduce((n, p) => n + p.packsRemoved, 0),
                  bytesFreed: pruned.reduce((n, p) => n + p.bytesFreed, 0),
                });
              }
            },
          })
        : undefined;

    /** The newest backup's age, from this process's last success or else the first destination's listing. */
    const lastBackupAt = async (): Promise<Date | undefined> => {
      if (lastSuccess) return lastSuccess;
      const m = managerOf();
      if (m.destinations.length === 0) return undefined;
      const { backups } = await m.list();
      const newest = backups[backups.length - 1];
      return newest ? new Date(newest.timestamp) : undefined;
    };
    const expectedEveryMs = Math.min(
      ...tiers.map((t) => t.intervalMs ?? 86_400_000),
      ctx.config.backup.interval,
    );
    const ageProbe: HealthProbe = {
      name: 'backup-age',
      run: async () => {
        if (managerOf().destinations.length === 0) {
          return ctx.config.backup.enabled
            ? { status: 'unhealthy', detail: 'backups are enabled but no destination is configured' }
            : { status: 'healthy', detail: 'no backup destination configured' };
        }
        const at = await lastBackupAt();
        if (!at)
          return { status: ctx.config.backup.enabled ? 'unhealthy' : 'degraded', detail: 'no backup yet' };
        const ageSeconds = Math.round((Date.now() - at.getTime()) / 1000);
        const data = { ageSeconds, lastBackupAt: at.toISOString() };
        if (ageSeconds * 1000 > 2 * expectedEveryMs) {
          return { status: 'degraded', detail: `the last successful backup is ${ageSeconds} s old`, data };
        }
        return { status: 'healthy', detail: `last successful backup ${ageSeconds} s ago`, data };
      },
    };

    scheduler?.start();
    const api: BackupApi = {
      manager: managerOf,
      verifier: () => new BackupVerifier(managerOf()),
      scheduler,
      lastSuccess: () => lastSuccess,
    };
    return {
      api,
      methods: {
        backup: (request: CreateBackupOptions = {}) => create(request, 'manual'),
        restore: (id: string, request: RestoreOptions = {}): Promise<RestoreResult> =>
          ctx.read('backup.restore', () => managerOf().restore(id, request)),
      },
      permissions: { 'backup.create': 'admin', 'backup.restore': 'admin', 'backup.verify': 'admin' },
      contributes: {
        healthProbes: [ageProbe],
        metrics: () => ({
          backupsCreated: counters.created,
          backupsFailed: counters.failed,
          lastBackupDurationMs: counters.lastDurationMs,
          lastBackupStoredBytes: counters.lastStoredBytes,
          lastSuccessAgeSeconds: lastSuccess ? Math.round((Date.now() - lastSuccess.getTime()) / 1000) : -1,
          backupsVerified: counters.verified,
          backupsVerifyFailed: counters.verifyFailed,
        }),
      },
      stop: () => {
        stopping = true;
        return scheduler?.stop();
      },
    };
  },
});
