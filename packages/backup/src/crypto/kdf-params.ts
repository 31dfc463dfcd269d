import { createHash, randomBytes, scrypt } from 'node:crypto';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { PromiseCache } from '../util/promise-cache.js';

/** scrypt parameters as stored in a repository's config. */
export interface KdfParams {
  readonly algorithm: 'scrypt';
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** Salt, base64. */
  readonly salt: string;
}

/**
 * Bounds on what a repository's config may ask for. The config is read before the passphrase can be
 * checked, so a hostile one could otherwise make us burn gigabytes of memory or hours of CPU: the bounds are
 * checked before scrypt is called. The lower bound keeps a tampered config from weakening a new wrap.
 */
export const KDF_BOUNDS = {
  minLogN: 14,
  maxLogN: 20,
  maxR: 16,
  maxP: 4,
  /** 128·N·r bytes of scrypt memory at most. */
  maxMemoryBytes: 1024 * 1024 * 1024,
  minSaltBytes: 16,
  maxSaltBytes: 64,
} as const;

/** 2^15 · 8 · 128 = 32 MiB and ~0.1 s on this project's machines: the same cost as restic's default. */
export const DEFAULT_KDF: Omit<KdfParams, 'salt'> = { algorithm: 'scrypt', N: 2 ** 15, r: 8, p: 1 };

export function newKdfParams(cost: Partial<Pick<KdfParams, 'N' | 'r' | 'p'>> = {}): KdfParams {
  const params: KdfParams = {
    ...DEFAULT_KDF,
    ...cost,
    salt: randomBytes(32).toString('base64'),
  };
  assertKdfBounds(params);
  return params;
}

function outOfBounds(message: string, params: unknown): BackupError {
  return new BackupError(
    StorageErrorCode.INTEGRITY,
    BackupFailure.KDF_OUT_OF_BOUNDS,
    `the repository's key-derivation parameters are refused: ${message}`,
    { details: { params } },
  );
}

export function assertKdfBounds(params: unknown): asserts params is KdfParams {
  const p = params as Partial<KdfParams> | null;
  if (!p || typeof p !== 'object' || p.algorithm !== 'scrypt') throw outOfBounds('not scrypt', params);
  const { N, r, p: par, salt } = p;
  if (!Number.isSafeInteger(N) || !Number.isSafeInteger(r) || !Number.isSafeInteger(par)) {
    throw outOfBounds('N, r and p must be integers', params);
  }
  const logN = Math.log2(N!);
  if (!Number.isInteger(logN) || logN < KDF_BOUNDS.minLogN || logN > KDF_BOUNDS.maxLogN) {
    throw outOfBounds(
      `N must be a power of two from 2^${KDF_BOUNDS.minLogN} to 2^${KDF_BOUNDS.maxLogN}`,
      params,
    );
  }
  if (r! < 1 || r! > KDF_BOUNDS.maxR) throw outOfBounds(`r must be from 1 to ${KDF_BOUNDS.maxR}`, params);
  if (par! < 1 || par! > KDF_BOUNDS.maxP) throw outOfBounds(`p must be from 1 to ${KDF_BOUNDS.maxP}`, params);
  if (128 * N! * r! > KDF_BOUNDS.maxMemoryBytes) {
    throw outOfBounds(`128·N·r exceeds ${KDF_BOUNDS.maxMemoryBytes} bytes of memory`, params);
  }
  const saltBytes = typeof salt === 'string' ? Buffer.from(salt, 'base64').length : 0;
  if (saltBytes < KDF_BOUNDS.minSaltBytes || saltBytes > KDF_BOUNDS.maxSaltBytes) {
    throw outOfBounds(`the salt must be ${KDF_BOUNDS.minSaltBytes}–${KDF_BOUNDS.maxSaltBytes} bytes`, params);
  }
}

/**
 * Keys derived in this process, by a digest of everything that determines them (passphrase, salt, costs): a
 * backup, its verification and a restore each open the repository, and scrypt is built to take its time (and
 * 32–128 MiB of fresh memory) on every call. The process holds the passphrase anyway; a key derived from it
 * is no new secret in its memory. A few entries, oldest dropped first.
 */
const derived = new PromiseCache<Buffer>(8);

/** Derives the 32-byte key-encryption key from a passphrase; checks the bounds first. */
export async function deriveKek(passphrase: string, params: KdfParams): Promise<Buffer> {
  assertKdfBounds(params);
  const key = createHash('sha256')
    .update(JSON.stringify([passphrase, params.salt, params.N, params.r, params.p]))
    .digest('hex');
  // A copy: callers may wipe theirs.
  return Buffer.from(await derived.get(key, () => scryptKek(passphrase, params)));
}

function scryptKek(passphrase: string, params: KdfParams): Promise<Buffer> {
  const { N, r, p } = params;
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase, 'utf8'),
      Buffer.from(params.salt, 'base64'),
      32,
      { N, r, p, maxmem: 128 * N * r * (p + 1) + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}
