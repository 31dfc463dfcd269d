import { promises as fs } from 'node:fs';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { loadPhysicalChain } from '../engine/page-state-loader.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import { pageHash } from '../manifest/page-hash.js';
import { type BlobWorkers, inlineBlobWorkers, type OpenedBlobs } from '../repository/blob-workers.js';
import { IDLE_MS } from '../repository/idle-threads.js';
import type { BlobLocation } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { type StreamHasher, streamHasher } from '../repository/stream-hasher.js';
import { asDiskFull, writing } from '../util/disk-full.js';
import { writeAt } from '../util/file-io.js';

/** Stored bytes handed to a worker at once (blobs of one pack). */
const JOB_STORED_BYTES = 4 * 1024 * 1024;
/**
 * Decoded bytes being opened on the workers at once: a few jobs per worker keep them busy. More only costs
 * fresh memory (on a virtual machine whose new pages fault in from the host, that is not free).
 */
const IN_FLIGHT_RAW_BYTES = 40 * 1024 * 1024;
/** Pages assembled in order and written with one positional write. */
const CHUNK_BYTES = 8 * 1024 * 1024;
/** Chunks being written and hashed at once (then reused). */
const CHUNKS = 4;
/** Decoded bytes per job, in a reused buffer. */
const SLAB_BYTES = 16 * 1024 * 1024;
/**
 * Blobs that hold pages far apart (an incremental's or differential's changed pages) stay in memory until the
 * image has been written past their last page. Beyond this many bytes of them, pages are written where they
 * belong as their blobs come in, and the image is read back once for its sha256.
 */
const MAX_HELD_BYTES = 768 * 1024 * 1024;
const SPREAD_PAGES = 4096;
/** Bytes written between background syncs. */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;
/**
 * Positional writes in flight. Buffered writes to one file take its inode lock in turn: more than two at once
 * only spin on that lock (seen in perf as rwsem_spin_on_owner).
 */
const WRITES_IN_FLIGHT = 2;

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

/** A reused buffer of decoded blobs; back to its pool once no page of it is waiting to be copied. */
interface Slab {
  readonly buffer: Buffer;
  refs: number;
}

interface Held {
  readonly plan: BlobPlan;
  readonly raw: Buffer;
  readonly offset: number;
  readonly slab: Slab | undefined;
}

interface Job {
  readonly blobs: BlobPlan[];
  readonly rawBytes: number;
  readonly opened: Promise<OpenedBlobs>;
  readonly slab: Slab;
}

