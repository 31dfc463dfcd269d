/**
 * Stable error codes. Scripts and the CLI map these to exit codes; never rename one, only add.
 */
export const StorageErrorCode = {
  /** Input failed validation (bad entry, bad query, bad option). CLI exit 3. */
  VALIDATION: 'VALIDATION',
  /** The configuration is invalid. CLI exit 2. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** The thing asked for does not exist. CLI exit 4. */
  NOT_FOUND: 'NOT_FOUND',
  /** A uniqueness or reference constraint refused the write. */
  CONFLICT: 'CONFLICT',
  /** The method belongs to a plugin that is not enabled. */
  EXTENSION_NOT_ENABLED: 'EXTENSION_NOT_ENABLED',
  /** A plugin named in the config could not be loaded. */
  EXTENSION_NOT_INSTALLED: 'EXTENSION_NOT_INSTALLED',
  /** A plugin definition is malformed, duplicated or its dependencies are unmet. */
  EXTENSION_INVALID: 'EXTENSION_INVALID',
  /** A migration failed; the store was rolled back. */
  MIGRATION_FAILED: 'MIGRATION_FAILED',
  /** The ledger disagrees with the declared migrations (checksum drift, missing or unknown ids). */
  MIGRATION_DRIFT: 'MIGRATION_DRIFT',
  /** The declared migrations or namespaces are inconsistent (cycle, unknown namespace, duplicate id). */
  MIGRATION_INVALID: 'MIGRATION_INVALID',
  /** Another process holds the migration lock. */
  MIGRATION_LOCKED: 'MIGRATION_LOCKED',
  /** A rollback was asked through a migration declared irreversible or without `down`. */
  MIGRATION_IRREVERSIBLE: 'MIGRATION_IRREVERSIBLE',
  /** Pending migrations: the store must be migrated before use. */
  MIGRATION_PENDING: 'MIGRATION_PENDING',
  /** The disk or the database's page budget is full; the write was rolled back. */
  DISK_FULL: 'DISK_FULL',
  /** The database stayed locked by another writer past the busy timeout. */
  BUSY: 'BUSY',
  /** The database file is damaged or an integrity check failed. CLI exit 5. */
  INTEGRITY: 'INTEGRITY',
  /** The store was closed. */
  CLOSED: 'CLOSED',
  /** A database driver package is not installed. */
  DRIVER_MISSING: 'DRIVER_MISSING',
  /** The dialect or build cannot do what was asked. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** The actor's role does not allow the operation. */
  FORBIDDEN: 'FORBIDDEN',
  /**
   * The store is open read-only (`database.readonly`, or its file or folder is not writable): reads work,
   * the write was refused and nothing was written.
   */
  READ_ONLY: 'READ_ONLY',
  /**
   * The database file was deleted or replaced since the store opened it; the write was refused (it would
   * have gone into the unlinked file and been lost). Reopen the store.
   */
  DATABASE_REPLACED: 'DATABASE_REPLACED',
  /**
   * The audit chain is keyed but no key to sign with is available (a missing key file or variable): the
   * write is refused rather than chained without a key. docs/audit.md says where keys are looked for.
   */
  AUDIT_KEY_MISSING: 'AUDIT_KEY_MISSING',
  /** Any other database failure. */
  DATABASE: 'DATABASE',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];
