import { createHmac, hkdfSync } from 'node:crypto';

/** The keys a repository's master key is split into, each for one purpose. */
export interface RepositoryKeys {
  /** AES-256-GCM key for objects and manifests; undefined in a plaintext repository. */
  readonly encryption: Buffer | undefined;
  /** HMAC-SHA256 key that addresses chunks (their ids), so ids reveal nothing of the content. */
  readonly id: Buffer;
  /**
   * HMAC-SHA256 key of integrity records (`checked/<id>`): that a test restore of a backup's image passed
   * integrity_check, so a restore proven bit-identical to it need not repeat it.
   */
  readonly record: Buffer;
}

function subkey(master: Buffer, purpose: string, repositoryId: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', master, Buffer.from(repositoryId, 'utf8'), `kb-backup/${purpose}`, 32),
  );
}

export function deriveRepositoryKeys(master: Buffer, repositoryId: string): RepositoryKeys {
  return {
    encryption: subkey(master, 'encryption', repositoryId),
    id: subkey(master, 'chunk-id', repositoryId),
    record: subkey(master, 'check-record', repositoryId),
  };
}

/**
 * A plaintext repository has no secret: its ids are keyed with the repository id only (still a keyed hash,
 * but anyone with the repository can compute them — as anyone can read the data).
 */
export function plaintextRepositoryKeys(repositoryId: string): RepositoryKeys {
  return {
    encryption: undefined,
    id: subkey(Buffer.alloc(32), 'chunk-id', repositoryId),
    record: subkey(Buffer.alloc(32), 'check-record', repositoryId),
  };
}

export function keyedHash(key: Buffer, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}