/**
 * Rebuilds a physical backup's image into `path` (a new file). Every blob its chain needs is read once,
 * authenticated (AES-256-GCM, the blob id as AAD) and decoded on the workers; the pages are assembled in page
 * order, written with large positional writes and hashed as they go (on `hasher`'s thread); the file is synced once, then its
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
  hasher: StreamHasher = streamHasher(false),
): Promise<void> {
  const state = await loadPhysicalChain(repository, metadata);
  const { pageSize, pageCount } = state;
  const imageBytes = pageCount * pageSize;
  const byBlob = new Map<string, BlobPlan>();
  for (let pgno = 1; pgno <= pageCount; pgno += 1) {
    const location = state.locationOf(pgno);
    let plan = byBlob.get(location.id);
    if (!plan) {
      plan = { location, pages: [], slots: [], firstPage: pgno, lastPage: pgno };
      byBlob.set(location.id, plan);
    }
    plan.pages.push(pgno);
    plan.slots.push(state.slotOf(pgno));
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

  const what = `writing the restored image ${path}`;
  const handle = await writing(what, () => fs.open(path, 'wx+', 0o600));
  let ok = false;
  const writes: Promise<unknown>[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const jobs: Job[] = [];
  // Decoded blobs and the stored bytes they come from live in reused shared memory: the workers read and
  // decode in place, and this thread allocates nothing per job (per-job buffers made the collector mark the
  // whole heap every few tens of MB). Chunks of the image are shared too: the hashing thread reads them.
  const { decoded, chunkPool } = POOLS;
  const chunks: { chunk: Buffer; done: Promise<unknown> }[] = [];
  /** The chunk being filled (not yet in `chunks`). */
  let filling: Buffer | undefined;
  try {
    let done = 0;
    // Written pages go to disk while later ones are decoded: one background fdatasync after every stretch of
    // written bytes, so that the final sync finds little left to write (it was 0.6 s per GB when all of it
    // waited for the end).
    let unsynced = 0;
    let flushed = true;
    const write = (data: Buffer, position: number): Promise<unknown> => {
      const writing = writeAt(handle, data, position);
      writing.catch(() => undefined);
      writes.push(writing);
      unsynced += data.length;
      if (unsynced >= SYNC_EVERY_BYTES && flushed) {
        unsynced = 0;
        flushed = false;
        flushing = writing
          .then(() => handle.datasync())
          .finally(() => {
            flushed = true;
          });
        flushing.catch(() => undefined);
      }
      return writing;
    };
    const bound = async () => {
      while (writes.length > WRITES_IN_FLIGHT) await writes.shift();
    };

    // In order: pages are copied into a chunk as soon as the blob holding them is open.
    const held = new Map<string, Held>();
    let next = 1;
    const chunkBytes = Math.min(CHUNK_BYTES, Math.max(imageBytes, pageSize));
    const chunkCapacity = Math.floor(chunkBytes / pageSize);
    const newChunk = async (): Promise<Buffer> => {
      if (chunks.length < CHUNKS) {
        filling = chunkPool.take(chunkCapacity * pageSize);
        return filling;
      }
      // The oldest chunk is reused once it is written and hashed.
      const oldest = chunks.shift()!;
      await oldest.done;
      filling = oldest.chunk;
      return filling;
    };
    let chunk = inOrder ? await newChunk() : Buffer.alloc(0);
    let chunkStart = 1;
    let chunkPages = 0;
    const flushChunk = async () => {
      if (chunkPages === 0) return;
      const data = chunk.subarray(0, chunkPages * pageSize);
      const written = write(data, (chunkStart - 1) * pageSize);
      const hashed = hasher.update(data);
      hashed.catch(() => undefined);
      chunks.push({ chunk, done: Promise.all([written, hashed]) });
      await bound();
      chunk = await newChunk();
      chunkStart += chunkPages;
      chunkPages = 0;
    };
    const release = (slab: Slab | undefined) => {
      if (slab && --slab.refs === 0) decoded.give(slab.buffer);
    };
    const advance = async () => {
      while (next <= pageCount) {
        const id = state.locationOf(next).id;
        const entry = held.get(id);
        if (!entry) return;
        // The run of consecutive pages at consecutive slots of this blob, copied at once.
        const index = entry.plan.pages.indexOf(next);
        const slot = entry.plan.slots[index]!;
        let run = 1;
        while (
          index + run < entry.plan.pages.length &&
          entry.plan.pages[index + run] === next + run &&
          entry.plan.slots[index + run] === slot + run &&
          chunkPages + run < chunkCapacity
        ) {
          run += 1;
        }
        run = Math.min(run, chunkCapacity - chunkPages);
        const from = entry.offset + slot * pageSize;
        entry.raw.copy(chunk, chunkPages * pageSize, from, from + run * pageSize);
        chunkPages += run;
        next += run;
        if (next > entry.plan.lastPage) {
          held.delete(id);
          release(entry.slab);
        }
        if (chunkPages === chunkCapacity) await flushChunk();
      }
    };

    const place = async (job: Job, opened: OpenedBlobs) => {
      let offset = 0;
      const slabWrites: Promise<unknown>[] = [];
      for (const plan of job.blobs) {
        if (inOrder) {
          if (plan.lastPage - plan.firstPage > SPREAD_PAGES) {
            // Its pages are far apart: kept in a copy of its own, so the slab is not pinned meanwhile.
            const own = Buffer.from(opened.raw.subarray(offset, offset + plan.location.rawBytes));
            held.set(plan.location.id, { plan, raw: own, offset: 0, slab: undefined });
          } else {
            job.slab.refs += 1;
            held.set(plan.location.id, { plan, raw: opened.raw, offset, slab: job.slab });
          }
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
            slabWrites.push(
              write(opened.raw.subarray(from, from + run * pageSize), (plan.pages[i]! - 1) * pageSize),
            );
            await bound();
            i += run;
          }
        }
        offset += plan.location.rawBytes;
        done += plan.pages.length;
      }
      if (inOrder) {
        await advance();
        release(job.slab);
      } else {
        // The slab is reused once the writes from it are done.
        void Promise.allSettled(slabWrites).then(() => release(job.slab));
      }
      onProgress?.({ done, total: pageCount });
    };

    let inFlightRaw = 0;
    const take = async () => {
      const job = jobs.shift()!;
      inFlightRaw -= job.rawBytes;
      await place(job, await job.opened);
    };
    const submit = async (blobs: BlobPlan[]) => {
      const rawBytes = blobs.reduce((sum, b) => sum + b.location.rawBytes, 0);
      const slab: Slab = { buffer: decoded.take(rawBytes), refs: 1 };
      const locations = blobs.map((b) => b.location);
      const { opened } = await openPackStretch(repository, workers, locations, pageSize, false, slab.buffer);
      jobs.push({ blobs, rawBytes, opened, slab });
      inFlightRaw += rawBytes;
      while (inFlightRaw > IN_FLIGHT_RAW_BYTES) await take();
    };
    for (const batch of packStretches(ordered, JOB_STORED_BYTES, SLAB_BYTES)) await submit(batch);
    while (jobs.length > 0) await take();
    if (inOrder) await flushChunk();
    await Promise.all(writes.splice(0));
    if (inOrder && next !== pageCount + 1) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.CHAIN_BROKEN,
        `backup ${metadata.id}: page ${next} was never supplied`,
      );
    }
    await handle.truncate(imageBytes);
    await flushing;
    await handle.sync();
    if (!inOrder) await fileSha256(handle, imageBytes, hasher);
    const actual = await hasher.digest();
    if (actual !== metadata.checksum) {
      throw await mismatch(handle, metadata, state, actual);
    }
    ok = true;
  } catch (error) {
    throw asDiskFull(error, what);
  } finally {
    await Promise.allSettled([
      ...writes,
      ...jobs.map((j) => j.opened),
      ...chunks.map((c) => c.done),
      flushing,
    ]);
    // Written and hashed (or abandoned): the chunks can serve the next restore.
    for (const { chunk: used } of chunks) chunkPool.give(used);
    if (filling && !chunks.some((c) => c.chunk === filling)) chunkPool.give(filling);
    await handle.close();
    if (!ok) await fs.rm(path, { force: true });
  }
}

