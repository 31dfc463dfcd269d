export type BackupType = 'full' | 'incremental' | 'differential';
export type BackupKind = 'physical' | 'logical';

export const BACKUP_TYPES: readonly BackupType[] = ['full', 'incremental', 'differential'];

/** Per-table row count and content hash, as storage-core's `contentHash()` computes them. */
export interface TableDigest {
  readonly rows: number;
  readonly hash: string;
}

/** A plugin enabled in the backed-up store: a restore opens a new target with those that own its tables. */
export interface BackupPluginRecord {
  readonly id: string;
  readonly version: string;
  /** The package that ships it, which a restore loads; null when the plugin named none. */
  readonly package: string | null;
  /** The tables it owns. */
  readonly tables: readonly string[];
}

/**
 * The requirements' `BackupMetadata`, as stored in the clear part of a manifest (authenticated by the
 * encrypted part). Dates are ISO strings so the JSON round-trips.
 */
export interface BackupMetadata {
  readonly id: string;
  readonly type: BackupType;
  /** Physical: page image of a SQLite file. Logical: portable table rows, restorable into any dialect. */
  readonly kind: BackupKind;
  readonly timestamp: string;
  /** Of the database image (physical) or of the canonical row stream (logical). */
  readonly checksum: string;
  readonly checksumAlgorithm: 'sha256';
  readonly encryption: { readonly algorithm: 'aes-256-gcm'; readonly kdf: 'scrypt' } | null;
  readonly compression: { readonly algorithm: 'zstd' | 'none'; readonly level: number };
  /** Bytes of the database image (physical) or of the row stream (logical). */
  readonly dataSize: number;
  /** Bytes this backup added to the repository: new packs plus its manifest. */
  readonly compressedSize: number;
  /** Stored bytes of every blob needed to restore it (its own and its chain's). */
  readonly referencedSize: number;
  readonly entryCount: number;
  readonly mvpVersion: string;
  /** Migrations applied to the backed-up store (all namespaces). */
  readonly schemaVersion: number;
  /** The manifest's key in the repository. */
  readonly filePath: string;
  /** The destination's name. */
  readonly destination: string;
  /** Backups this one needs to restore, oldest (the full) first; empty for a full or a logical backup. */
  readonly dependsOn: readonly string[];
  /** Expected recovery time in ms, from the policy. */
  readonly recoverySLA: number;
  /** Retention tier that keeps it (`full`, `differential`, `incremental`). */
  readonly retentionPolicy: string;
  readonly legalHold: boolean;
  readonly complianceFlags: readonly string[];
  /** Which store it came from (dialect and location), so chains never mix two stores. */
  readonly source: { readonly dialect: string; readonly location: string };
  /** Packs holding the blobs it references (its chain's included), so `verify` can check them keyless. */
  readonly packs: readonly string[];
  /** Bytes of the manifest body once decrypted and decompressed. */
  readonly bodyBytes: number;
  /** The plugins the store ran with; absent from manifests written before they were recorded. */
  readonly plugins?: readonly BackupPluginRecord[];
}

/** A legal hold on a backup: while it is in force, no retention or delete removes the backup. */
export interface LegalHold {
  /** ISO time the hold was placed (a backup created held: its timestamp); null when its record is damaged. */
  readonly since: string | null;
  readonly reason: string | null;
  /** The actor who placed it, when known. */
  readonly actor: string | null;
}

/** What `list` reports: the stored metadata plus the overlays written later (legal hold, last verification). */
export interface BackupListing extends BackupMetadata {
  /** Last successful verification, ISO time, or null. */
  readonly testVerified: string | null;
  /** The legal hold in force, or null (`legalHold` says the same as a boolean). */
  readonly hold: LegalHold | null;
}
