import type { BackupListing, BackupType } from '../manifest/backup-metadata.js';

/** How many backups of one tier to keep, and for how long (both limits apply when both are set). */
export interface RetentionTier {
  readonly keep: number;
  readonly maxAgeMs?: number | undefined;
}

export type RetentionPolicy = Readonly<Partial<Record<BackupType, RetentionTier>>>;

/** The requirements' tiers: 96 incrementals (a day at 15 min), 168 differentials (a week hourly), 30 fulls. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  incremental: { keep: 96 },
  differential: { keep: 168 },
  full: { keep: 30 },
};

export interface RetentionDecision {
  readonly keep: BackupListing[];
  readonly remove: BackupListing[];
  /** Why each kept backup is kept (`tier`, `legal-hold`, `base of <id>`). */
  readonly reasons: Readonly<Record<string, string>>;
}

/**
 * Decides which backups stay. Per source and per tier the newest `keep` within `maxAgeMs` stay; a legal hold
 * always stays; then every base a kept backup depends on stays too, so no chain loses its base.
 * A tier the policy does not name keeps everything of that type.
 */
export function applyRetention(
  backups: readonly BackupListing[],
  policy: RetentionPolicy,
  now: Date,
): RetentionDecision {
  const reasons: Record<string, string> = {};
  const bySource = new Map<string, BackupListing[]>();
  for (const b of backups) {
    const key = `${b.kind}|${b.source.dialect}|${b.source.location}`;
    bySource.set(key, [...(bySource.get(key) ?? []), b]);
  }
  for (const group of bySource.values()) {
    for (const type of ['full', 'differential', 'incremental'] as const) {
      const tier = policy[type];
      const ofType = group
        .filter((b) => b.type === type)
        .sort((a, b) => (a.timestamp < b.timestamp ? 1 : -1));
      ofType.forEach((b, rank) => {
        const young =
          tier?.maxAgeMs === undefined || now.getTime() - Date.parse(b.timestamp) <= tier.maxAgeMs;
        if (!tier || (rank < tier.keep && young)) reasons[b.id] ??= `${type} tier`;
      });
    }
  }
  for (const b of backups) if (b.legalHold) reasons[b.id] = 'legal hold';
  const byId = new Map(backups.map((b) => [b.id, b]));
  for (const b of backups) {
    if (!reasons[b.id]) continue;
    for (const base of b.dependsOn) if (byId.has(base)) reasons[base] ??= `base of ${b.id}`;
  }
  return {
    keep: backups.filter((b) => reasons[b.id]),
    remove: backups.filter((b) => !reasons[b.id]),
    reasons,
  };
}
