import { promises as fs } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  type PluginContext,
  parseDatabaseUrl,
  type Storage,
  type StorageConfig,
  StorageErrorCode,
  type TableContribution,
} from '@mainframe-kb/storage-core';
import type { ContentCheckMode, contentOf } from '../content/image-content.js';
import type { KdfParams } from '../crypto/kdf-params.js';
import type { Destination } from '../destination/destination.js';
import { LocalDestination } from '../destination/local-destination.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type {
  BackupListing,
  BackupMetadata,
  BackupPluginRecord,
  BackupType,
  LegalHold,
} from '../manifest/backup-metadata.js';
import type { ManifestBody, TableSpec } from '../manifest/manifest-body.js';
import {
  deleteManifest,
  readClearMetadata,
  readHold,
  readManifest,
  requireManifest,
  scanManifests,
  withOverlays,
  writeLegalHold,
} from '../manifest/manifest-store.js';
import { DEFAULT_COMPRESSION_LEVEL, MAX_BLOB_BYTES } from '../repository/blob-codec.js';
import { type BlobWorkers, blobWorkers } from '../repository/blob-workers.js';
import { packKey } from '../repository/pack-writer.js';
import { Repository, type RepositoryOptions } from '../repository/repository.js';
import { type StreamHasher, streamHasher } from '../repository/stream-hasher.js';
import { readCheckRecord } from '../restore/check-record.js';
import { rebuildImage } from '../restore/image-restore.js';
import {
  type CheckResult,
  checkIdenticalFile,
  checkRestoredFile,
  type IntegrityLevel,
} from '../restore/restore-checks.js';
import { restoreIntoStore } from '../restore/store-restore.js';
import { placeRestoredFile, resolveTarget } from '../restore/target-path.js';
import { applyRetention, DEFAULT_RETENTION, type RetentionPolicy } from '../retention/retention-policy.js';
import { captureStore, type SnapshotMethod } from '../sqlite/capture-store.js';
import type { SqliteImage } from '../sqlite/sqlite-image.js';
import { writing } from '../util/disk-full.js';
import { sweepLeftovers } from '../util/leftovers.js';
import { newBackupId } from './backup-id.js';
import { writeLogicalBackup } from './logical-backup.js';
import { type BackupProgress, writePhysicalBackup } from './physical-backup.js';

export interface BackupManagerOptions {
  /** Destinations to use instead of `config.backup.destinations`. */
  readonly destinations?: readonly Destination[];
  /** Default: the environment variable `config.backup.encryption.passphraseEnv` names. */
  readonly passphrase?: string | undefined;
  /** Where SQLite images are staged before chunking (default: the OS temp folder). */
  readonly scratchDir?: string;
  /**
   * What a physical backup records of its content besides the image's sha256: `counts` (default) per-table
   * row counts, `hash` also storage-core's per-table content hashes (reads every row: slower). A restore into
   * another store always compares content hashes, computed from the verified image when not recorded.
   */
  readonly contentCheck?: ContentCheckMode;
  /**
   * Bytes of changed pages grouped into one blob by an incremental or differential (default 1 MiB; at least
   * 512, at most `MAX_BLOB_BYTES`, the most a restore decodes into one blob).
   */
  readonly changedBlobBytes?: number;
  /** Threads that compress and encrypt (default: the cores, at most 4; 1 seals on the calling thread). */
  readonly threads?: number;
  /** Stores up to this size are imaged in memory, larger ones through a scratch file (default 2 GiB). */
  readonly inMemoryMaxBytes?: number;
  /**
   * Stores from this size on (default 64 MiB) are read in place from their live file when a read transaction
   * on a fully checkpointed log can be had, instead of being copied first (see sqlite/live-image.ts). The
   * process then keeps one read descriptor open on the file until it exits.
   */
  readonly liveMinBytes?: number;
  readonly kdf?: Partial<Pick<KdfParams, 'N' | 'r' | 'p'>>;
  readonly packBytes?: number;
  /** zstd level of the blobs this manager writes, 1 to 22 (default `DEFAULT_COMPRESSION_LEVEL`, 2). */
  readonly compressionLevel?: number;
  /** Expected recovery time recorded in each backup's metadata (ms). */
  readonly recoverySLA?: number;
  /** Opens the store a restore writes into, for `to` targets that are not a plain SQLite file restore. */
  readonly openStore?: (target: string) => Promise<Storage>;
}

