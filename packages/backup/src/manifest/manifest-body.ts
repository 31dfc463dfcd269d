import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { BlobLocation } from '../repository/pack-writer.js';
import type { TableDigest } from './backup-metadata.js';

/** One page of a physical image: where its bytes are and their keyed hash. */
export interface PageRef {
  readonly pgno: number;
  /** First 16 bytes of HMAC-SHA256(id key, page). */
  readonly hash: Buffer;
  /** Index into the body's blobs. */
  readonly blob: number;
  /** Page index inside the blob. */
  readonly slot: number;
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
  readonly pages: readonly PageRef[];
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
const PAGE_BYTES = 4 + 16 + 4 + 2;
export const PAGE_HASH_BYTES = 16;

function corrupt(why: string): BackupError {
  return new BackupError(StorageErrorCode.INTEGRITY, BackupFailure.OBJECT_CORRUPT, `manifest body: ${why}`);
}

/** JSON for the small fields, fixed-width binary for the blob table and the page table. */
export function encodeBody(body: ManifestBody): Buffer {
  const packs = [...new Set(body.blobs.map((b) => b.pack))];
  const packIndex = new Map(packs.map((p, i) => [p, i]));
  const { blobs, ...rest } = body;
  const pages = body.kind === 'physical' ? body.pages : [];
  const json = Buffer.from(
    JSON.stringify({ ...rest, pages: undefined, packs, blobCount: blobs.length, pageCount_: pages.length }),
    'utf8',
  );
  const out = Buffer.alloc(4 + json.length + blobs.length * BLOB_BYTES + pages.length * PAGE_BYTES);
  let at = out.writeUInt32BE(json.length, 0);
  at += json.copy(out, at);
  for (const b of blobs) {
    at += Buffer.from(b.id, 'hex').copy(out, at, 0, 32);
    at = out.writeUInt32BE(packIndex.get(b.pack)!, at);
    at = out.writeUInt32BE(b.offset, at);
    at = out.writeUInt32BE(b.length, at);
    at = out.writeUInt32BE(b.rawBytes, at);
  }
  for (const p of pages) {
    at = out.writeUInt32BE(p.pgno, at);
    at += p.hash.copy(out, at, 0, PAGE_HASH_BYTES);
    at = out.writeUInt32BE(p.blob, at);
    at = out.writeUInt16BE(p.slot, at);
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
  const pages: PageRef[] = [];
  for (let i = 0; i < pageCount; i += 1) {
    const blob = bytes.readUInt32BE(at + 20);
    if (blob >= blobCount) throw corrupt('page names an unknown blob');
    pages.push({
      pgno: bytes.readUInt32BE(at),
      hash: Buffer.from(bytes.subarray(at + 4, at + 20)),
      blob,
      slot: bytes.readUInt16BE(at + 24),
    });
    at += PAGE_BYTES;
  }
  const { packs: _p, blobCount: _b, pageCount_: _c, pages: _x, ...rest } = head;
  if (rest.kind === 'physical') return { ...(rest as Omit<PhysicalBody, 'blobs' | 'pages'>), blobs, pages };
  if (rest.kind === 'logical') return { ...(rest as Omit<LogicalBody, 'blobs'>), blobs };
  throw corrupt(`unknown kind ${String(rest.kind)}`);
}
