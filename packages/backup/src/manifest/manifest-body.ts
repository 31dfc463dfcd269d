import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BlobLocation } from '../repository/pack-writer.js';
import type { TableDigest } from './backup-metadata.js';

export const PAGE_HASH_BYTES = 16;
/** A page's slot in its blob is a u16 on the wire. */
export const MAX_PAGES_PER_BLOB = 0x10000;

/**
 * Copies one page digest from `from[fromAt…]` to `to[toAt…]`. Byte by byte: a quarter of a million digests per
 * GB go through here, and a `subarray` view per digest would be an object each.
 */
export function copyDigest(from: Uint8Array, fromAt: number, to: Uint8Array, toAt: number): void {
  for (let k = 0; k < PAGE_HASH_BYTES; k += 1) to[toAt + k] = from[fromAt + k]!;
}

/**
 * The pages a physical backup stores, one column per field (a full's table holds a quarter of a million rows
 * per GB; objects per page would cost the heap ~400 bytes each). Row `i`: page `pgno[i]`, whose digest is
 * `hash[16 i, 16 i + 16)` (the first 16 bytes of sha256(page)), and whose bytes are page `slot[i]` of blob
 * `blob[i]` (an index into the body's blobs).
 */
export interface PageTable {
  readonly count: number;
  readonly pgno: Uint32Array;
  readonly hash: Uint8Array;
  readonly blob: Uint32Array;
  readonly slot: Uint16Array;
}

/** Builds a PageTable row by row, growing its columns as needed. */
export class PageTableBuilder {
  #count = 0;
  #pgno: Uint32Array;
  #hash: Uint8Array;
  #blob: Uint32Array;
  #slot: Uint16Array;

