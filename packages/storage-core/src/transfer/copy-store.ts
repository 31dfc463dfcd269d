import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { StorageErrorCode } from '../errors/error-codes.js';
import { isStorageError, StorageError, ValidationError } from '../errors/storage-error.js';
import { auditTrailOf, dialectOf, type Storage } from '../storage.js';
import {
  type ContentHash,
  combineTableHashes,
  computeContentHash,
  TableDigester,
  type TableHash,
} from './content-hash.js';
import type { TableBatch, TransferProgress } from './table-transfer.js';

export interface CopyStoreOptions {
  readonly batchSize?: number;
  /** Replace the content of a target that holds different data (default: refuse). `kb copy --replace`. */
  readonly replace?: boolean;
  /**
   * `to` is a server store (PostgreSQL, MySQL) that opening it for this copy created: when the copy fails,
   * everything opening it created is dropped again (its tables, and a PostgreSQL schema it created), so the
   * schema or database is left as it was. Nothing is dropped when the store was there before it was opened.
   * A new SQLite target is built under a scratch name and moved into place instead (`scratchPath`,
   * `moveSqliteStore`, as `kb copy` does).
   */
  readonly newTarget?: boolean;
  readonly onProgress?: (progress: CopyProgress) => void;
}

export interface CopyProgress extends TransferProgress {
  /** Rows over all tables in the source, counted before the copy. */
  readonly expectedRows: number;
}

export interface CopyStoreResult {
  /** False when the target already held exactly the source's content: nothing was written. */
  readonly copied: boolean;
  readonly rows: Readonly<Record<string, number>>;
  /** The content hash both stores have after the copy. */
  readonly hash: ContentHash;
  readonly durationMs: number;
}

/** Applied migrations per namespace, without the dialect's own search-index migrations. */
async function logicalSchema(store: Storage): Promise<Map<string, string[]>> {
  const status = await store.migrationStatus();
  if (status.dormant.length > 0) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `${store.location} has tables of plugins this process does not load (${status.dormant
        .map((d) => d.namespace)
        .join(', ')}); enable them on both stores to copy every table`,
      { details: { dormant: status.dormant.map((d) => d.namespace) } },
    );
  }
  const { searchIndex } = dialectOf(store);
  const indexOwn = new Set(
    [...searchIndex.migrations, ...(searchIndex.laterMigrations ?? [])].map((m) => m.id),
  );
  return new Map(
    status.namespaces.map((ns) => [
      ns.namespace,
      ns.applied.map((m) => m.id).filter((id) => !(ns.namespace === 'core' && indexOwn.has(id))),
    ]),
  );
}

async function assertSameSchema(from: Storage, to: Storage): Promise<void> {
  const [a, b] = await Promise.all([logicalSchema(from), logicalSchema(to)]);
  const differences: string[] = [];
  for (const ns of new Set([...a.keys(), ...b.keys()])) {
    const x = (a.get(ns) ?? []).join(',');
    const y = (b.get(ns) ?? []).join(',');
    if (x !== y) differences.push(`${ns}: source [${x}] vs target [${y}]`);
  }
  if (differences.length > 0) {
    throw new StorageError(
      StorageErrorCode.CONFLICT,
      `the two stores are at different schema versions (${differences.join('; ')}); migrate both with the same plugins first`,
      { details: { differences } },
    );
  }
}

/**
 * Copies a whole store — every table of core and of every enabled plugin — into another store of any
 * dialect (SQLite → PostgreSQL is the upgrade path, PostgreSQL → SQLite the way back), in batches read from
 * one snapshot of the source and written in one transaction on the target, which then holds exactly the
 * source's content: the target's own content hash is compared with the source's, computed from the rows as
 * they streamed past, before the transaction commits. A mismatch rolls everything back.
 *
 * The migrations ledger is not copied row by row: each dialect records the checksum of its own SQL. Instead
 * both stores must have the same migrations applied (search-index migrations aside), which is checked first.
 *
 * Idempotent: a target that already holds the source's content is left untouched. A target holding other
 * content is refused unless `replace` is set.
 */
