// Public surface of @mainframe-kb/backup: the `backup` plugin for storage-core (its API, flat methods and `kb`
// commands), the repository format on a pluggable destination, retention and the scheduler. The manager and
// verifier are internal: they work below the role check, which only the plugin's API applies.

export type { KdfParams } from './crypto/kdf-params.js';
export { assertKdfBounds, DEFAULT_KDF, KDF_BOUNDS } from './crypto/kdf-params.js';
export type { Destination, DestinationLock } from './destination/destination.js';
export { LocalDestination } from './destination/local-destination.js';
export type {
  BackupRunResult,
  CreateBackupOptions,
  DestinationOutcome,
  PruneResult,
  RestoreOptions,
  RestoreResult,
} from './engine/backup-manager.js';
export type { BackupProgress } from './engine/physical-backup.js';
export { BackupError, BackupFailure, isBackupError } from './errors/backup-error.js';
export type {
  BackupKind,
  BackupListing,
  BackupMetadata,
  BackupType,
  LegalHold,
  TableDigest,
} from './manifest/backup-metadata.js';
export { BACKUP_TYPES } from './manifest/backup-metadata.js';
export type {
  BackupApi,
  BackupCallOptions,
  BackupCreateOptions,
  BackupHoldOptions,
  BackupList,
  BackupRestoreOptions,
  BackupVerifyOptions,
  HoldResult,
  ReleaseResult,
  ScheduleEvent,
  ScheduleServeOptions,
  ScheduleServeSummary,
  ScheduleStatus,
} from './plugin/backup-api.js';
export type { BackupPluginOptions } from './plugin/backup-options.js';
// The plugin itself, as `config.mvp.extensions: [{ id: 'backup' }]` and the CLI's installed-plugin discovery
// load it.
export { backupPlugin, backupPlugin as default, backupPlugin as plugin } from './plugin/backup-plugin.js';
export { checkPolicySchedule, configuredSchedule, scheduleOf } from './plugin/backup-schedule.js';
export { DEFAULT_COMPRESSION_LEVEL } from './repository/blob-codec.js';
export type { RepositoryOptions } from './repository/repository.js';
export { Repository } from './repository/repository.js';
export type { CheckResult, IntegrityLevel } from './restore/restore-checks.js';
export type { RetentionDecision, RetentionPolicy, RetentionTier } from './retention/retention-policy.js';
export { applyRetention, DEFAULT_RETENTION } from './retention/retention-policy.js';
export type { SchedulerOptions, SchedulerRun, Sleep, TierSchedule } from './scheduler/backup-scheduler.js';
export { BackupScheduler, sleepUnlessAborted } from './scheduler/backup-scheduler.js';
export { CronExpression, DEFAULT_TIMEZONE, isTimeZone } from './scheduler/cron-expression.js';
export type { SnapshotMethod } from './sqlite/capture-store.js';
export type { SourceComparison, VerificationReport, VerifyOptions } from './verify/backup-verifier.js';
