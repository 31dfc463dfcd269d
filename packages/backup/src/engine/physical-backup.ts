import { createHmac } from 'node:crypto';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import type { ImageContent } from '../content/image-content.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupMetadata, BackupPluginRecord, BackupType } from '../manifest/backup-metadata.js';
import {
  MAX_PAGES_PER_BLOB,
  PAGE_HASH_BYTES,
  PageTableBuilder,
  type PhysicalBody,
  type TableSpec,
} from '../manifest/manifest-body.js';
import { writeManifest } from '../manifest/manifest-store.js';
import { MAX_BLOB_BYTES } from '../repository/blob-codec.js';
import {
  type BlobWorkers,
  inlineBlobWorkers,
  type PagesResult,
  sealedBound,
} from '../repository/blob-workers.js';
import { type BlobLocation, packKey } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { type StreamHasher, streamHasher } from '../repository/stream-hasher.js';
import type { SqliteImage } from '../sqlite/sqlite-image.js';
import { PageState } from './page-state.js';
import { loadPhysicalChain } from './page-state-loader.js';

/** Bytes of page data per blob: 16 pages of 4 KiB. Small enough that a changed page costs little. */
export const BLOB_TARGET_BYTES = 64 * 1024;
/** Bytes of changed pages per blob in an incremental or differential. */
export const CHANGED_BLOB_BYTES = 1024 * 1024;
/** Raw bytes being sealed at once: enough to keep every worker busy, little enough to bound memory. */
const SEALING_QUEUE_BYTES = 16 * 1024 * 1024;
/** Pages handed to a worker at once (whole 16-page groups). */
const READ_BYTES = 4 * 1024 * 1024;
/** Bytes of pages being hashed and sealed on the workers at once. */
const IN_FLIGHT_BYTES = 24 * 1024 * 1024;

export interface BackupProgress {
  readonly phase: 'snapshot' | 'content' | 'pages' | 'manifest' | 'logical';
  readonly done: number;
  readonly total: number;
}

export interface BackupCommon {
  readonly id: string;
  readonly type: BackupType;
  readonly timestamp: Date;
  readonly source: { dialect: string; location: string };
  readonly mvpVersion: string;
  readonly legalHold: boolean;
  readonly complianceFlags: readonly string[];
  readonly recoverySLA: number;
  readonly tableSpecs: readonly TableSpec[];
  readonly plugins: readonly BackupPluginRecord[];
  /** Bytes of changed pages per blob in an incremental or differential (default 1 MiB). */
  readonly changedBlobBytes?: number | undefined;
  readonly onProgress?: ((progress: BackupProgress) => void) | undefined;
}

/** The base a new backup is relative to: its chain of manifests, full first, and the image they describe. */
interface Base {
  readonly chain: readonly string[];
  readonly state: PageState;
}

export function pagesPerBlob(pageSize: number): number {
  return Math.max(1, Math.floor(BLOB_TARGET_BYTES / pageSize));
}

/**
 * Writes one physical backup of `image` into `repository`. A full stores every 16-page group (reusing groups
 * the latest backup already holds, by keyed hash); an incremental or differential stores only the pages whose
 * keyed hash differs from its base's. Packs first, each verified as it lands; the manifest last.
 */