export async function copyStore(
  from: Storage,
  to: Storage,
  options: CopyStoreOptions = {},
): Promise<CopyStoreResult> {
  // A store with an extension held back by a rollback would copy without that extension's rows.
  from.refuseWhileHeld('a copy');
  to.refuseWhileHeld('a copy');
  const discard = dialectOf(to).discardNewStore?.bind(dialectOf(to));
  if (options.newTarget && !discard) {
    const message = `newTarget: ${to.location} is not a server store; build a new SQLite store under scratchPath() and moveSqliteStore() it into place`;
    throw new ValidationError(message, [{ path: 'newTarget', message }]);
  }
  const keyFile = guardKeyFile(to);
  try {
    return await copyInto(from, to, options, keyFile);
  } catch (error) {
    // Whatever failed, the target is left as it was: the load's transaction rolled back; keys the copy gave
    // the target's key file go again; a store that opening created for this copy is dropped.
    try {
      keyFile?.restore();
      if (options.newTarget && discard) await discard();
    } catch (cleanup) {
      const message = error instanceof Error ? error.message : String(error);
      throw new StorageError(
        isStorageError(error) ? error.code : StorageErrorCode.DATABASE,
        `${message}; putting the target back as it was failed too: ${cleanup instanceof Error ? cleanup.message : String(cleanup)}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The target's audit key file around the copy, to put back as it was when the copy fails. */
interface KeyFileGuard {
  /** Notes the file as the copy's adoption of the source's keys left it. */
  adopted(): void;
  /** Puts the file back as it was before, if it still is as the adoption left it. */
  restore(): void;
}

/**
 * A key file that did not exist is left as the copy made it (the store object signs on with the key it now
 * holds); one that someone else changed since the adoption (a rotation in another process) is left alone,
 * so no key is ever lost.
 */
function guardKeyFile(store: Storage): KeyFileGuard | undefined {
  const source = auditTrailOf(store).keyring.source;
  if (source.kind !== 'file') return undefined;
  const read = () => {
    try {
      return readFileSync(source.path);
    } catch {
      return undefined;
    }
  };
  const before = read();
  if (before === undefined) return undefined;
  let after: Buffer | undefined;
  return {
    adopted() {
      after = read();
    },
    restore() {
      const now = read();
      if (after === undefined || now === undefined || now.equals(before) || !now.equals(after)) return;
      // As the keyring writes it: a whole file under a scratch name, owner-only, renamed into place.
      const scratch = `${source.path}.restore-${process.pid}-${randomBytes(6).toString('hex')}`;
      try {
        writeFileSync(scratch, before, { mode: 0o600, flag: 'wx' });
        renameSync(scratch, source.path);
      } finally {
        rmSync(scratch, { force: true });
      }
    },
  };
}

async function copyInto(
  from: Storage,
  to: Storage,
  options: CopyStoreOptions,
  keyFile: KeyFileGuard | undefined,
): Promise<CopyStoreResult> {
  const started = performance.now();
  await assertSameSchema(from, to);
  const tables = from.tables().filter((t) => !t.derived && t.entity !== 'schema');
  const targetNames = new Set(to.tables().map((t) => t.name));
  const missing = tables.filter((t) => !targetNames.has(t.name)).map((t) => t.name);
  if (missing.length > 0) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `the target does not have the tables ${missing.join(', ')}; enable the same plugins on it`,
      { details: { missing } },
    );
  }

  const targetHash = await to.contentHash();
  const targetRows = Object.values(targetHash.tables).reduce((n, t) => n + t.rows, 0);
  if (targetRows > 0) {
    const sourceHash = await from.contentHash();
    if (sourceHash.hash === targetHash.hash) {
      return { copied: false, rows: {}, hash: sourceHash, durationMs: performance.now() - started };
    }
    if (!options.replace) {
      throw new StorageError(
        StorageErrorCode.CONFLICT,
        `the target ${to.location} already holds ${targetRows} rows of other content; copy into an empty store, or overwrite it with --replace (copyStore's replace option)`,
        { details: { targetRows } },
      );
    }
  }

  const expectedRows = await countRows(from);
  const digests = new Map(tables.map((t) => [t.name, new TableDigester()]));
  let keysHanded = false;
  async function* hashing(batches: AsyncIterable<TableBatch>): AsyncGenerator<TableBatch> {
    for await (const batch of batches) {
      if (!keysHanded) {
        // Both role checks have passed once the source yields into the target's load: the target gets the
        // source's audit keys (to verify the copied chain, now and later), its own current key signing on.
        keysHanded = true;
        auditTrailOf(to).keyring.adopt(auditTrailOf(from).keyring.keys(), 'create');
        keyFile?.adopted();
      }
      const digester = digests.get(batch.table)!;
      for (const row of batch.rows) digester.add(row);
      yield batch;
    }
  }
  let verified: ContentHash | undefined;
  const batchSize = options.batchSize;
  const result = await to.importTables(
    hashing(from.exportTables(batchSize === undefined ? {} : { batchSize })),
    {
      replace: options.replace === true,
      tables: tables.map((t) => t.name),
      ...(options.onProgress
        ? { onProgress: (p: TransferProgress) => options.onProgress?.({ ...p, expectedRows }) }
        : {}),
      beforeCommit: async (trx) => {
        const source: Record<string, TableHash> = {};
        for (const [name, digester] of digests) source[name] = digester.result();
        const sourceHash = combineTableHashes(source);
        const copied = await computeContentHash(trx, to.tables(), { tables: tables.map((t) => t.name) });
        if (copied.hash !== sourceHash) {
          const differing = Object.keys(source).filter((n) => copied.tables[n]?.hash !== source[n]!.hash);
          throw new StorageError(
            StorageErrorCode.INTEGRITY,
            `the copy does not match the source in ${differing.join(', ')}; nothing was committed`,
            {
              details: {
                differing: differing.map((n) => ({ table: n, source: source[n], target: copied.tables[n] })),
              },
            },
          );
        }
        verified = copied;
      },
    },
  );
  return { copied: true, rows: result.rows, hash: verified!, durationMs: performance.now() - started };
}

async function countRows(store: Storage): Promise<number> {
  const schemaTables = new Set(
    store
      .tables()
      .filter((t) => t.entity === 'schema')
      .map((t) => t.name),
  );
  const counts = await store.rowCounts();
  return Object.entries(counts).reduce(
    (total, [name, rows]) => total + (schemaTables.has(name) ? 0 : rows),
    0,
  );
}
