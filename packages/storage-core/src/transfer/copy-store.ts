import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { auditTrailOf, dialectOf, type Storage } from '../storage.js';
import {
  type ContentHash,
  combineTableHashes,
  computeContentHash,
  rowDigest,
  type TableHash,
  tableDigest,
} from './content-hash.js';
import type { TableBatch, TransferProgress } from './table-transfer.js';

export interface CopyStoreOptions {
  readonly batchSize?: number;
  /** Replace the content of a target that holds different data (default: refuse). */
  readonly replace?: boolean;
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
  const indexOwn = new Set(dialectOf(store).searchIndex.migrations.map((m) => m.id));
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
        `the target ${to.location} already holds ${targetRows} rows of other content; copy into an empty store or pass replace`,
        { details: { targetRows } },
      );
    }
  }

  const expectedRows = await countRows(from);
  const digests = new Map<string, Buffer[]>(tables.map((t) => [t.name, []]));
  let keysHanded = false;
  async function* hashing(batches: AsyncIterable<TableBatch>): AsyncGenerator<TableBatch> {
    for await (const batch of batches) {
      if (!keysHanded) {
        // Both role checks have passed once the source yields into the target's load: the target gets the
        // source's audit keys (to verify the copied chain, now and later), its own current key signing on.
        keysHanded = true;
        auditTrailOf(to).keyring.adopt(auditTrailOf(from).keyring.keys(), 'create');
      }
      const list = digests.get(batch.table)!;
      for (const row of batch.rows) list.push(rowDigest(row));
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
        for (const [name, list] of digests) source[name] = { rows: list.length, hash: tableDigest(list) };
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
