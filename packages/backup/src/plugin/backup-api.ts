import type {
  BackupRunResult,
  CreateBackupOptions,
  PruneResult,
  RestoreOptions,
  RestoreResult,
} from '../engine/backup-manager.js';
import type { BackupListing, BackupType } from '../manifest/backup-metadata.js';
import type { SchedulerRun } from '../scheduler/backup-scheduler.js';
import type { VerificationReport, VerifyOptions } from '../verify/backup-verifier.js';

/** What every call may choose instead of the config: where the repository is and its passphrase. */
export interface BackupCallOptions {
  /**
   * The repository to use for this call only: a folder path (a local repository there), or the index or name
   * of one of `config.backup.destinations`. Default: every configured destination (the first, for the calls
   * that read one).
   */
  readonly destination?: string | number;
  /** The repository's passphrase (default: the variable `config.backup.encryption.passphraseEnv` names). */
  readonly passphrase?: string;
}

export type BackupCreateOptions = CreateBackupOptions & BackupCallOptions;
export type BackupRestoreOptions = Omit<RestoreOptions, 'destination'> & BackupCallOptions;
export type BackupVerifyOptions = Omit<VerifyOptions, 'destination'> & BackupCallOptions;

export interface BackupList {
  /** Readable backups, oldest first. */
  readonly backups: readonly BackupListing[];
  /** Manifests that could not be read, with the reason. */
  readonly damaged: readonly string[];
}

/** The schedule run by this process (`options.schedule` or `config.backup.enabled`). */
export interface ScheduleStatus {
  readonly running: boolean;
  readonly tiers: readonly {
    readonly type: BackupType;
    readonly intervalMs?: number;
    readonly cron?: string;
    /** ISO time of the tier's next run. */
    readonly next: string;
  }[];
  /** The runs so far, oldest first. */
  readonly history: readonly SchedulerRun[];
}

/**
 * The backup plugin's API, `storage.plugin(backupPlugin)`: operations, each checked against the actor's role
 * (`backup.create`, `backup.restore`, `backup.verify`, `backup.prune`, `backup.hold` and `backup.passphrase`
 * need admin; `backup.list` viewer) and, when it changes the repository or the store, recorded in the audit
 * trail. It hands out no manager, repository key or database handle.
 */
export interface BackupApi {
  /**
   * Backs up the store on every destination (or the call's): a result per destination, never thrown halfway.
   * Emits `backup:started` and `backup:completed` / `backup:failed`.
   */
  create(options?: BackupCreateOptions): Promise<BackupRunResult>;
  /** The backups of a destination, oldest first. Needs no passphrase. */
  list(options?: BackupCallOptions): Promise<BackupList>;
  /**
   * Checksums and chain of one backup (or, without an id, of every backup and object); with a passphrase
   * every blob decrypts and every page matches; `deep` also test-restores.
   */
  verify(id?: string, options?: BackupVerifyOptions): Promise<VerificationReport>;
  /** Applies retention on every destination (or the call's), then sweeps what no kept backup needs. */
  prune(options?: BackupCallOptions): Promise<PruneResult[]>;
  /** Restores into a new file (default), another store, or chosen tables; nothing is written unless it checks. */
  restore(id: string, options?: BackupRestoreOptions): Promise<RestoreResult>;
  /** Puts a legal hold on a backup on every destination (or the call's): retention keeps it. */
  hold(id: string, options?: BackupCallOptions): Promise<void>;
  /** Lifts a legal hold. */
  release(id: string, options?: BackupCallOptions): Promise<void>;
  /** Re-wraps each destination's key under a new passphrase (`options.passphrase` is the current one). */
  changePassphrase(newPassphrase: string, options?: BackupCallOptions): Promise<void>;
  /** The schedule this process runs, if any. */
  schedule(): ScheduleStatus;
  /** Runs what the schedule has due at `at` (default now): at most one backup, with its verify and prune. */
  runSchedule(at?: Date): Promise<BackupType | undefined>;
  /** Time of the last successful backup made by this process, or undefined. */
  lastSuccess(): Date | undefined;
}

declare module '@mainframe-kb/storage-core' {
  interface StorageEvents {
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

  interface PluginMethods {
    /** The seed interface's backup: `create` of the backup plugin, throwing when no destination took it. */
    backup(options?: BackupCreateOptions): Promise<BackupRunResult>;
    /** The seed interface's restore: `restore` of the backup plugin. */
    restore(id: string, options?: BackupRestoreOptions): Promise<RestoreResult>;
  }
}
