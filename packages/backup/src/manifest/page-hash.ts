import { hash } from 'node:crypto';
import { PAGE_HASH_BYTES } from './manifest-body.js';

/**
 * A page's digest: the first 16 bytes of its sha256. It only ever lives inside (encrypted) manifest bodies;
 * the blob's id, which addresses the stored object and is its ciphertext's AAD, is the keyed HMAC over the
 * digests of the pages it holds.
 */
export function pageHash(page: Uint8Array): Buffer {
  return (hash('sha256', page, 'buffer') as unknown as Buffer).subarray(0, PAGE_HASH_BYTES);
}
