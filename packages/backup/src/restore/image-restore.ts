import { createHash } from 'node:crypto';
import { promises as fs, writeSync } from 'node:fs';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { loadPhysicalChain } from '../engine/page-state-loader.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import { PAGE_HASH_BYTES } from '../manifest/manifest-body.js';
import { type BlobOpener, inlineOpener, type OpenedBlob } from '../repository/open-pool.js';
import type { Repository } from '../repository/repository.js';

const IN_FLIGHT = 64;

export interface ImageRestoreProgress {
  readonly done: number;
  readonly total: number;
}

/**
 * Rebuilds a physical backup's image into `path` (a new file): reads every blob its chain needs once,
 * authenticates it, checks each page's keyed hash against the manifest, writes the pages at their offsets,
 * syncs, then checks the whole file's sha256 against the backup's checksum. Nothing of the file is trusted
 * until all of that passed; on any failure the file is removed.
 */
export async function rebuildImage(
  repository: Repository,
  metadata: BackupMetadata,
  path: string,
  onProgress?: (progress: ImageRestoreProgress) => void,
  opener: BlobOpener = inlineOpener(repository),
): Promise<void> {
  const state = await loadPhysicalChain(repository, metadata);
  const { pageSize, pageCount } = state;
  // Pages grouped by the blob holding them, blobs in pack order, so each pack is read once.
  const byBlob = new Map<string, { location: (typeof state.sources)[number] & object; pages: number[] }>();
  for (let pgno = 1; pgno <= pageCount; pgno += 1) {
    const source = state.sources[pgno - 1]!;
    let entry = byBlob.get(source.location.id);
    if (!entry) {
      entry = { location: source, pages: [] };
      byBlob.set(source.location.id, entry);
    }
    entry.pages.push(pgno);
  }
  // Blobs in the order of their first page: a full's come out in page order, so the image's sha256 can be
  // computed as the pages are written; a chain's changed pages break that order and the file is read back.
  const ordered = [...byBlob.values()].sort((a, b) => a.pages[0]! - b.pages[0]!);
  const handle = await fs.open(path, 'wx+', 0o600);
  let ok = false;
  try {
    let done = 0;
    const imageHash = createHash('sha256');
    let inOrder = true;
    let nextPgno = 1;
    const place = ({ location, pages }: (typeof ordered)[number], opened: OpenedBlob) => {
      const { raw, pageHashes } = opened;
      let runStart = -1;
      let runPgno = -1;
      let runLength = 0;
      // Synchronous positioned writes: they only copy into the page cache (the sync comes once, at the end),
      // and a round trip through libuv's thread pool per blob cost more than the copy.
      const flush = () => {
        if (runLength === 0) return;
        writeSync(handle.fd, raw, runStart * pageSize, runLength * pageSize, (runPgno - 1) * pageSize);
        if (inOrder && runPgno === nextPgno) {
          imageHash.update(raw.subarray(runStart * pageSize, (runStart + runLength) * pageSize));
          nextPgno += runLength;
        } else {
          inOrder = false;
        }
        runLength = 0;
      };
      for (const pgno of pages) {
        const slot = state.sources[pgno - 1]!.slot;
        const hash = pageHashes.subarray(slot * PAGE_HASH_BYTES, (slot + 1) * PAGE_HASH_BYTES);
        if ((slot + 1) * pageSize > raw.length || !hash.equals(state.hashOf(pgno))) {
          throw new BackupError(
            StorageErrorCode.INTEGRITY,
            BackupFailure.OBJECT_CORRUPT,
            `page ${pgno} of backup ${metadata.id} does not match its recorded hash (blob ${location.location.id.slice(0, 16)}…)`,
            { details: { backup: metadata.id, page: pgno, blob: location.location.id } },
          );
        }
        if (runLength > 0 && slot === runStart + runLength && pgno === runPgno + runLength) {
          runLength += 1;
        } else {
          flush();
          runStart = slot;
          runPgno = pgno;
          runLength = 1;
        }
      }
      flush();
      done += pages.length;
      onProgress?.({ done, total: pageCount });
    };
    // Blobs are opened (authenticated, decompressed, pages hashed) in parallel, a bounded number in flight,
    // and placed one after the other in this order.
    let placing: Promise<void> = Promise.resolve();
    const window: Promise<void>[] = [];
    for (const entry of ordered) {
      const stored = await repository.readStored(entry.location.location);
      const opening = opener.open(entry.location.location, stored, pageSize);
      // Awaited through `placing`; these handlers only keep a failure from being reported as unhandled.
      opening.catch(() => undefined);
      placing = placing.then(async () => place(entry, await opening));
      placing.catch(() => undefined);
      window.push(placing);
      if (window.length >= IN_FLIGHT) await window.shift();
    }
    await placing;
    await handle.truncate(pageCount * pageSize);
    await handle.sync();
    let hash = imageHash;
    if (!inOrder || nextPgno !== pageCount + 1) {
      hash = createHash('sha256');
      const buffer = Buffer.alloc(4 * 1024 * 1024);
      for (let offset = 0; offset < pageCount * pageSize; offset += buffer.length) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        hash.update(buffer.subarray(0, bytesRead));
      }
    }
    const actual = hash.digest('hex');
    if (actual !== metadata.checksum) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `the rebuilt image of ${metadata.id} has sha256 ${actual}, the backup recorded ${metadata.checksum}`,
        { details: { backup: metadata.id } },
      );
    }
    ok = true;
  } finally {
    await handle.close();
    if (!ok) await fs.rm(path, { force: true });
  }
}