/**
 * Reused buffers in shared memory of at least `size` bytes (larger on demand), kept between restores and
 * verifications of a process and dropped once none was taken for `IDLE_MS`: a restore after another (a deep
 * verification's test restore, then the restore) finds its memory already mapped instead of faulting in
 * fresh pages.
 */
class SlabPool {
  readonly #size: number;
  readonly #free: Buffer[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(size: number) {
    this.#size = size;
  }

  take(bytes: number): Buffer {
    this.#idle();
    const i = this.#free.findIndex((b) => b.length >= bytes);
    if (i >= 0) return this.#free.splice(i, 1)[0]!;
    return Buffer.from(new SharedArrayBuffer(Math.max(bytes, this.#size)));
  }

  give(buffer: Buffer): void {
    if (this.#free.length < POOL_KEEP && !this.#free.includes(buffer)) this.#free.push(buffer);
    this.#idle();
  }

  #idle(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#free.length = 0;
    }, IDLE_MS);
    this.#timer.unref();
  }
}

/** Buffers kept per pool (for as long as idle threads are: `IDLE_MS`). */
const POOL_KEEP = 8;
/** Stored bytes read from packs, decoded blobs, assembled chunks of the image. */
export const POOLS = {
  decoded: new SlabPool(SLAB_BYTES),
  inputs: new SlabPool(JOB_STORED_BYTES * 2),
  chunkPool: new SlabPool(CHUNK_BYTES),
};

