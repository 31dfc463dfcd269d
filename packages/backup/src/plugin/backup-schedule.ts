import type { StorageConfig } from '@mainframe-kb/storage-core';
import type { TierSchedule } from '../scheduler/backup-scheduler.js';

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
