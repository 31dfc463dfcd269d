import { existsSync, promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import {
  createStorage,
  isStorageError,
  parseDatabaseUrl,
  redactUrl,
  type Storage,
  StorageErrorCode,
  type TableContribution,
} from '@mainframe-kb/storage-core';
import { contentOf, type ExpectedContentSource, withSqliteFile } from '../content/image-content.js';
import { tableBatchesOf } from '../content/image-rows.js';
import type { BackupManager, RestoreOptions, RestoreResult } from '../engine/backup-manager.js';
import { logicalBatches } from '../engine/logical-restore.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import type { ManifestBody } from '../manifest/manifest-body.js';
import type { Repository } from '../repository/repository.js';
import { asDiskFull, writing } from '../util/disk-full.js';
import { ownerOnlyFile, ownerOnlyFolder } from '../util/owner-only.js';
import { type CheckResult, checkFileIntegrity, compareContent } from './restore-checks.js';
import { resolveTarget } from './target-path.js';
import { targetPlugins } from './target-plugins.js';

interface RestoreTarget {
  readonly store: Storage;
  /** What the result names: a file path, or the server URL without its password. */
  readonly name: string;
  readonly commit: () => Promise<void>;
  readonly abandon: () => Promise<void>;
}

export function restoreFailed(id: string, failed: readonly CheckResult[]): BackupError {
  return new BackupError(
    StorageErrorCode.INTEGRITY,
    BackupFailure.RESTORE_CHECK_FAILED,
    `backup ${id} restored to content that fails ${failed.map((c) => `${c.name} (${c.detail})`).join(', ')}`,
    { details: { checks: failed } },
  );
}

/** The target store holds rows of the restored tables and overwriting was not asked for. */
function targetOccupied(target: string, tables: readonly string[], cause?: unknown): BackupError {
  return new BackupError(
    StorageErrorCode.CONFLICT,
    BackupFailure.TARGET_EXISTS,
    `${target} already holds rows in ${tables.join(', ')}; restore into an empty store, or pass the explicit overwrite flag (--overwrite) to replace them`,
    { cause, details: { target, tables } },
  );
}

/**
 * Refuses a target that holds rows of the tables to restore, before the backup is read: the load would refuse
 * it too (in its transaction, which stays the authority), but only after a physical backup's whole image was
 * rebuilt and checked. Tables the target does not have are left to the load to report.
 */
async function refuseOccupied(store: Storage, target: string, tables: readonly string[]): Promise<void> {
  const known = new Set(store.tables().map((t) => t.name));
  const counts = await store.rowCounts(tables.filter((t) => known.has(t)));
  const occupied = Object.keys(counts).filter((t) => (counts[t] ?? 0) > 0);
  if (occupied.length > 0) throw targetOccupied(target, occupied);
}

/**
 * How a new target store is opened: by the manager's `openStore`, else with the plugins that own the restored
 * tables (those the manifest names; for a manifest that names none, the restoring store's), loaded here,
 * before anything is written at the target.
 */
async function targetOpener(
  manager: BackupManager,
  metadata: BackupMetadata,
  tables: readonly string[],
): Promise<(database: ReturnType<typeof parseDatabaseUrl>) => Promise<Storage>> {
  const { openStore } = manager.options;
  if (openStore) return (database) => openStore('url' in database ? database.url : database.path);
  if (!metadata.plugins) {
    const known = new Set(manager.tableSpecs().map((t) => t.name));
    const unknown = tables.filter((t) => !known.has(t));
    if (unknown.length > 0) {
      throw new BackupError(
        StorageErrorCode.EXTENSION_NOT_INSTALLED,
        BackupFailure.PLUGIN_MISSING,
        `backup ${metadata.id} was written before backups named their plugins, and no plugin of this store owns its tables ${unknown.join(', ')}: enable the plugin they belong to and restore again`,
        { details: { tables: unknown } },
      );
    }
  }
  const config = manager.config;
  const { plugins, extensions } = await targetPlugins(
    metadata.plugins ?? manager.pluginRecords(),
    tables,
    config,
  );
  return (database) =>
    createStorage({ ...config, database, mvp: { ...config.mvp, extensions: [...extensions] } }, { plugins });
}

/**
 * The store a row restore loads into. A new SQLite file is built under a scratch name beside the target
 * (owner-only) and renamed into place only after the load and its checks passed (`commit`); a failed restore
 * leaves nothing.
 */
async function openTarget(
  manager: BackupManager,
  metadata: BackupMetadata,
  tables: readonly string[],
  options: RestoreOptions,
): Promise<RestoreTarget> {
  const keep = async () => undefined;
  if (options.into) return { store: options.into, name: options.into.location, commit: keep, abandon: keep };
  if (options.to === undefined) {
    const live = manager.storage;
    return { store: live, name: live.location, commit: keep, abandon: keep };
  }
  const to = parseDatabaseUrl(options.to);
  const open = await targetOpener(manager, metadata, tables);
  if ('url' in to) {
    const name = redactUrl(to.url);
    const store = await writing(`creating the store at ${name}`, () => open(to));
    const close = async () => {
      await store.close();
    };
    return { store, name, commit: close, abandon: close };
  }
  const target = resolveTarget(to.path);
  if (target.exists && !options.overwrite) {
    throw new BackupError(
      StorageErrorCode.CONFLICT,
      BackupFailure.TARGET_EXISTS,
      `${target.path} exists; choose a new path or pass the explicit overwrite flag (--overwrite)`,
      { details: { target: target.path } },
    );
  }
  const removeScratch = async () => {
    for (const suffix of ['', '-wal', '-shm', '-journal'])
      await fs.rm(`${target.scratch}${suffix}`, { force: true });
  };
  let store: Storage;
  try {
    // SQLite would create the file readable by all (0644, less the umask); its journals take its mode.
    if (!target.exists) await ownerOnlyFile(target.scratch);
    store = await open({ type: 'sqlite', path: target.exists ? target.path : target.scratch });
  } catch (error) {
    if (!target.exists) await removeScratch();
    throw asDiskFull(error, `creating the restored database ${target.path}`);
  }
  return {
    store,
    name: target.path,
    commit: async () => {
      await store.close();
      if (!target.exists) {
        await fs.rename(target.scratch, target.path);
        await removeScratch();
      }
    },
    abandon: async () => {
      await store.close();
      if (!target.exists) await removeScratch();
    },
  };
}

/**
 * The SQLite file under a store, when its location names one that exists: its integrity is checked by
 * opening the file beside the store's own connection. Server stores have no such file.
 */
function databaseFileOf(store: Storage): string | undefined {
  let target: ReturnType<typeof parseDatabaseUrl>;
  try {
    target = parseDatabaseUrl(store.location);
  } catch {
    return undefined;
  }
  return 'path' in target && target.path !== ':memory:' && existsSync(target.path)
    ? resolve(target.path)
    : undefined;
}

/** Restores rows (all tables or the chosen ones) into a store of any dialect, in one transaction. */
export async function restoreIntoStore(
  manager: BackupManager,
  repository: Repository,
  metadata: BackupMetadata,
  body: ManifestBody,
  options: RestoreOptions,
): Promise<Omit<RestoreResult, 'durationMs'>> {
  const specs = body.tableSpecs.filter((t) => !t.derived && t.entity !== 'schema');
  const chosen = options.tables ? [...options.tables] : specs.map((t) => t.name);
  const unknown = chosen.filter((n) => !specs.some((t) => t.name === n));
  if (unknown.length > 0) {
    throw new BackupError(
      StorageErrorCode.VALIDATION,
      BackupFailure.UNSUPPORTED,
      `backup ${metadata.id} holds no table ${unknown.join(', ')}`,
      { details: { tables: unknown } },
    );
  }
  const { store, name, commit, abandon } = await openTarget(manager, metadata, chosen, options);
  let scratch: string | undefined;
  let committed = false;
  try {
    if (store === manager.storage && !options.overwrite) {
      throw new BackupError(
        StorageErrorCode.CONFLICT,
        BackupFailure.TARGET_EXISTS,
        'restoring into the live store replaces its rows: pass the explicit overwrite flag (--overwrite) or a target (--to)',
      );
    }
    if (!options.overwrite) await refuseOccupied(store, name, chosen);
    const wanted = new Set(chosen);
    const checks: CheckResult[] = [];
    let loaded: Record<string, number>;
    // What the loaded rows must hash to: the manifest's hashes, or those of the verified image.
    let expected: ExpectedContentSource = body;
    if (body.kind === 'physical') {
      const dir = manager.scratchFolder;
      await writing(`creating ${dir}`, () => ownerOnlyFolder(dir));
      scratch = resolveTarget(resolve(dir, `kb-restore-${metadata.id}.sqlite`)).scratch;
      await manager.rebuild(repository, metadata, scratch, options.onProgress);
      const fileChecks = await manager.checkRebuilt(repository, metadata, body, scratch, options.integrity);
      checks.push(...fileChecks);
      if (fileChecks.some((c) => !c.ok)) throw restoreFailed(metadata.id, fileChecks);
      const ordered = specs.filter((t) => wanted.has(t.name)) as TableContribution[];
      loaded = await withSqliteFile(scratch, async (db) => {
        if (!body.contentHash) expected = await contentOf(db, body.tableSpecs as TableContribution[], 'hash');
        const result = await store.importTables(tableBatchesOf(db, ordered), {
          tables: chosen,
          replace: options.overwrite ?? false,
        });
        return result.rows as Record<string, number>;
      });
    } else {
      loaded = (
        await store.importTables(logicalBatches(repository, body, wanted), {
          tables: chosen,
          replace: options.overwrite ?? false,
        })
      ).rows as Record<string, number>;
    }
    const restoredHash = await store.contentHash({ tables: chosen });
    const contentChecks = compareContent(
      expected,
      { contentHash: options.tables ? null : restoredHash.hash, tables: { ...restoredHash.tables } },
      options.tables ? chosen : undefined,
    );
    checks.push(...contentChecks);
    const file = databaseFileOf(store);
    if (file) checks.push(await checkFileIntegrity(file));
    const failed = contentChecks.filter((c) => !c.ok);
    if (failed.length > 0) throw restoreFailed(metadata.id, failed);
    committed = true;
    await commit();
    return {
      restored: true,
      id: metadata.id,
      target: name,
      entryCount: loaded.kb_entries ?? (wanted.has('kb_entries') ? 0 : metadata.entryCount),
      tables: Object.fromEntries(chosen.map((t) => [t, loaded[t] ?? 0])),
      checks,
    };
  } catch (error) {
    // The load's own refusal (rows written since the check above) names neither the target nor the flag.
    // Only that refusal names its tables; a constraint the rows broke is another conflict, passed on as it is.
    if (
      !options.overwrite &&
      isStorageError(error, StorageErrorCode.CONFLICT) &&
      !(error instanceof BackupError) &&
      Array.isArray(error.details.tables)
    ) {
      throw targetOccupied(name, error.details.tables.map(String), error);
    }
    throw asDiskFull(error, `restoring backup ${metadata.id} into ${name}`);
  } finally {
    if (scratch) await fs.rm(scratch, { force: true });
    if (!committed) await abandon();
  }
}