  constructor(capacity = 1024) {
    const rows = Math.max(1, capacity);
    this.#pgno = new Uint32Array(rows);
    this.#hash = new Uint8Array(rows * PAGE_HASH_BYTES);
    this.#blob = new Uint32Array(rows);
    this.#slot = new Uint16Array(rows);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds page `pgno`, whose digest is `hashes[hashAt, hashAt + 16)`, held at `slot` of blob `blob`. */
  add(pgno: number, hashes: Uint8Array, hashAt: number, blob: number, slot: number): void {
    // The columns would wrap such values silently (the wire format holds u32 pgno and blob, u16 slot).
    if (
      !(
        slot >= 0 &&
        slot < MAX_PAGES_PER_BLOB &&
        pgno >= 1 &&
        pgno <= 0xffffffff &&
        blob >= 0 &&
        blob <= 0xffffffff
      )
    ) {
      throw new RangeError(`page ${pgno} at slot ${slot} of blob ${blob} does not fit a page table`);
    }
    if (this.#count === this.#pgno.length) this.#grow();
    const i = this.#count;
    this.#pgno[i] = pgno;
    this.#blob[i] = blob;
    this.#slot[i] = slot;
    copyDigest(hashes, hashAt, this.#hash, i * PAGE_HASH_BYTES);
    this.#count = i + 1;
  }

  #grow(): void {
    const rows = this.#pgno.length * 2;
    const pgno = new Uint32Array(rows);
    pgno.set(this.#pgno);
    const hash = new Uint8Array(rows * PAGE_HASH_BYTES);
    hash.set(this.#hash);
    const blob = new Uint32Array(rows);
    blob.set(this.#blob);
    const slot = new Uint16Array(rows);
    slot.set(this.#slot);
    this.#pgno = pgno;
    this.#hash = hash;
    this.#blob = blob;
    this.#slot = slot;
  }

  /** The table of the rows added (views of the builder's columns: add nothing afterwards). */
  finish(): PageTable {
    const count = this.#count;
    return {
      count,
      pgno: this.#pgno.subarray(0, count),
      hash: this.#hash.subarray(0, count * PAGE_HASH_BYTES),
      blob: this.#blob.subarray(0, count),
      slot: this.#slot.subarray(0, count),
    };
  }
}

/** The tables a backup covers, as the store declared them (name, entity, primary key, derived). */
export interface TableSpec {
  readonly name: string;
  readonly entity: string;
  readonly primaryKey: readonly string[];
  readonly derived?: boolean;
}

export interface PhysicalBody {
  readonly kind: 'physical';
  readonly tableSpecs: readonly TableSpec[];
  readonly pageSize: number;
  /** Pages of the image after this backup. */
  readonly pageCount: number;
  readonly contentHash: string | null;
  readonly tables: Readonly<Record<string, TableDigest>>;
  readonly blobs: readonly BlobLocation[];
  /** Pages stored by this backup (a full: all; incremental/differential: those changed since the base). */
  readonly pages: PageTable;
}

export interface LogicalTable {
  readonly name: string;
  readonly entity: string;
  readonly rows: number;
  /** Indexes into the body's blobs, in order. */
  readonly blobs: readonly number[];
}

export interface LogicalBody {
  readonly kind: 'logical';
  readonly tableSpecs: readonly TableSpec[];
  readonly dialect: string;
  readonly contentHash: string | null;
  readonly tables: Readonly<Record<string, TableDigest>>;
  readonly order: readonly LogicalTable[];
  readonly blobs: readonly BlobLocation[];
}

export type ManifestBody = PhysicalBody | LogicalBody;

const BLOB_BYTES = 32 + 4 + 4 + 4 + 4;
/** A page row on the wire: pgno (u32), digest (16 bytes), blob (u32), slot (u16), big-endian. */
const PAGE_BYTES = 4 + PAGE_HASH_BYTES + 4 + 2;
const NO_PAGES: PageTable = new PageTableBuilder(1).finish();

function corrupt(why: string): BackupError {
  return new BackupError(StorageErrorCode.INTEGRITY, BackupFailure.OBJECT_CORRUPT, `manifest body: ${why}`);
}

/** JSON for the small fields, fixed-width binary for the blob table and the page table. */
export function encodeBody(body: ManifestBody): Buffer {
  const packs = [...new Set(body.blobs.map((b) => b.pack))];
  const packIndex = new Map(packs.map((p, i) => [p, i]));
  const { blobs, ...rest } = body;
  const pages = body.kind === 'physical' ? body.pages : NO_PAGES;
  const json = Buffer.from(
    JSON.stringify({ ...rest, pages: undefined, packs, blobCount: blobs.length, pageCount_: pages.count }),
    'utf8',
  );
  const out = Buffer.alloc(4 + json.length + blobs.length * BLOB_BYTES + pages.count * PAGE_BYTES);
  let at = out.writeUInt32BE(json.length, 0);
  at += json.copy(out, at);
  for (const b of blobs) {
    at += Buffer.from(b.id, 'hex').copy(out, at, 0, 32);
    at = out.writeUInt32BE(packIndex.get(b.pack)!, at);
    at = out.writeUInt32BE(b.offset, at);
    at = out.writeUInt32BE(b.length, at);
    at = out.writeUInt32BE(b.rawBytes, at);
  }
  for (let i = 0; i < pages.count; i += 1) {
    at = out.writeUInt32BE(pages.pgno[i]!, at);
    copyDigest(pages.hash, i * PAGE_HASH_BYTES, out, at);
    at += PAGE_HASH_BYTES;
    at = out.writeUInt32BE(pages.blob[i]!, at);
    at = out.writeUInt16BE(pages.slot[i]!, at);
  }
  return out;
}

export function decodeBody(bytes: Buffer): ManifestBody {
  if (bytes.length < 4) throw corrupt('too short');
  const jsonLength = bytes.readUInt32BE(0);
  if (4 + jsonLength > bytes.length) throw corrupt('bad header length');
  let head: Record<string, any>;
  try {
    head = JSON.parse(bytes.subarray(4, 4 + jsonLength).toString('utf8'));
  } catch {
    throw corrupt('header is not JSON');
  }
  const packs = head.packs as string[];
  const blobCount = head.blobCount as number;
  const pageCount = head.pageCount_ as number;
  if (
    !Array.isArray(packs) ||
    !packs.every((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p)) ||
    !Number.isSafeInteger(blobCount) ||
    !Number.isSafeInteger(pageCount) ||
    blobCount < 0 ||
    pageCount < 0 ||
    4 + jsonLength + blobCount * BLOB_BYTES + pageCount * PAGE_BYTES !== bytes.length
  ) {
    throw corrupt('section sizes do not add up');
  }
  let at = 4 + jsonLength;
  const blobs: BlobLocation[] = [];
  for (let i = 0; i < blobCount; i += 1) {
    const id = bytes.subarray(at, at + 32).toString('hex');
    const pack = packs[bytes.readUInt32BE(at + 32)];
    if (typeof pack !== 'string') throw corrupt('blob names an unknown pack');
    blobs.push({
      id,
      pack,
      offset: bytes.readUInt32BE(at + 36),
      length: bytes.readUInt32BE(at + 40),
      rawBytes: bytes.readUInt32BE(at + 44),
    });
    at += BLOB_BYTES;
  }
  const builder = new PageTableBuilder(pageCount);
  for (let i = 0; i < pageCount; i += 1) {
    const pgno = bytes.readUInt32BE(at);
    const blob = bytes.readUInt32BE(at + 4 + PAGE_HASH_BYTES);
    if (pgno === 0) throw corrupt('a page numbered 0');
    if (blob >= blobCount) throw corrupt('page names an unknown blob');
    builder.add(pgno, bytes, at + 4, blob, bytes.readUInt16BE(at + 8 + PAGE_HASH_BYTES));
    at += PAGE_BYTES;
  }
  const pages = builder.finish();
  const { packs: _p, blobCount: _b, pageCount_: _c, pages: _x, ...rest } = head;
  if (rest.kind === 'physical') {
    // SQLite's page sizes and page counts: a chain sizes its page state from these.
    const { pageSize, pageCount: imagePages } = rest;
    if (
      !(
        Number.isInteger(pageSize) &&
        pageSize >= 512 &&
        pageSize <= 65536 &&
        (pageSize & (pageSize - 1)) === 0
      )
    )
      throw corrupt(`page size ${String(pageSize)}`);
    if (!(Number.isInteger(imagePages) && imagePages >= 0 && imagePages <= 0xfffffffe))
      throw corrupt(`page count ${String(imagePages)}`);
    return { ...(rest as Omit<PhysicalBody, 'blobs' | 'pages'>), blobs, pages };
  }
  if (rest.kind === 'logical') return { ...(rest as Omit<LogicalBody, 'blobs'>), blobs };
  throw corrupt(`unknown kind ${String(rest.kind)}`);
}