/**
 * What a manager needs of the store it backs up: the backup plugin's setup context, never the store alone.
 * The dialect says where the database file is and what it can do; the store's public methods (exportTables,
 * importTables, contentHash, migrationStatus) do the rest under the actor's role.
 */
export type BackupSource = Pick<PluginContext, 'config' | 'dialect' | 'tables' | 'plugins' | 'storage'>;

export interface CreateBackupOptions {
  readonly type?: BackupType;
  /** `physical` (SQLite default) or `logical` (portable rows; the only kind for PostgreSQL and MySQL). */
  readonly kind?: 'physical' | 'logical';
  readonly legalHold?: boolean;
  readonly complianceFlags?: readonly string[];
  readonly onProgress?: (progress: BackupProgress) => void;
}

export interface DestinationOutcome {
  readonly destination: string;
  readonly metadata?: BackupMetadata;
  readonly error?: BackupError | Error;
}

/** One backup run over every destination: a result per destination, never thrown halfway. */
export interface BackupRunResult {
  readonly ok: boolean;
  readonly id: string;
  readonly type: BackupType;
  readonly durationMs: number;
  readonly destinations: readonly DestinationOutcome[];
  /**
   * How a physical backup's image was taken: `live` read in place from the database file, `memory` one
   * serialized copy, `scratch` the online backup API into a scratch file (see sqlite/capture-store.ts).
   * Undefined for logical backups.
   */
  readonly snapshot?: SnapshotMethod | undefined;
}

export interface RestoreOptions {
  /** A SQLite file path (default: a new file beside the store) or a `postgres://` / `mysql://` URL. */
  readonly to?: string;
  /** A store to load into (any dialect), instead of `to`. */
  readonly into?: Storage;
  /** Restore only these tables (loaded into the target store, replacing theirs when `overwrite`). */
  readonly tables?: readonly string[];
  /**
   * `auto` (default): integrity_check of the restored file, unless `kb backup verify --deep` recorded that it
   * passed on this very image (the restored file is proven bit-identical by its sha256); `full`: always
   * integrity_check; `quick`: quick_check.
   */
  readonly integrity?: IntegrityLevel;
  /** Allow replacing an existing target (the live store included). Never implied. */
  readonly overwrite?: boolean;
  /** Which destination to read (its name or index); default the first. */
  readonly destination?: string | number;
  readonly onProgress?: (progress: { done: number; total: number }) => void;
}

export interface RestoreResult {
  readonly restored: boolean;
  readonly id: string;
  readonly target: string;
  readonly entryCount: number;
  readonly tables: Readonly<Record<string, number>>;
  readonly checks: readonly CheckResult[];
  readonly durationMs: number;
}

/** A hold placed on one destination (or found in force there). */
export interface HoldPlaced {
  readonly destination: string;
  /** The hold in force now: the one placed, or the one that already was (kept as it was). */
  readonly hold: LegalHold;
  /** False when the backup was already held: nothing was written. */
  readonly placed: boolean;
}

/** A hold lifted on one destination. */
export interface HoldReleased {
  readonly destination: string;
  /** False when the backup was not held there: nothing was written. */
  readonly released: boolean;
}

export interface PruneResult {
  readonly destination: string;
  readonly removed: readonly string[];
  readonly kept: readonly { id: string; reason: string }[];
  readonly packsRemoved: number;
  readonly bytesFreed: number;
  readonly temporaryRemoved: readonly string[];
  /** Why the pack sweep was skipped, when it was (damaged manifests: their packs cannot be known). */
  readonly sweepSkipped?: string;
}

/**
 * Backups of one store: create (physical for SQLite files, logical for any dialect) on every destination,
 * list, restore, retention and sweep. Verification lives in BackupVerifier. It checks no role: the backup
 * plugin builds one per call from its context, after the role check, and never hands it out.
 */
export class BackupManager {
  readonly #source: BackupSource;
  readonly options: BackupManagerOptions;
  readonly destinations: readonly Destination[];

  constructor(source: BackupSource, options: BackupManagerOptions = {}) {
    checkNumericOptions(options);
    this.#source = source;
    this.options = options;
    this.destinations =
      options.destinations ?? source.config.backup.destinations.map((d) => new LocalDestination(d.path));
  }

