import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { loadPhysicalChain } from '../engine/page-state-loader.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import { pageHash } from '../manifest/page-hash.js';
import { type BlobWorkers, inlineBlobWorkers, type OpenedBlobs } from '../repository/blob-workers.js';
import type { BlobLocation } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';

/** Stored bytes handed to a worker at once (blobs of one pack). */
const JOB_STORED_BYTES = 4 * 1024 * 1024;
/** Decoded bytes being opened on the workers at once. */
const IN_FLIGHT_RAW_BYTES = 96 * 1024 * 1024;
/** Pages assembled in order and written with one positional write. */
const CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * Blobs that hold pages far apart (an incremental's or differential's changed pages) stay in memory until the
 * image has been written past their last page. Beyond this many bytes of them, pages are written where they
 * belong as their blobs come in, and the image is read back once for its sha256.
 */
const MAX_HELD_BYTES = 768 * 1024 * 1024;
const SPREAD_PAGES = 4096;
const WRITES_IN_FLIGHT = 4;

export interface ImageRestoreProgress {
  readonly done: number;
  readonly total: number;
}

interface BlobPlan {
  readonly location: BlobLocation;
  /** Pages this blob supplies to the image and the slot each is at in the blob. */
  readonly pages: number[];
  readonly slots: number[];
  readonly firstPage: number;
  lastPage: number;
}

interface Held {
  readonly plan: BlobPlan;
  readonly raw: Buffer;
  readonly offset: number;
}

/**
 * Rebuilds a physical backup's image into `path` (a new file). Every blob its chain needs is read once,
 * authenticated (AES-256-GCM, the blob id as AAD) and decoded on the workers; the pages are assembled in page
 * order, written with large positional writes and hashed as they go; the file is synced once, then its
 * sha256 must equal the backup's checksum (authenticated with the manifest): the file is then bit for bit the
 * image that was backed up. Page digests are only computed to name the faulty page when it is not. Nothing of
 * the file is trusted until all of that passed; on any failure the file is removed.
 */
