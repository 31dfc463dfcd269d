import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { PAGE_HASH_BYTES, type PhysicalBody } from '../manifest/manifest-body.js';
import type { BlobLocation } from '../repository/pack-writer.js';

/** Where one page's bytes are: a blob and the page's index in it. */
export interface PageSource {
  readonly location: BlobLocation;
  readonly slot: number;
  /** Pages in that blob (its raw bytes / page size). */
  readonly pagesInBlob: number;
}

/**
 * The image a chain of physical backups describes: for every page its keyed hash and where its bytes are.
 * Built by applying a full's pages and then each incremental's or differential's changed pages in order.
 */
export class PageState {
  readonly pageSize: number;
  pageCount: number;
  hashes: Buffer;
  sources: (PageSource | undefined)[];

  constructor(pageSize: number) {
    this.pageSize = pageSize;
    this.pageCount = 0;
    this.hashes = Buffer.alloc(0);
    this.sources = [];
  }

  static fromChain(bodies: readonly { id: string; body: PhysicalBody }[]): PageState {
    const first = bodies[0];
    if (!first) throw new RangeError('an empty chain');
    const state = new PageState(first.body.pageSize);
    for (const { id, body } of bodies) state.apply(id, body);
    return state;
  }

  apply(id: string, body: PhysicalBody): void {
    if (body.pageSize !== this.pageSize) {
      throw chainError(`backup ${id} has pages of ${body.pageSize} bytes, its base ${this.pageSize}`);
    }
    this.resize(body.pageCount);
    for (const page of body.pages) {
      if (page.pgno < 1 || page.pgno > this.pageCount)
        throw chainError(`backup ${id} names page ${page.pgno}`);
      const location = body.blobs[page.blob]!;
      page.hash.copy(this.hashes, (page.pgno - 1) * PAGE_HASH_BYTES);
      this.sources[page.pgno - 1] = {
        location,
        slot: page.slot,
        pagesInBlob: Math.floor(location.rawBytes / this.pageSize),
      };
    }
  }

  resize(pageCount: number): void {
    const hashes = Buffer.alloc(pageCount * PAGE_HASH_BYTES);
    this.hashes.copy(hashes, 0, 0, Math.min(this.hashes.length, hashes.length));
    this.hashes = hashes;
    this.sources.length = pageCount;
    this.pageCount = pageCount;
  }

  hashOf(pgno: number): Buffer {
    return this.hashes.subarray((pgno - 1) * PAGE_HASH_BYTES, pgno * PAGE_HASH_BYTES);
  }

  /** Every page has a source: the chain describes a whole image. */
  assertComplete(id: string): void {
    for (let i = 0; i < this.pageCount; i += 1) {
      if (!this.sources[i]) throw chainError(`backup ${id} leaves page ${i + 1} without content`);
    }
  }
}

function chainError(message: string): BackupError {
  return new BackupError(StorageErrorCode.INTEGRITY, BackupFailure.CHAIN_BROKEN, message);
}
