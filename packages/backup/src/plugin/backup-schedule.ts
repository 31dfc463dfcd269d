import { ConfigError, type StorageConfig, StorageErrorCode } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { BACKUP_TYPES } from '../manifest/backup-metadata.js';
import type { TierSchedule } from '../scheduler/backup-scheduler.js';
import { CronExpression, DEFAULT_TIMEZONE } from '../scheduler/cron-expression.js';

/** The tiers the policy schedules: its tiers with an interval or cron, else a full every `interval`. */
export function scheduleOf(config: StorageConfig): TierSchedule[] {
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

/** A cron expression that croner reads, in `timezone`, and that names at least one real minute. */
function cronSchema(timezone: string) {
  return z.string().superRefine((expression, ctx) => {
    try {
      new CronExpression(expression, timezone);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
}

/** The policy's tiers as far as scheduling goes: a tier's cron, when it has one, must be a valid expression. */
function policyScheduleSchema(timezone: string) {
  const tier = z.looseObject({ cron: cronSchema(timezone).optional() }).optional();
  return z.looseObject(Object.fromEntries(BACKUP_TYPES.map((type) => [type, tier]))).optional();
}

/**
 * Checks the cron expressions of `config.backup.policy` when the store opens, whether or not this process runs
 * the schedule: a ConfigError (CONFIG_INVALID, `kb` exits 2) names each bad tier, such as
 * `backup.policy.full.cron: cron expression '61 * * * *': Invalid value for minute: 61`.
 */
export function checkPolicySchedule(config: StorageConfig, timezone: string = DEFAULT_TIMEZONE): void {
  const result = policyScheduleSchema(timezone).safeParse(config.backup.policy);
  if (result.success) return;
  const issues = result.error.issues.map((issue) => ({
    path: ['backup', 'policy', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new ConfigError(
    `Invalid backup schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

/**
 * The schedule `kb backup schedule run` serves: the policy's tiers with an interval or a cron expression; with
 * no policy, a full every `config.backup.interval` when backups are enabled (`config.backup.enabled`, or the
 * plugin's `schedule` option). Anything else has no schedule: a CONFIG_INVALID error (exit 2) says what to set.
 */
export function configuredSchedule(
  config: StorageConfig,
  options: { schedule?: boolean | undefined },
): TierSchedule[] {
  const tiers = scheduleOf(config);
  if (config.backup.policy) {
    if (tiers.length > 0) return tiers;
    throw new BackupError(
      StorageErrorCode.CONFIG_INVALID,
      BackupFailure.NO_SCHEDULE,
      'no backup schedule is configured: config.backup.policy gives none of its tiers an intervalMs or a cron expression',
    );
  }
  if (config.backup.enabled || options.schedule === true) return tiers;
  throw new BackupError(
    StorageErrorCode.CONFIG_INVALID,
    BackupFailure.NO_SCHEDULE,
    'no backup schedule is configured: give the tiers of config.backup.policy an intervalMs or a cron expression, or set config.backup.enabled for a full backup every config.backup.interval',
  );
}
