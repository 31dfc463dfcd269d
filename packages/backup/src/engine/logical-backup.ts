import { createHash } from 'node:crypto';
import type { TableBatch } from '@mainframe-kb/storage-core';
import { combineTableHashes, StorageErrorCode, TableDigester } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupMetadata, TableDigest } from '../manifest/backup-metadata.js';
import type { LogicalBody, LogicalTable } from '../manifest/manifest-body.js';
import { readManifest, writeManifest } from '../manifest/manifest-store.js';
import { type BlobLocation, packKey } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import type { BackupCommon } from './physical-backup.js';
import { encodeRowBlobs } from './row-codec.js';

/**
 * Writes a logical backup: every table's rows (one snapshot, parents first) as JSON batches, each batch a blob
 * addressed by its keyed hash — batches unchanged since `dedupFrom` are not stored again. Self-contained: it
 * depends on no other manifest, and restores into any dialect. The content hash is computed over the very
 * rows stored, so it equals `storage.contentHash()` of that snapshot.
 */
export async function writeLogicalBackup(
  repository: Repository,
  batches: AsyncIterable<TableBatch>,
  common: BackupCommon & { dialect: string; schemaVersion: number },
  dedupFrom: BackupMetadata | undefined,
  retentionPolicy: string,
): Promise<BackupMetadata> {
  const reusable = new Map<string, BlobLocation>();
  if (dedupFrom) {
    try {
      const { body } = await readManifest(repository, dedupFrom.id);
      for (const blob of body.blobs) reusable.set(blob.id, blob);
    } catch {
      // Only deduplication is lost; verify reports a damaged manifest.
    }
  }
  const writer = repository.newPackWriter();
  const blobs: BlobLocation[] = [];
  const blobIndex = new Map<string, number>();
  const order: { name: string; entity: string; rows: number; blobs: number[] }[] = [];
  const digesters = new Map<string, TableDigester>();
  const stream = createHash('sha256');
  let dataSize = 0;
  let rowsDone = 0;
  try {
    for await (const batch of batches) {
      let table = order[order.length - 1];
      if (!table || table.name !== batch.table) {
        table = { name: batch.table, entity: batch.entity, rows: 0, blobs: [] };
        order.push(table);
        digesters.set(batch.table, new TableDigester());
      }
      const digester = digesters.get(batch.table)!;
      for (const row of batch.rows) digester.add(row);
      // Rows of large binary values are stored a few at a time: no stored object may pass MAX_BLOB_BYTES.
      for (const raw of encodeRowBlobs(batch.table, batch.rows)) {
        const label = Buffer.from(`rows:${batch.table}:`, 'utf8');
        stream.update(label).update(raw);
        dataSize += raw.length;
        const id = repository.blobId(label, raw);
        let index = blobIndex.get(id);
        if (index === undefined) {
          const location =
            reusable.get(id) ?? (await writer.add(id, repository.sealBlob(id, raw), raw.length));
          index = blobs.length;
          blobs.push(location);
          blobIndex.set(id, index);
        }
        table.blobs.push(index);
      }
      table.rows += batch.rows.length;
      rowsDone += batch.rows.length;
      common.onProgress?.({ phase: 'logical', done: rowsDone, total: 0 });
    }
    await writer.finish();
  } catch (error) {
    await writer.settle();
    throw error;
  }
  // Tables the snapshot had no rows of still belong in the manifest (restored as empty).
  for (const spec of common.tableSpecs) {
    if (!spec.derived && spec.entity !== 'schema' && !digesters.has(spec.name)) {
      order.push({ name: spec.name, entity: spec.entity, rows: 0, blobs: [] });
      digesters.set(spec.name, new TableDigester());
    }
  }
  const tables: Record<string, TableDigest> = {};
  for (const [name, digester] of digesters) tables[name] = digester.result();

  const written = new Set(writer.written.map((p) => p.name));
  const extents = new Map<string, number>();
  for (const b of blobs) extents.set(b.pack, Math.max(extents.get(b.pack) ?? 0, b.offset + b.length));
  for (const [pack, extent] of extents) {
    if (written.has(pack)) continue;
    const size = await repository.destination.size(packKey(pack));
    if (size === undefined || size < extent) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_MISSING,
        `pack ${pack} that this backup reuses is ${size === undefined ? 'missing' : 'truncated'}`,
        { details: { pack } },
      );
    }
  }
  const body: LogicalBody = {
    kind: 'logical',
    tableSpecs: common.tableSpecs,
    dialect: common.dialect,
    contentHash: combineTableHashes(tables),
    tables,
    order: order as LogicalTable[],
    blobs,
  };
  const metadata: BackupMetadata = {
    id: common.id,
    type: common.type,
    kind: 'logical',
    timestamp: common.timestamp.toISOString(),
    checksum: stream.digest('hex'),
    checksumAlgorithm: 'sha256',
    encryption: repository.encrypted ? { algorithm: 'aes-256-gcm', kdf: 'scrypt' } : null,
    compression: { algorithm: repository.codec.compression, level: repository.codec.level },
    dataSize,
    compressedSize: writer.storedBytes,
    referencedSize: blobs.reduce((sum, b) => sum + b.length, 0),
    entryCount: tables.kb_entries?.rows ?? 0,
    mvpVersion: common.mvpVersion,
    schemaVersion: common.schemaVersion,
    filePath: `manifests/${common.id}`,
    destination: repository.destination.name,
    dependsOn: [],
    recoverySLA: common.recoverySLA,
    retentionPolicy,
    legalHold: common.legalHold,
    complianceFlags: [...common.complianceFlags],
    source: common.source,
    packs: [...extents.keys()].sort(),
    bodyBytes: 0,
    plugins: common.plugins,
  };
  return (await writeManifest(repository, metadata, body)).metadata;
}
