import { randomBytes, randomUUID } from 'node:crypto';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { assertKdfBounds, deriveKek, type KdfParams, newKdfParams } from '../crypto/kdf-params.js';
import { openObject, sealObject } from '../crypto/object-cipher.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';

export const REPOSITORY_FORMAT = 'mainframe-kb-backup';
export const REPOSITORY_VERSION = 1;

const configSchema = z.strictObject({
  format: z.literal(REPOSITORY_FORMAT),
  version: z.literal(REPOSITORY_VERSION),
  id: z.uuid(),
  createdAt: z.string(),
  encryption: z.enum(['aes-256-gcm', 'none']),
  kdf: z
    .strictObject({
      algorithm: z.literal('scrypt'),
      N: z.number(),
      r: z.number(),
      p: z.number(),
      salt: z.string(),
    })
    .optional(),
  /** The master key wrapped with the passphrase's key (nonce ‖ ciphertext ‖ tag, base64). */
  wrappedKey: z.string().optional(),
});

export type RepositoryConfig = z.output<typeof configSchema>;

function wrapAad(id: string): Buffer {
  return Buffer.from(`${REPOSITORY_FORMAT}/${REPOSITORY_VERSION}/master-key/${id}`, 'utf8');
}

export function parseRepositoryConfig(payload: Buffer, where: string): RepositoryConfig {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.REPOSITORY_INVALID,
      `${where}: the config is not JSON`,
      { cause: error },
    );
  }
  const result = configSchema.safeParse(json);
  if (!result.success) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.REPOSITORY_INVALID,
      `${where}: not a ${REPOSITORY_FORMAT} v${REPOSITORY_VERSION} repository config (${result.error.issues[0]?.message})`,
    );
  }
  const config = result.data;
  if (config.encryption === 'aes-256-gcm' && (!config.kdf || !config.wrappedKey)) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.REPOSITORY_INVALID,
      `${where}: an encrypted repository's config lacks its key`,
    );
  }
  return config;
}

/** A new repository's config; for an encrypted one, a fresh random master key wrapped by the passphrase. */
export async function newRepositoryConfig(
  encryption: { passphrase: string; kdf?: Partial<Pick<KdfParams, 'N' | 'r' | 'p'>> } | null,
): Promise<{ config: RepositoryConfig; master: Buffer | undefined }> {
  const base = {
    format: REPOSITORY_FORMAT,
    version: REPOSITORY_VERSION,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
  } as const;
  if (!encryption) return { config: { ...base, encryption: 'none' }, master: undefined };
  const master = randomBytes(32);
  const config = await wrapMasterKey({ ...base, encryption: 'aes-256-gcm' }, master, encryption);
  return { config, master };
}

/** Re-wraps the same master key under a new passphrase (fresh salt): no data is rewritten. */
export async function wrapMasterKey(
  config: RepositoryConfig,
  master: Buffer,
  encryption: { passphrase: string; kdf?: Partial<Pick<KdfParams, 'N' | 'r' | 'p'>> },
): Promise<RepositoryConfig> {
  assertPassphrase(encryption.passphrase);
  const kdf = newKdfParams(encryption.kdf);
  const kek = await deriveKek(encryption.passphrase, kdf);
  const wrapped = sealObject(kek, master, wrapAad(config.id));
  return { ...config, kdf, wrappedKey: wrapped.toString('base64') };
}

export async function unwrapMasterKey(
  config: RepositoryConfig,
  passphrase: string | undefined,
): Promise<Buffer> {
  if (passphrase === undefined || passphrase === '') {
    throw new BackupError(
      StorageErrorCode.VALIDATION,
      BackupFailure.PASSPHRASE_REQUIRED,
      'the repository is encrypted: give its passphrase ($KB_BACKUP_PASSPHRASE or --passphrase-file)',
    );
  }
  // Bounds before any work: a hostile config cannot make us spend unbounded memory or time.
  assertKdfBounds(config.kdf);
  const kek = await deriveKek(passphrase, config.kdf);
  const master = openObject(kek, Buffer.from(config.wrappedKey ?? '', 'base64'), wrapAad(config.id));
  // A key that does not verify is a verification failure (CLI exit 5), as `kb backup verify` reports it.
  if (master?.length !== 32) {
    throw new BackupError(
      StorageErrorCode.INTEGRITY,
      BackupFailure.WRONG_PASSPHRASE,
      'the passphrase does not open this repository (or its config was altered)',
    );
  }
  return master;
}

export function assertPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.length < 8 || passphrase.length > 1024) {
    throw new BackupError(
      StorageErrorCode.VALIDATION,
      BackupFailure.PASSPHRASE_REQUIRED,
      'a backup passphrase must be 8 to 1024 characters',
    );
  }
}
