import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes a sealed object adds to its plaintext: the nonce in front, the tag behind. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * AES-256-GCM with a random 96-bit nonce per object and the full 16-byte tag; `aad` (the object's id)
 * binds the ciphertext to its name, so a swapped or renamed object fails authentication.
 * Layout: nonce ‖ ciphertext ‖ tag.
 */
export function sealObject(key: Buffer, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
}

/**
 * Decrypts a whole sealed object and checks its tag before returning a byte. Node's decipher hands out
 * plaintext from update() before final() has checked the tag, so nothing here escapes until final() passed;
 * `authTagLength` is fixed so a truncated tag is refused rather than checked on fewer bits.
 * Returns undefined when the object is not authentic (wrong key, tampered, truncated, wrong aad).
 */
export function openObject(key: Buffer, sealed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  if (sealed.length < SEAL_OVERHEAD) return undefined;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  decipher.setAAD(aad);
  const plain = decipher.update(body);
  try {
    decipher.final();
  } catch {
    plain.fill(0);
    return undefined;
  }
  return plain;
}
