import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { copyDigest, PAGE_HASH_BYTES, type PhysicalBody } from '../manifest/manifest-body.js';
import type { BlobLocation } from '../repository/pack-writer.js';

/** `#blobOf` of a page no backup of the chain has given content yet. */
const NONE = -1;

/**
 * The image a chain of physical backups describes: for every page its digest and where its bytes are (a blob
 * and the page's slot in it). Built by applying a full's pages and then each incremental's or differential's
 * changed pages in order. Kept in typed arrays, a few bytes per page: a chain of a 1 GB store has a quarter of
 * a million pages, and restores, verifications and every incremental load one.
 */
export class PageState {
  readonly pageSize: number;
  pageCount = 0;
  /** `PAGE_HASH_BYTES` per page, page 1 first. */
  hashes: Buffer = Buffer.alloc(0);
  /** Per page: the index in `#locations` of the blob that holds it, or NONE. */
  #blobOf = new Int32Array(0);
  #slotOf = new Uint16Array(0);
  /** The blobs of every body applied, body after body. */
  readonly #locations: BlobLocation[] = [];

  constructor(pageSize: number) {
    this.pageSize = pageSize;
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
    const base = this.#locations.length;
    for (const location of body.blobs) this.#locations.push(location);
    const { count, pgno, hash, blob, slot } = body.pages;
    for (let i = 0; i < count; i += 1) {
      const page = pgno[i]!;
      if (page < 1 || page > this.pageCount) throw chainError(`backup ${id} names page ${page}`);
      if (blob[i]! >= body.blobs.length)
        throw chainError(`backup ${id} names blob ${blob[i]} for page ${page}`);
      copyDigest(hash, i * PAGE_HASH_BYTES, this.hashes, (page - 1) * PAGE_HASH_BYTES);
      this.#blobOf[page - 1] = base + blob[i]!;
      this.#slotOf[page - 1] = slot[i]!;
    }
  }

  /** Grows or shrinks the image to `pageCount` pages; pages added have no content until a body gives it. */
  resize(pageCount: number): void {
    const kept = Math.min(this.pageCount, pageCount);
    const hashes = Buffer.alloc(pageCount * PAGE_HASH_BYTES);
    this.hashes.copy(hashes, 0, 0, kept * PAGE_HASH_BYTES);
    const blobOf = new Int32Array(pageCount).fill(NONE);
    blobOf.set(this.#blobOf.subarray(0, kept));
    const slotOf = new Uint16Array(pageCount);
    slotOf.set(this.#slotOf.subarray(0, kept));
    this.hashes = hashes;
    this.#blobOf = blobOf;
    this.#slotOf = slotOf;
    this.pageCount = pageCount;
  }

  /**
   * Whether page `pgno` (1-based, at most `pageCount`) has the digest `digests[at, at + 16)`. Compared in place:
   * backups, verifications and restores ask this for every page of an image.
   */
  digestMatches(pgno: number, digests: Uint8Array, at: number): boolean {
    const own = (pgno - 1) * PAGE_HASH_BYTES;
    return this.hashes.compare(digests, at, at + PAGE_HASH_BYTES, own, own + PAGE_HASH_BYTES) === 0;
  }

  /** The blob that holds page `pgno` (1-based); a CHAIN_BROKEN error when no backup of the chain gave it. */
  locationOf(pgno: number): BlobLocation {
    const index = this.#blobOf[pgno - 1];
    if (index === undefined || index === NONE) throw chainError(`page ${pgno} has no content in this chain`);
    return this.#locations[index]!;
  }

  /** The page's index inside the blob `locationOf(pgno)`. */
  slotOf(pgno: number): number {
    return this.#slotOf[pgno - 1]!;
  }

  /** The blobs the image's pages are in, each once (by id), in the order of their first page. */
  referencedLocations(): BlobLocation[] {
    const taken = new Uint8Array(this.#locations.length);
    const ids = new Set<string>();
    const out: BlobLocation[] = [];
    for (let i = 0; i < this.pageCount; i += 1) {
      const index = this.#blobOf[i]!;
      if (index === NONE || taken[index]) continue;
      taken[index] = 1;
      const location = this.#locations[index]!;
      if (ids.has(location.id)) continue;
      ids.add(location.id);
      out.push(location);
    }
    return out;
  }

  /** Every page has a source: the chain describes a whole image. */
  assertComplete(id: string): void {
    const missing = this.#blobOf.indexOf(NONE);
    if (missing >= 0) throw chainError(`backup ${id} leaves page ${missing + 1} without content`);
  }
}

function chainError(message: string): BackupError {
  return new BackupError(StorageErrorCode.INTEGRITY, BackupFailure.CHAIN_BROKEN, message);
}
