import { StorageError, type StorageErrorCode } from '@mainframe-kb/storage-core';

/**
 * Why a backup operation failed, finer than storage-core's codes. Stable: scripts may match on it
 * (`error.details.reason`); never rename one, only add.
 */
export const BackupFailure = {
  /** The passphrase does not unwrap the repository's master key. */
  WRONG_PASSPHRASE: 'WRONG_PASSPHRASE',
  /** A passphrase is needed (the repository is encrypted) and none was given. */
  PASSPHRASE_REQUIRED: 'PASSPHRASE_REQUIRED',
  /** The repository's key-derivation parameters are outside the accepted bounds. */
  KDF_OUT_OF_BOUNDS: 'KDF_OUT_OF_BOUNDS',
  /** A stored object's bytes do not match its checksum or its authentication tag. */
  OBJECT_CORRUPT: 'OBJECT_CORRUPT',
  /** A stored object a backup needs is missing. */
  OBJECT_MISSING: 'OBJECT_MISSING',
  /** The repository's config is missing, malformed or from an unknown format version. */
  REPOSITORY_INVALID: 'REPOSITORY_INVALID',
  /** The policy demands encryption and the repository is plaintext, or the reverse. */
  ENCRYPTION_MISMATCH: 'ENCRYPTION_MISMATCH',
  /** Another process holds the repository's write lock. */
  REPOSITORY_LOCKED: 'REPOSITORY_LOCKED',
  /** A name or path would lead outside the place it must stay in. */
  PATH_ESCAPE: 'PATH_ESCAPE',
  /** A restored database failed integrity, foreign-key or content checks. */
  RESTORE_CHECK_FAILED: 'RESTORE_CHECK_FAILED',
  /** The restore target exists (or is the live store) and overwriting was not asked for. */
  TARGET_EXISTS: 'TARGET_EXISTS',
  /** The backup's chain is broken: a base it depends on is missing. */
  CHAIN_BROKEN: 'CHAIN_BROKEN',
  /** The operation is not available for this dialect or backup kind. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** A write of the backup or restore found the disk (or a quota) full; what it wrote was removed. */
  DISK_FULL: 'DISK_FULL',
  /** A plugin whose tables the backup holds cannot be loaded to open the restore's target. */
  PLUGIN_MISSING: 'PLUGIN_MISSING',
  /** The destination named (a repository folder) does not exist. */
  DESTINATION_MISSING: 'DESTINATION_MISSING',
  /** The backup is under legal hold: nothing deletes it until the hold is released. */
  LEGAL_HOLD: 'LEGAL_HOLD',
  /** No backup schedule is configured for the scheduler to run. */
  NO_SCHEDULE: 'NO_SCHEDULE',
} as const;

export type BackupFailure = (typeof BackupFailure)[keyof typeof BackupFailure];

/** A StorageError with the backup-specific `reason` in `details.reason` and on the error itself. */
export class BackupError extends StorageError {
  override readonly name = 'BackupError';
  readonly reason: BackupFailure;

  constructor(
    code: StorageErrorCode,
    reason: BackupFailure,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, { cause: options.cause, details: { reason, ...options.details } });
    this.reason = reason;
  }
}

export function isBackupError(value: unknown, reason?: BackupFailure): value is BackupError {
  return value instanceof BackupError && (reason === undefined || value.reason === reason);
}