  get config(): StorageConfig {
    return this.#source.config;
  }

  /** The store backed up, for its public methods (each checks the actor's role). */
  get storage(): Storage {
    return this.#source.storage();
  }

  #requireDestinations(): readonly Destination[] {
    if (this.destinations.length === 0) {
      throw new BackupError(
        StorageErrorCode.CONFIG_INVALID,
        BackupFailure.UNSUPPORTED,
        'no backup destination: set config.backup.destinations or pass --dest DIR',
      );
    }
    return this.destinations;
  }

  destination(which: string | number | undefined): Destination {
    const all = this.#requireDestinations();
    if (which === undefined) return all[0]!;
    const found =
      typeof which === 'number'
        ? all[which]
        : all.find((d) => d.name === which || d.name === `local:${resolve(which)}`);
    if (!found) {
      throw new BackupError(
        StorageErrorCode.NOT_FOUND,
        BackupFailure.UNSUPPORTED,
        `no destination '${which}'`,
      );
    }
    return found;
  }

  /** Where images and test restores are staged: `scratchDir`, else the OS temp folder. */
  get scratchFolder(): string {
    return this.options.scratchDir ?? tmpdir();
  }

  passphrase(): string | undefined {
    if (this.options.passphrase !== undefined) return this.options.passphrase;
    const env = process.env[this.config.backup.encryption.passphraseEnv];
    return env === undefined || env === '' ? undefined : env;
  }

  repositoryOptions(): RepositoryOptions {
    return {
      passphrase: this.passphrase(),
      encryption: this.config.backup.encryption.enabled,
      compression: this.config.backup.compression ? 'zstd' : 'none',
      compressionLevel: this.options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
      kdf: this.options.kdf,
      packBytes: this.options.packBytes,
    };
  }

  async openRepository(destination: Destination): Promise<Repository> {
    return Repository.open(destination, this.repositoryOptions());
  }

  /** The physical source: the database file of an embedded dialect, or undefined when the store has none. */
  sqliteFile(): string | undefined {
    const { capabilities, location } = this.#source.dialect;
    if (!capabilities.embedded || location === ':memory:') return undefined;
    return resolve(location);
  }

  /** Where the backup comes from, as its metadata records it (the chain of a source is found by this). */
  sourceOf(kind: 'physical' | 'logical'): { dialect: string; location: string } {
    const { name, location } = this.#source.dialect;
    return { dialect: name, location: kind === 'physical' ? this.sqliteFile()! : location };
  }

  /**
   * The plugins the store runs with, as a manifest records them: a restore opens a new target with those that
   * own its tables. The package is the plugin's own word, else the config entry's that loaded it.
   */
  pluginRecords(): BackupPluginRecord[] {
    const configured = new Map(this.config.mvp.extensions.map((e) => [e.id, e]));
    return this.#source.plugins().map((p) => ({
      id: p.id,
      version: p.version,
      package: p.package ?? configured.get(p.id)?.package ?? null,
      tables: [...p.tables],
    }));
  }

  /**
   * Removes what killed runs left (decrypted test restores, restore scratch files, staged images) in the
   * scratch folder, beside the live store and in `folders`: only what belongs to processes that are gone.
   */
  async sweepLeftovers(...folders: string[]): Promise<string[]> {
    const live = this.sqliteFile();
    const all = new Set(
      [this.scratchFolder, ...(live ? [dirname(live)] : []), ...folders].map((f) => resolve(f)),
    );
    const removed: string[] = [];
    for (const folder of all) removed.push(...(await sweepLeftovers(folder)));
    return removed;
  }

  tableSpecs(): TableSpec[] {
    return this.#source.tables().map(({ name, entity, primaryKey, derived }) => ({
      name,
      entity,
      primaryKey: [...primaryKey],
      ...(derived ? { derived } : {}),
    }));
  }

  // ─── Create ─────────────────────────────────────────────────────────────────────────────────────

  async create(options: CreateBackupOptions = {}): Promise<BackupRunResult> {
    const started = performance.now();
    const requested = options.type ?? 'full';
    const kind = options.kind ?? (this.sqliteFile() ? 'physical' : 'logical');
    if (kind === 'physical' && !this.sqliteFile()) {
      throw new BackupError(
        StorageErrorCode.UNSUPPORTED,
        BackupFailure.UNSUPPORTED,
        `a physical backup needs a SQLite file; this store is ${this.#source.dialect.name} at ${this.#source.dialect.location}: use kind 'logical'`,
      );
    }
    // A physical backup is the whole file, held-back tables included; a logical one reads the started
    // extensions' tables only, so it would miss a held extension's rows.
    if (kind === 'logical') this.storage.refuseWhileHeld('a logical backup');
    const destinations = this.#requireDestinations();
    await this.sweepLeftovers();
    const timestamp = new Date();
    const id = newBackupId(timestamp, requested);
    const tableSpecs = this.tableSpecs();
    const common = {
      id,
      type: requested,
      timestamp,
      source: this.sourceOf(kind),
      // The store's MVP level (its extensions'), which `config.mvp.version`, when set, must equal.
      mvpVersion: String(this.storage.mvpLevel),
      legalHold: options.legalHold ?? false,
      complianceFlags: options.complianceFlags ?? [],
      recoverySLA: this.options.recoverySLA ?? 3_600_000,
      tableSpecs,
      plugins: this.pluginRecords(),
      changedBlobBytes: this.options.changedBlobBytes,
      onProgress: options.onProgress,
    };
    const outcomes: DestinationOutcome[] = [];
    let image: SqliteImage | undefined;
    let snapshot: SnapshotMethod | undefined;
    try {
      let content: Awaited<ReturnType<typeof contentOf>> | undefined;
      if (kind === 'physical') {
        options.onProgress?.({ phase: 'snapshot', done: 0, total: 1 });
        const captured = await captureStore(
          this.sqliteFile()!,
          tableSpecs as TableContribution[],
          this.options.contentCheck ?? 'counts',
          {
            scratchDir: this.scratchFolder,
            ...(this.options.inMemoryMaxBytes !== undefined
              ? { inMemoryMaxBytes: this.options.inMemoryMaxBytes }
              : {}),
            ...(this.options.liveMinBytes !== undefined ? { liveMinBytes: this.options.liveMinBytes } : {}),
          },
        );
        image = captured.image;
        content = captured.content;
        snapshot = captured.method;
        options.onProgress?.({ phase: 'content', done: 1, total: 1 });
      }
      for (const destination of destinations) {
        try {
          const metadata = await this.#createOn(destination, kind, common, image, content);
          outcomes.push({ destination: destination.name, metadata });
        } catch (error) {
          outcomes.push({ destination: destination.name, error: error as Error });
        }
      }
    } finally {
      await image?.discard();
    }
    const type = outcomes.find((o) => o.metadata)?.metadata?.type ?? requested;
    return {
      ok: outcomes.every((o) => o.metadata),
      id,
      type,
      durationMs: performance.now() - started,
      destinations: outcomes,
      snapshot,
    };
  }

  async #createOn(
    destination: Destination,
    kind: 'physical' | 'logical',
    common: Parameters<typeof writePhysicalBackup>[3],
    image: SqliteImage | undefined,
    content: Awaited<ReturnType<typeof contentOf>> | undefined,
  ): Promise<BackupMetadata> {
    const lock = await destination.lock(`backup ${common.id}`);
    try {
      await destination.sweepTemporary();
      const repository = await Repository.openOrInit(destination, this.repositoryOptions());
      const { backups } = await scanManifests(destination);
      const sameSource = backups.filter(
        (b) =>
          b.kind === kind &&
          b.source.location === common.source.location &&
          b.source.dialect === common.source.dialect,
      );
      const latest = sameSource[sameSource.length - 1];
      const lastFull = sameSource.filter((b) => b.type === 'full').pop();
      const base =
        common.type === 'incremental' ? latest : common.type === 'differential' ? lastFull : undefined;
      if (kind === 'physical') {
        const sealer = this.workers(repository);
        const hasher = this.hasher();
        try {
          return await writePhysicalBackup(
            repository,
            image!,
            content!,
            common,
            base,
            latest,
            common.type,
            sealer,
            hasher,
          );
        } finally {
          await Promise.all([sealer.close(), hasher.close()]);
        }
      }
      const storage = this.storage;
      const schemaVersion = (await storage.migrationStatus()).namespaces.reduce(
        (sum, n) => sum + n.applied.length,
        0,
      );
      // A logical backup is self-contained whatever its tier: unchanged batches are shared, not chained.
      return await writeLogicalBackup(
        repository,
        storage.exportTables(),
        { ...common, dialect: common.source.dialect, schemaVersion },
        latest,
        common.type,
      );
    } finally {
      await lock.release();
    }
  }

  // ─── List ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Every readable backup on a destination, oldest first (needs no passphrase). With `requireFolder`, a
   * destination whose folder does not exist is NOT_FOUND instead of an empty list: a folder named on purpose
   * that is not there is a mistake, while a configured one is simply not made before the first backup.
   */
  async list(
    destination?: string | number,
    options: { requireFolder?: boolean } = {},
  ): Promise<{ backups: BackupListing[]; damaged: string[] }> {
    const dest = this.destination(destination);
    if (options.requireFolder) await this.requireFolder(dest);
    const scan = await scanManifests(dest);
    const backups: BackupListing[] = [];
    for (const b of scan.backups) backups.push(await withOverlays(dest, b));
    return { backups, damaged: scan.damaged.map((d) => `${d.key}: ${d.error.message}`) };
  }

  /** Fails with NOT_FOUND (reason DESTINATION_MISSING) when the destination says it does not exist. */
  async requireFolder(destination: Destination): Promise<void> {
    if (!destination.exists || (await destination.exists())) return;
    throw new BackupError(
      StorageErrorCode.NOT_FOUND,
      BackupFailure.DESTINATION_MISSING,
      `the backup destination ${destination.name} does not exist (an empty folder is an empty repository)`,
      { details: { destination: destination.name } },
    );
  }

  /**
   * Places a legal hold on a backup on one destination. Under the destination's write lock, which prune takes
   * to delete: a prune either ran before (and the backup is gone: NOT_FOUND) or sees the hold. A hold already
   * in force is kept as it is (its time, actor and reason: the first hold is the one on record).
   */
  async placeHold(
    id: string,
    request: { reason: string | null; actor: string | null; destination?: string | number | undefined },
  ): Promise<HoldPlaced> {
    const dest = this.destination(request.destination);
    const lock = await dest.lock(`hold ${id}`);
    try {
      const metadata = await readClearMetadata(dest, id);
      const current = await readHold(dest, metadata);
      if (current) return { destination: dest.name, hold: current, placed: false };
      const at = new Date();
      await writeLegalHold(dest, id, { hold: true, reason: request.reason, actor: request.actor }, at);
      return {
        destination: dest.name,
        hold: { since: at.toISOString(), reason: request.reason, actor: request.actor },
        placed: true,
      };
    } finally {
      await lock.release();
    }
  }

  /** Lifts a legal hold on one destination; a backup that is not held is left as it is (`released: false`). */
  async releaseHold(
    id: string,
    request: { actor: string | null; destination?: string | number | undefined },
  ): Promise<HoldReleased> {
    const dest = this.destination(request.destination);
    const lock = await dest.lock(`release ${id}`);
    try {
      const metadata = await readClearMetadata(dest, id);
      if (!(await readHold(dest, metadata))) return { destination: dest.name, released: false };
      await writeLegalHold(dest, id, { hold: false, actor: request.actor }, new Date());
      return { destination: dest.name, released: true };
    } finally {
      await lock.release();
    }
  }

  // ─── Restore ────────────────────────────────────────────────────────────────────────────────────

  async restore(id: string, options: RestoreOptions = {}): Promise<RestoreResult> {
    const started = performance.now();
    const to = options.to === undefined ? undefined : parseDatabaseUrl(options.to);
    await this.sweepLeftovers(
      ...(to && 'path' in to && to.path !== ':memory:' ? [dirname(resolve(to.path))] : []),
    );
    const destination = this.destination(options.destination);
    // Before the key is needed: a backup that does not exist is NOT_FOUND with or without a passphrase.
    await requireManifest(destination, id);
    const repository = await this.openRepository(destination);
    const { metadata, body } = await readManifest(repository, id);
    const toStore =
      options.into !== undefined ||
      options.tables !== undefined ||
      metadata.kind === 'logical' ||
      (to !== undefined && 'url' in to);
    const result = toStore
      ? await restoreIntoStore(this, repository, metadata, body, options)
      : await this.#restoreFile(repository, metadata, body, options);
    return { ...result, durationMs: performance.now() - started };
  }

  /**
   * Hashes, seals and opens blobs on worker threads when there are cores (`threads`), else on this thread.
   * The caller closes it.
   */
  workers(repository: Repository): BlobWorkers {
    const threads = this.#threads();
    return blobWorkers(
      {
        key: repository.keys.encryption,
        idKey: repository.keys.id,
        compression: repository.codec.compression,
        level: repository.codec.level,
      },
      threads,
    );
  }

  #threads(): number {
    return this.options.threads ?? Math.min(4, availableParallelism());
  }

  /** The image's sha256, on a thread of its own when there are cores (`threads` > 1). The caller closes it. */
  hasher(): StreamHasher {
    return streamHasher(this.#threads() > 1);
  }

  /**
   * Rebuilds a physical backup's image at `path`, opening blobs on worker threads and hashing the image on
   * another when there are cores.
   */
  async rebuild(
    repository: Repository,
    metadata: BackupMetadata,
    path: string,
    onProgress?: (progress: { done: number; total: number }) => void,
  ): Promise<void> {
    const workers = this.workers(repository);
    const hasher = this.hasher();
    try {
      await rebuildImage(repository, metadata, path, onProgress, workers, hasher);
    } finally {
      await Promise.all([workers.close(), hasher.close()]);
    }
  }

  /**
   * The checks of a file `rebuild` produced (so already proven, by its sha256, to be the backed-up image):
   * integrity_check (or quick_check), foreign_key_check and the content check against the manifest; with
   * `auto`, the cheaper checks of `checkIdenticalFile` when a record says those passed on this very image.
   */
  async checkRebuilt(
    repository: Repository,
    metadata: BackupMetadata,
    body: ManifestBody,
    path: string,
    integrity: IntegrityLevel = 'auto',
  ): Promise<CheckResult[]> {
    const identity: CheckResult = {
      name: 'image-sha256',
      ok: true,
      detail: `the rebuilt file is the backed-up image, byte for byte (sha256 ${metadata.checksum})`,
    };
    const tables = body.tableSpecs as TableContribution[];
    const record = integrity === 'auto' ? await readCheckRecord(repository, metadata) : undefined;
    const checks = record
      ? await checkIdenticalFile(path, tables, body, record, body.kind === 'physical' ? body.pageCount : -1)
      : await checkRestoredFile(path, tables, body, integrity === 'auto' ? 'full' : integrity);
    return [identity, ...checks];
  }

  defaultRestorePath(id: string): string {
    const live = this.sqliteFile();
    return live ? `${live}.restored-${id}.db` : resolve(`kb-restored-${id}.db`);
  }

  async #restoreFile(
    repository: Repository,
    metadata: BackupMetadata,
    body: ManifestBody,
    options: RestoreOptions,
  ): Promise<Omit<RestoreResult, 'durationMs'>> {
    const to = options.to === undefined ? undefined : parseDatabaseUrl(options.to);
    // restore() sends server URLs to restoreIntoStore: what is left here names a file.
    const target = resolveTarget(to && 'path' in to ? to.path : this.defaultRestorePath(metadata.id));
    const live = this.sqliteFile();
    if ((target.exists || target.path === live) && !options.overwrite) {
      throw new BackupError(
        StorageErrorCode.CONFLICT,
        BackupFailure.TARGET_EXISTS,
        target.path === live
          ? `${target.path} is the live store; restoring over it needs the explicit overwrite flag (--overwrite)`
          : `${target.path} exists; choose a new path or pass the explicit overwrite flag (--overwrite)`,
        { details: { target: target.path } },
      );
    }
    try {
      await this.rebuild(repository, metadata, target.scratch, options.onProgress);
      const checks = await this.checkRebuilt(repository, metadata, body, target.scratch, options.integrity);
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.RESTORE_CHECK_FAILED,
          `backup ${metadata.id} restored to a database that fails ${failed.map((c) => `${c.name} (${c.detail})`).join(', ')}`,
          { details: { checks } },
        );
      }
      await writing(`writing the restored database ${target.path}`, () => placeRestoredFile(target));
      return {
        restored: true,
        id: metadata.id,
        target: target.path,
        entryCount: metadata.entryCount,
        tables: Object.fromEntries(Object.entries(body.tables).map(([n, t]) => [n, t.rows])),
        checks,
      };
    } finally {
      await fs.rm(target.scratch, { force: true });
      await fs.rm(`${target.scratch}-journal`, { force: true });
    }
  }

  // ─── Retention ──────────────────────────────────────────────────────────────────────────────────

  retentionPolicy(): RetentionPolicy {
    const policy = this.config.backup.policy;
    if (!policy) return { ...DEFAULT_RETENTION, full: { keep: this.config.backup.retention } };
    const tier = (t: { keep: number; maxAgeMs?: number | undefined } | undefined) =>
      t ? { keep: t.keep, maxAgeMs: t.maxAgeMs } : undefined;
    return {
      ...(policy.full ? { full: tier(policy.full) } : {}),
      ...(policy.differential ? { differential: tier(policy.differential) } : {}),
      ...(policy.incremental ? { incremental: tier(policy.incremental) } : {}),
    } as RetentionPolicy;
  }

  /**
   * Applies retention on each destination, then sweeps packs no kept backup references and temporary files
   * of interrupted runs. Needs no passphrase: the packs a backup references are in its clear metadata.
   */
  async prune(now = new Date(), policy = this.retentionPolicy()): Promise<PruneResult[]> {
    const results: PruneResult[] = [];
    const destinations = this.#requireDestinations();
    await this.sweepLeftovers();
    for (const destination of destinations) {
      const lock = await destination.lock('prune');
      try {
        const temporaryRemoved = await destination.sweepTemporary();
        const scan = await scanManifests(destination);
        const listed: BackupListing[] = [];
        for (const b of scan.backups) listed.push(await withOverlays(destination, b));
        const decision = applyRetention(listed, policy, now);
        for (const b of decision.remove) await deleteManifest(destination, b);
        let packsRemoved = 0;
        let bytesFreed = 0;
        let sweepSkipped: string | undefined;
        if (scan.damaged.length > 0) {
          sweepSkipped = `${scan.damaged.length} damaged manifests (${scan.damaged.map((d) => d.key).join(', ')}): the packs they use cannot be known, so none were deleted`;
        } else {
          const referenced = new Set(decision.keep.flatMap((b) => b.packs));
          for (const key of await destination.list('data')) {
            const name = key.slice(key.lastIndexOf('/') + 1);
            if (referenced.has(name) && key === packKey(name)) continue;
            bytesFreed += (await destination.size(key)) ?? 0;
            await destination.delete(key);
            packsRemoved += 1;
          }
        }
        results.push({
          destination: destination.name,
          removed: decision.remove.map((b) => b.id),
          kept: decision.keep.map((b) => ({ id: b.id, reason: decision.reasons[b.id]! })),
          packsRemoved,
          bytesFreed,
          temporaryRemoved,
          ...(sweepSkipped ? { sweepSkipped } : {}),
        });
      } finally {
        await lock.release();
      }
    }
    return results;
  }

  /** Re-wraps every destination's master key under a new passphrase; no data is rewritten. */
  async changePassphrase(newPassphrase: string): Promise<void> {
    for (const destination of this.#requireDestinations()) {
      const lock = await destination.lock('change passphrase');
      try {
        await (await this.openRepository(destination)).changePassphrase(newPassphrase, this.options.kdf);
      } finally {
        await lock.release();
      }
    }
  }
}

/**
 * Refuses numeric options that would make backups a restore cannot read (blobs beyond MAX_BLOB_BYTES) or
 * metadata that misstates them (zstd silently clamps a level outside 1–22, the manifest would record it).
 */
function checkNumericOptions(options: BackupManagerOptions): void {
  const refuse = (message: string) => {
    throw new BackupError(StorageErrorCode.CONFIG_INVALID, BackupFailure.UNSUPPORTED, message);
  };
  const { changedBlobBytes, compressionLevel } = options;
  if (
    changedBlobBytes !== undefined &&
    !(Number.isInteger(changedBlobBytes) && changedBlobBytes >= 512 && changedBlobBytes <= MAX_BLOB_BYTES)
  ) {
    refuse(`changedBlobBytes must be an integer from 512 to ${MAX_BLOB_BYTES}, not ${changedBlobBytes}`);
  }
  if (
    compressionLevel !== undefined &&
    !(Number.isInteger(compressionLevel) && compressionLevel >= 1 && compressionLevel <= 22)
  ) {
    refuse(`compressionLevel must be an integer from 1 to 22 (zstd), not ${compressionLevel}`);
  }
}