/**
 * Blobs, in the order given, cut into stretches that each lie in one pack, span at most `maxStored` bytes of
 * it and decode to at most `maxRaw` bytes (a blob larger than either alone is a stretch of its own): each
 * stretch is one read and one worker job.
 */
export function* packStretches<T extends { readonly location: BlobLocation }>(
  items: Iterable<T>,
  maxStored: number,
  maxRaw: number,
): Generator<T[]> {
  let batch: T[] = [];
  let start = 0;
  let end = 0;
  let raw = 0;
  for (const item of items) {
    const { pack, offset, length, rawBytes } = item.location;
    const from = Math.min(start, offset);
    const to = Math.max(end, offset + length);
    if (
      batch.length > 0 &&
      (pack !== batch[0]!.location.pack || to - from > maxStored || raw + rawBytes > maxRaw)
    ) {
      yield batch;
      batch = [];
    }
    if (batch.length === 0) {
      start = offset;
      end = offset + length;
      raw = 0;
    } else {
      start = from;
      end = to;
    }
    batch.push(item);
    raw += rawBytes;
  }
  if (batch.length > 0) yield batch;
}

/**
 * Opens blobs that lie in one pack (a stretch of `packStretches`): their stretch of the pack is read into a
 * buffer of `POOLS.inputs`, then authenticated and decoded on `workers` into `into`. The stored bytes go back
 * to their pool once the workers are done with them; after a failure they are left to the collector, since a
 * thread of a failed set may still be reading them. A pack shorter than the blobs say fails with
 * OBJECT_CORRUPT, naming the first blob past its end.
 */
export async function openPackStretch(
  repository: Repository,
  workers: BlobWorkers,
  locations: readonly BlobLocation[],
  pageSize: number,
  digests: boolean,
  into: Buffer,
): Promise<{ opened: Promise<OpenedBlobs> }> {
  const name = locations[0]!.pack;
  const start = Math.min(...locations.map((b) => b.offset));
  const end = Math.max(...locations.map((b) => b.offset + b.length));
  // The stored bytes go straight into reused shared memory.
  const input = POOLS.inputs.take(end - start);
  const available = await repository.readPackRange(name, start, input.subarray(0, end - start));
  if (available < end - start) {
    POOLS.inputs.give(input);
    const bad = locations.find((b) => b.offset + b.length > start + available)!;
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.OBJECT_CORRUPT,
      `blob ${bad.id.slice(0, 16)}… in pack ${bad.pack.slice(0, 16)}… is truncated`,
      { details: { blob: bad.id, pack: bad.pack } },
    );
  }
  const opened = workers.open({
    stored: input.subarray(0, end - start),
    blobs: locations.map((location) => ({ location, offset: location.offset - start })),
    pageSize,
    digests,
    into,
  });
  opened.catch(() => undefined);
  void opened.then(
    () => POOLS.inputs.give(input),
    () => undefined,
  );
  return { opened };
}

/** Feeds the written file to `hasher`, reading one buffer while the previous one is hashed. */
async function fileSha256(handle: fs.FileHandle, bytes: number, hasher: StreamHasher): Promise<void> {
  const buffers = [0, 1].map(() => Buffer.from(new SharedArrayBuffer(CHUNK_BYTES)));
  const hashing: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  try {
    for (let offset = 0, i = 0; offset < bytes; offset += CHUNK_BYTES, i ^= 1) {
      await hashing[i];
      const buffer = buffers[i]!;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, bytes - offset), offset);
      if (bytesRead === 0) break;
      hashing[i] = hasher.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await Promise.allSettled(hashing);
  }
  await Promise.all(hashing);
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
      if (!state.digestMatches(pgno, pageHash(buffer.subarray(i * pageSize, (i + 1) * pageSize)), 0)) {
        const blob = state.locationOf(pgno).id;
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