export async function writePhysicalBackup(
  repository: Repository,
  image: SqliteImage,
  content: ImageContent,
  common: BackupCommon,
  baseMetadata: BackupMetadata | undefined,
  dedupFrom: BackupMetadata | undefined,
  retentionPolicy: string,
  workers: BlobWorkers = inlineBlobWorkers({
    key: repository.keys.encryption,
    idKey: repository.keys.id,
    compression: repository.codec.compression,
    level: repository.codec.level,
  }),
  hasher: StreamHasher = streamHasher(false),
): Promise<BackupMetadata> {
  const { pageSize, pageCount } = image;
  let base: Base | undefined;
  if (common.type !== 'full' && baseMetadata) {
    const state = await loadPhysicalChain(repository, baseMetadata);
    if (state.pageSize === pageSize) base = { chain: [...baseMetadata.dependsOn, baseMetadata.id], state };
  }
  const type: BackupType = base ? common.type : 'full';
  // Groups the latest backup holds, for a full to reuse instead of storing again.
  const reusable = new Map<string, BlobLocation>();
  if (type === 'full' && dedupFrom) {
    try {
      const state = await loadPhysicalChain(repository, dedupFrom);
      for (const location of state.referencedLocations()) {
        if (Math.floor(location.rawBytes / pageSize) === pagesPerBlob(pageSize))
          reusable.set(location.id, location);
      }
    } catch {
      // A damaged earlier backup only costs deduplication here; verify reports it.
    }
  }

  const group = pagesPerBlob(pageSize);
  // Changed pages are scattered: compressed together in larger blobs they compress about as well as all of
  // them at once, and such blobs are never shared anyway.
  const changedGroup = Math.min(
    Math.max(group, Math.floor((common.changedBlobBytes ?? CHANGED_BLOB_BYTES) / pageSize)),
    // A restore decodes at most MAX_BLOB_BYTES per blob; a page's slot is a u16 in the manifest.
    Math.floor(MAX_BLOB_BYTES / pageSize),
    MAX_PAGES_PER_BLOB,
  );
  const writer = repository.newPackWriter();
  const blobIndex = new Map<string, number>();
  const pages = new PageTableBuilder(type === 'full' ? pageCount : 1024);
  const slots: (BlobLocation | undefined)[] = [];
  // Groups the repository already holds are not sealed again by the workers.
  workers.setSkip([...reusable.keys()]);

  // Stretches of pages are hashed (and, for a full, their groups sealed) on the workers, a bounded number at
  // once; this thread computes the image's sha256 meanwhile and takes the results in order.
  const inFlight: {
    first: number;
    count: number;
    batch: Buffer;
    sealedInto: Buffer | undefined;
    result: Promise<PagesResult>;
    hashed: Promise<void>;
  }[] = [];
  let inFlightBytes = 0;
  // Changed pages of an incremental or differential, sealed in blobs of `changedGroup` pages.
  let pending: { pgno: number; hash: Uint8Array; data: Buffer }[] = [];
  const sealing: { id: string; index: number; rawBytes: number; sealed: Promise<Buffer> }[] = [];
  let sealingBytes = 0;
  const drainSealing = async (keepBytes: number) => {
    while (sealing.length > 0 && sealingBytes > keepBytes) {
      const job = sealing.shift()!;
      sealingBytes -= job.rawBytes;
      slots[job.index] = await writer.add(job.id, await job.sealed, job.rawBytes);
    }
  };
  const emitChanged = async () => {
    const members = pending;
    pending = [];
    const idHmac = createHmac('sha256', repository.keys.id);
    idHmac.update(`pages:${pageSize}:`);
    for (const m of members) idHmac.update(m.hash);
    const id = idHmac.digest('hex');
    let index = blobIndex.get(id);
    if (index === undefined) {
      index = slots.length;
      blobIndex.set(id, index);
      slots.push(undefined);
      const raw = members.length === 1 ? members[0]!.data : Buffer.concat(members.map((m) => m.data));
      const sealed = workers.seal(id, raw);
      sealed.catch(() => undefined);
      sealing.push({ id, index, rawBytes: raw.length, sealed });
      sealingBytes += raw.length;
      await drainSealing(SEALING_QUEUE_BYTES);
    }
    members.forEach((m, slot) => {
      pages.add(m.pgno, m.hash, 0, index, slot);
    });
  };
  const take = async () => {
    const { first, count, batch, sealedInto, result, hashed } = inFlight.shift()!;
    inFlightBytes -= batch.length;
    const { hashes, groups } = await result;
    // The stretch's buffer is reused once it is hashed (and the hasher's errors surface here).
    await hashed;
    stretches.push(batch);
    if (type === 'full') {
      for (let g = 0; g < groups.length; g += 1) {
        const { id, sealed } = groups[g]!;
        const members = Math.min(group, count - g * group);
        let index = blobIndex.get(id);
        if (index === undefined) {
          index = slots.length;
          blobIndex.set(id, index);
          const reused = reusable.get(id);
          if (reused) slots.push(reused);
          else if (sealed) slots.push(await writer.add(id, sealed, members * pageSize));
          else throw new Error(`a worker skipped group ${id}, which the repository does not hold`);
        }
        for (let slot = 0; slot < members; slot += 1) {
          const i = g * group + slot;
          pages.add(first + i, hashes, i * PAGE_HASH_BYTES, index, slot);
        }
      }
      // Every sealed group was copied into its pack: the buffer serves a later stretch.
      if (sealedInto) sealedBuffers.push(sealedInto);
    } else {
      const state = base!.state;
      for (let i = 0; i < count; i += 1) {
        const pgno = first + i;
        const at = i * PAGE_HASH_BYTES;
        if (pgno <= state.pageCount && state.digestMatches(pgno, hashes, at)) continue;
        const hash = hashes.subarray(at, at + PAGE_HASH_BYTES);
        // A copy: the stretch's buffer may be reused for the next read.
        pending.push({ pgno, hash, data: Buffer.from(batch.subarray(i * pageSize, (i + 1) * pageSize)) });
        if (pending.length === changedGroup) await emitChanged();
      }
    }
    common.onProgress?.({ phase: 'pages', done: first + count - 1, total: pageCount });
  };

  const blockPages = Math.max(group, Math.floor(READ_BYTES / pageSize / group) * group);
  const stretches: Buffer[] = [];
  const sealedBuffers: Buffer[] = [];
  try {
    for (let first = 1; first <= pageCount; first += blockPages) {
      const count = Math.min(blockPages, pageCount - first + 1);
      // Each stretch is copied into a reused buffer in shared memory, which the workers and the hashing
      // thread read in place: nothing is allocated per stretch, and the image itself need not be shared
      // (a shared copy of a whole image costs a fresh gigabyte of memory per GB backed up).
      const buffer = stretches.pop() ?? Buffer.from(new SharedArrayBuffer(blockPages * pageSize));
      let batch = buffer.subarray(0, count * pageSize);
      if (image.view) {
        const pages = image.view(first, count);
        batch = pages.length === batch.length ? batch : buffer.subarray(0, 0);
        pages.copy(batch);
      } else if ((await image.read(batch, first, count)) !== count * pageSize) {
        batch = buffer.subarray(0, 0);
      }
      if (batch.length !== count * pageSize) {
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          'the backup image shrank while read',
        );
      }
      // A full's sealed groups are written by the workers into reused shared memory.
      const sealedInto =
        type === 'full'
          ? (sealedBuffers.pop() ??
            Buffer.from(
              new SharedArrayBuffer(sealedBound(blockPages * pageSize, Math.ceil(blockPages / group))),
            ))
          : undefined;
      const result = workers.pages(batch, pageSize, type === 'full' ? group : 0, sealedInto);
      result.catch(() => undefined);
      // The image's sha256, in page order: on the hashing thread, which reads shared memory in place.
      const hashed = hasher.update(batch);
      hashed.catch(() => undefined);
      inFlight.push({ first, count, batch, sealedInto, result, hashed });
      inFlightBytes += batch.length;
      while (inFlightBytes > IN_FLIGHT_BYTES) await take();
    }
    while (inFlight.length > 0) await take();
    if (pending.length > 0) await emitChanged();
    await drainSealing(-1);
    await writer.finish();
  } catch (error) {
    await Promise.allSettled([
      ...inFlight.flatMap((j) => [j.result, j.hashed]),
      ...sealing.map((j) => j.sealed),
    ]);
    await writer.settle();
    throw error;
  }
  const blobs = slots.map((location) => location!);
  const checksum = await hasher.digest();

  const body: PhysicalBody = {
    kind: 'physical',
    tableSpecs: common.tableSpecs,
    pageSize,
    pageCount,
    contentHash: content.contentHash,
    tables: content.tables,
    blobs,
    pages: pages.finish(),
  };
  // The image this backup restores to, to list its packs and check that the reused ones are all there.
  const state = base ? base.state : new PageState(pageSize);
  state.apply(common.id, body);
  state.assertComplete(common.id);
  const extents = new Map<string, number>();
  let referencedSize = 0;
  for (const location of state.referencedLocations()) {
    referencedSize += location.length;
    extents.set(location.pack, Math.max(extents.get(location.pack) ?? 0, location.offset + location.length));
  }
  const written = new Set(writer.written.map((p) => p.name));
  for (const [pack, extent] of extents) {
    if (written.has(pack)) continue;
    const size = await repository.destination.size(packKey(pack));
    if (size === undefined || size < extent) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_MISSING,
        `pack ${pack} that this backup reuses is ${size === undefined ? 'missing' : 'truncated'}; run 'kb backup verify' and take a new full backup`,
        { details: { pack } },
      );
    }
  }

  common.onProgress?.({ phase: 'manifest', done: 0, total: 1 });
  const metadata: BackupMetadata = {
    id: common.id,
    type,
    kind: 'physical',
    timestamp: common.timestamp.toISOString(),
    checksum,
    checksumAlgorithm: 'sha256',
    encryption: repository.encrypted ? { algorithm: 'aes-256-gcm', kdf: 'scrypt' } : null,
    compression: { algorithm: repository.codec.compression, level: repository.codec.level },
    dataSize: image.bytes,
    compressedSize: writer.storedBytes,
    referencedSize,
    entryCount: content.entryCount,
    mvpVersion: common.mvpVersion,
    schemaVersion: content.schemaVersion,
    filePath: `manifests/${common.id}`,
    destination: repository.destination.name,
    dependsOn: base ? base.chain : [],
    recoverySLA: common.recoverySLA,
    retentionPolicy,
    legalHold: common.legalHold,
    complianceFlags: [...common.complianceFlags],
    source: common.source,
    packs: [...extents.keys()].sort(),
    bodyBytes: 0,
    plugins: common.plugins,
  };
  const stored = await writeManifest(repository, metadata, body);
  common.onProgress?.({ phase: 'manifest', done: 1, total: 1 });
  return stored.metadata;
}