export async function rebuildImage(
  repository: Repository,
  metadata: BackupMetadata,
  path: string,
  onProgress?: (progress: ImageRestoreProgress) => void,
  workers: BlobWorkers = inlineBlobWorkers({
    key: repository.keys.encryption,
    compression: repository.codec.compression,
    level: repository.codec.level,
  }),
): Promise<void> {
  const state = await loadPhysicalChain(repository, metadata);
  const { pageSize, pageCount } = state;
  const imageBytes = pageCount * pageSize;
  const byBlob = new Map<string, BlobPlan>();
  for (let pgno = 1; pgno <= pageCount; pgno += 1) {
    const source = state.sources[pgno - 1]!;
    let plan = byBlob.get(source.location.id);
    if (!plan) {
      plan = { location: source.location, pages: [], slots: [], firstPage: pgno, lastPage: pgno };
      byBlob.set(source.location.id, plan);
    }
    plan.pages.push(pgno);
    plan.slots.push(source.slot);
    plan.lastPage = pgno;
  }
  for (const plan of byBlob.values()) {
    const last = plan.slots.reduce((a, b) => Math.max(a, b), 0);
    if ((last + 1) * pageSize > plan.location.rawBytes) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.CHAIN_BROKEN,
        `backup ${metadata.id} names page slot ${last} of blob ${plan.location.id.slice(0, 16)}…, which holds ${Math.floor(plan.location.rawBytes / pageSize)} pages`,
      );
    }
  }
  // In the order of their first page: a full's come out in page order.
  const ordered = [...byBlob.values()].sort((a, b) => a.firstPage - b.firstPage);
  const spreadBytes = ordered
    .filter((p) => p.lastPage - p.firstPage > SPREAD_PAGES)
    .reduce((sum, p) => sum + p.location.rawBytes, 0);
  const inOrder = spreadBytes <= MAX_HELD_BYTES;

  const handle = await fs.open(path, 'wx+', 0o600);
  let ok = false;
  const writes: Promise<unknown>[] = [];
  const jobs: { blobs: BlobPlan[]; rawBytes: number; opened: Promise<OpenedBlobs> }[] = [];
  try {
    const imageHash = createHash('sha256');
    let done = 0;
    const write = async (data: Buffer, position: number) => {
      const writing = handle.write(data, 0, data.length, position);
      writing.catch(() => undefined);
      writes.push(writing);
      while (writes.length > WRITES_IN_FLIGHT) await writes.shift();
    };

    // In order: pages are copied into a chunk as soon as the blob holding them is open.
    const held = new Map<string, Held>();
    let next = 1;
    let chunk: Buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(imageBytes, pageSize)));
    const spare: Buffer[] = [];
    let chunkStart = 1;
    let chunkPages = 0;
    const chunkCapacity = chunk.length / pageSize;
    const flushChunk = async () => {
      if (chunkPages === 0) return;
      const data = chunk.subarray(0, chunkPages * pageSize);
      imageHash.update(data);
      await write(data, (chunkStart - 1) * pageSize);
      // A chunk is reused once its write is done (at most `WRITES_IN_FLIGHT` are pending).
      spare.push(chunk);
      chunk = spare.length > WRITES_IN_FLIGHT + 1 ? spare.shift()! : Buffer.allocUnsafe(chunk.length);
      chunkStart += chunkPages;
      chunkPages = 0;
    };
    const advance = async () => {
      while (next <= pageCount) {
        const source = state.sources[next - 1]!;
        const entry = held.get(source.location.id);
        if (!entry) return;
        // The run of consecutive pages at consecutive slots of this blob, copied at once.
        const index = entry.plan.pages.indexOf(next);
        let run = 1;
        while (
          index + run < entry.plan.pages.length &&
          entry.plan.pages[index + run] === next + run &&
          entry.plan.slots[index + run] === source.slot + run &&
          chunkPages + run < chunkCapacity
        ) {
          run += 1;
        }
        run = Math.min(run, chunkCapacity - chunkPages);
        const from = entry.offset + source.slot * pageSize;
        entry.raw.copy(chunk, chunkPages * pageSize, from, from + run * pageSize);
        chunkPages += run;
        next += run;
        if (next > entry.plan.lastPage) held.delete(source.location.id);
        if (chunkPages === chunkCapacity) await flushChunk();
      }
    };

    const place = async (blobs: BlobPlan[], opened: OpenedBlobs) => {
      let offset = 0;
      for (const plan of blobs) {
        if (inOrder) {
          held.set(plan.location.id, { plan, raw: opened.raw, offset });
        } else {
          // Runs of consecutive pages at consecutive slots, each written where it belongs.
          let i = 0;
          while (i < plan.pages.length) {
            let run = 1;
            while (
              i + run < plan.pages.length &&
              plan.pages[i + run] === plan.pages[i]! + run &&
              plan.slots[i + run] === plan.slots[i]! + run
            ) {
              run += 1;
            }
            const from = offset + plan.slots[i]! * pageSize;
            await write(opened.raw.subarray(from, from + run * pageSize), (plan.pages[i]! - 1) * pageSize);
            i += run;
          }
        }
        offset += plan.location.rawBytes;
        done += plan.pages.length;
      }
      if (inOrder) await advance();
      onProgress?.({ done, total: pageCount });
    };

    let inFlightRaw = 0;
    const take = async () => {
      const job = jobs.shift()!;
      inFlightRaw -= job.rawBytes;
      await place(job.blobs, await job.opened);
    };
    const submit = async (blobs: BlobPlan[]) => {
      const pack = await repository.readPack(blobs[0]!.location.pack);
      const start = Math.min(...blobs.map((b) => b.location.offset));
      const end = Math.max(...blobs.map((b) => b.location.offset + b.location.length));
      if (end > pack.length) {
        const bad = blobs.find((b) => b.location.offset + b.location.length > pack.length)!;
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          `blob ${bad.location.id.slice(0, 16)}… in pack ${bad.location.pack.slice(0, 16)}… is truncated`,
          { details: { blob: bad.location.id, pack: bad.location.pack } },
        );
      }
      const rawBytes = blobs.reduce((sum, b) => sum + b.location.rawBytes, 0);
      const opened = workers.open({
        stored: pack.subarray(start, end),
        blobs: blobs.map((b) => ({ location: b.location, offset: b.location.offset - start })),
        pageSize,
        digests: false,
      });
      opened.catch(() => undefined);
      jobs.push({ blobs, rawBytes, opened });
      inFlightRaw += rawBytes;
      while (inFlightRaw > IN_FLIGHT_RAW_BYTES) await take();
    };
    let batch: BlobPlan[] = [];
    let batchStored = 0;
    for (const plan of ordered) {
      if (batch.length > 0 && plan.location.pack !== batch[0]!.location.pack) {
        await submit(batch);
        batch = [];
        batchStored = 0;
      }
      batch.push(plan);
      batchStored += plan.location.length;
      if (batchStored >= JOB_STORED_BYTES) {
        await submit(batch);
        batch = [];
        batchStored = 0;
      }
    }
    if (batch.length > 0) await submit(batch);
    while (jobs.length > 0) await take();
    await flushChunk();
    await Promise.all(writes.splice(0));
    if (inOrder && next !== pageCount + 1) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.CHAIN_BROKEN,
        `backup ${metadata.id}: page ${next} was never supplied`,
      );
    }
    await handle.truncate(imageBytes);
    await handle.sync();
    const actual = inOrder ? imageHash.digest('hex') : await fileSha256(handle, imageBytes);
    if (actual !== metadata.checksum) {
      throw await mismatch(handle, metadata, state, actual);
    }
    ok = true;
  } finally {
    await Promise.allSettled([...writes, ...jobs.map((j) => j.opened)]);
    await handle.close();
    if (!ok) await fs.rm(path, { force: true });
  }
}

async function fileSha256(handle: fs.FileHandle, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (let offset = 0; offset < bytes; offset += buffer.length) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, bytes - offset), offset);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
  }
  return hash.digest('hex');
}

/** The image does not match its checksum: names the first page that differs from its recorded digest. */
async function mismatch(
  handle: fs.FileHandle,
  metadata: BackupMetadata,
  state: Awaited<ReturnType<typeof loadPhysicalChain>>,
  actual: string,
): Promise<BackupError> {
  const { pageSize, pageCount } = state;
  const buffer = Buffer.alloc(Math.max(pageSize, Math.floor(CHUNK_BYTES / pageSize) * pageSize));
  for (let first = 1; first <= pageCount; first += buffer.length / pageSize) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, (first - 1) * pageSize);
    for (let i = 0; i * pageSize < bytesRead && first + i <= pageCount; i += 1) {
      const pgno = first + i;
      if (!pageHash(buffer.subarray(i * pageSize, (i + 1) * pageSize)).equals(state.hashOf(pgno))) {
        const blob = state.sources[pgno - 1]!.location.id;
        return new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          `page ${pgno} of backup ${metadata.id} does not match its recorded hash (blob ${blob.slice(0, 16)}…)`,
          { details: { backup: metadata.id, page: pgno, blob } },
        );
      }
    }
  }
  return new BackupError(
    StorageErrorCode.INTEGRITY,
    BackupFailure.OBJECT_CORRUPT,
    `the rebuilt image of ${metadata.id} has sha256 ${actual}, the backup recorded ${metadata.checksum}`,
    { details: { backup: metadata.id } },
  );
}
