import type {
  BackupRunResult,
  CreateBackupOptions,
  PruneResult,
  RestoreOptions,
  RestoreResult,
} from '../engine/backup-manager.js';
import type { BackupListing, BackupType, LegalHold } from '../manifest/backup-metadata.js';
import type { SchedulerRun, Sleep } from '../scheduler/backup-scheduler.js';
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
export interface BackupHoldOptions extends BackupCallOptions {
  /** Why the backup is held (a case, a ticket): recorded with the hold, at most 1,000 characters. */
  readonly reason?: string;
}
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

/** What `hold` did. */
export interface HoldResult {
  readonly id: string;
  readonly legalHold: true;
  /** The hold in force (on the first destination that holds the backup). */
  readonly hold: LegalHold;
  /** False when the backup was already held everywhere: the existing holds were kept as they were. */
  readonly placed: boolean;
  /** The destinations that hold the backup (those that never took it are left out). */
  readonly destinations: readonly { readonly destination: string; readonly placed: boolean }[];
}

/** What `release` did. */
export interface ReleaseResult {
  readonly id: string;
  readonly legalHold: false;
  /** False when the backup was not held: nothing was written, and no audit row. */
  readonly released: boolean;
  readonly destinations: readonly { readonly destination: string; readonly released: boolean }[];
}

/**
 * What `serveSchedule` reports, one event at a time (`kb backup schedule run --json` prints each as one line).
 * Times are ISO strings of the schedule's clock.
 */
export type ScheduleEvent =
  | {
      readonly event: 'started';
      readonly at: string;
      /** The zone the cron tiers are read in. */
      readonly timezone: string;
      readonly tiers: readonly {
        readonly type: BackupType;
        readonly intervalMs?: number;
        readonly cron?: string;
        readonly next: string;
      }[];
    }
  | {
      /** A scheduled backup ran (`ok` false: no destination, or not every one, took it). */
      readonly event: 'backup';
      readonly at: string;
      readonly type: BackupType;
      readonly id: string;
      readonly ok: boolean;
      readonly durationMs: number;
      readonly destinations: readonly {
        readonly destination: string;
        readonly ok: boolean;
        readonly error?: string;
      }[];
      /** Whether its test restore passed everywhere; null when none ran (`verifyAfterBackup`, or stopping). */
      readonly verified: boolean | null;
      /** Backups retention removed after it; null when no prune ran. */
      readonly pruned: number | null;
      /** The prune after it failed (the backup stands). */
      readonly pruneError?: string;
    }
  | {
      /** A scheduled run failed before a backup was made (a locked repository, a refused role …). */
      readonly event: 'failed';
      readonly at: string;
      readonly type: BackupType;
      readonly code: string;
      readonly message: string;
    }
  | {
      /** The signal aborted: `finishing` names the backup still running, which completes first. */
      readonly event: 'stopping';
      readonly at: string;
      readonly reason: string;
      readonly finishing?: BackupType;
    }
  | { readonly event: 'stopped'; readonly at: string; readonly backups: number; readonly failed: number };

export interface ScheduleServeOptions extends BackupCallOptions {
  /** Stops the schedule: a backup in progress finishes, nothing new starts. */
  readonly signal: AbortSignal;
  readonly onEvent?: (event: ScheduleEvent) => void;
  /** The clock (default the system's); tests pass their own with `sleep`. */
  readonly now?: () => Date;
  /** How to wait for the next run; must return early when the signal aborts (default: a timer). */
  readonly sleep?: Sleep;
}

export interface ScheduleServeSummary {
  /** Scheduled backups that every destination took. */
  readonly backups: number;
  /** Scheduled runs that failed, or that not every destination took. */
  readonly failed: number;
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
  /**
   * Puts a legal hold on a backup on every destination (or the call's) that holds it: no retention or delete
   * removes it until it is released. NOT_FOUND when no destination holds the backup. A hold already in force
   * is kept as it was.
   */
  hold(id: string, options?: BackupHoldOptions): Promise<HoldResult>;
  /** Lifts a legal hold; a backup that is not held is left as it is (`released: false`). */
  release(id: string, options?: BackupCallOptions): Promise<ReleaseResult>;
  /** Re-wraps each destination's key under a new passphrase (`options.passphrase` is the current one). */
  changePassphrase(newPassphrase: string, options?: BackupCallOptions): Promise<void>;
  /** The schedule this process runs, if any. */
  schedule(): ScheduleStatus;
  /** Runs what the schedule has due at `at` (default now): at most one backup, with its verify and prune. */
  runSchedule(at?: Date): Promise<BackupType | undefined>;
  /**
   * Serves the configured schedule in the foreground until `options.signal` aborts (`kb backup schedule run`):
   * the policy's tiers with an interval or cron, or a full every `config.backup.interval` when backups are
   * enabled; CONFIG_INVALID when there is none. Needs admin (`backup.create`).
   */
  serveSchedule(options: ScheduleServeOptions): Promise<ScheduleServeSummary>;
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
    /**
     * The seed interface's `restore(backupPath, options)`: `restore` of the backup plugin, given a backup id
     * or an absolute path `<repository folder>/<id>` (which names the destination too).
     */
    restore(backupPath: string, options?: BackupRestoreOptions): Promise<RestoreResult>;
  }
}
