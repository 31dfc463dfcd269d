import { createHash } from 'node:crypto';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';

const MAGIC = Buffer.from('KBBK1 ', 'latin1');
const HEADER_BYTES = MAGIC.length + 64 + 1;

export function sha256Hex(...parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/**
 * Files that are not content-addressed (the config, manifests) carry the plain sha256 of their payload in
 * a one-line header: `KBBK1 <sha256 hex>\n<payload>`. Anyone can check them without the key.
 */
export function sealFile(payload: Buffer): Buffer[] {
  return [Buffer.concat([MAGIC, Buffer.from(`${sha256Hex(payload)}\n`, 'latin1')]), payload];
}

export function fileDigest(parts: readonly Uint8Array[]): string {
  return sha256Hex(...parts);
}

/** Checks the header and returns the payload; OBJECT_CORRUPT when any byte of the file changed. */
export function unsealFile(bytes: Buffer, what: string): Buffer {
  const corrupt = (why: string) =>
    new BackupError(StorageErrorCode.INTEGRITY, BackupFailure.OBJECT_CORRUPT, `${what} is damaged: ${why}`, {
      details: { object: what },
    });
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw corrupt('no KBBK1 header');
  }
  if (bytes[HEADER_BYTES - 1] !== 0x0a) throw corrupt('malformed header');
  const expected = bytes.subarray(MAGIC.length, MAGIC.length + 64).toString('latin1');
  const payload = bytes.subarray(HEADER_BYTES);
  if (sha256Hex(payload) !== expected) throw corrupt('sha256 mismatch');
  return payload;
}
