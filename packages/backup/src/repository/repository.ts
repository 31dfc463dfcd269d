import { StorageErrorCode } from '@mainframe-kb/storage-core';
import type { KdfParams } from '../crypto/kdf-params.js';
import { openObject, SEAL_OVERHEAD, sealObject } from '../crypto/object-cipher.js';
import {
  deriveRepositoryKeys,
  keyedHash,
  plaintextRepositoryKeys,
  type RepositoryKeys,
} from '../crypto/repository-keys.js';
import type { Destination } from '../destination/destination.js';
import { BackupError, BackupFailure, isBackupError } from '../errors/backup-error.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import type { ManifestBody } from '../manifest/manifest-body.js';
import { PromiseCache } from '../util/promise-cache.js';
import { BlobCodec, type CompressionName, DEFAULT_COMPRESSION_LEVEL } from './blob-codec.js';
import { type BlobLocation, PackWriter, packKey } from './pack-writer.js';
import {
  newRepositoryConfig,
  parseRepositoryConfig,
  type RepositoryConfig,
  unwrapMasterKey,
  wrapMasterKey,
} from './repository-config.js';
import { fileDigest, sealFile, unsealFile } from './sealed-file.js';

export const CONFIG_KEY = 'config';

export interface RepositoryOptions {
  /** Needed for an encrypted repository; never stored. */
  passphrase?: string;
  /**
   * `true` (default): the repository must be encrypted — opening a plaintext one fails, so a swapped config
   * can never make us write plaintext. `false` only by explicit choice: the repository must be plaintext.
   */
  encryption?: boolean;
  compression?: CompressionName;
  compressionLevel?: number;
  /** scrypt cost for a new repository or a passphrase change. */
  kdf?: Partial<Pick<KdfParams, 'N' | 'r' | 'p'>>;
  /** Target size of pack files (default 16 MiB). */
  packBytes?: number;
}

const DEFAULT_PACK_BYTES = 16 * 1024 * 1024;

/**
 * A content-addressed backup repository on one destination: a config (KDF parameters and the wrapped master
 * key), packs of compressed-then-encrypted blobs named by their sha256, and manifests. The object id is a
 * keyed hash of the content and the AAD of its ciphertext.
 */
export class Repository {
  readonly destination: Destination;
  readonly config: RepositoryConfig;
  readonly keys: RepositoryKeys;
  readonly codec: BlobCodec;
  readonly packBytes: number;
  readonly #master: Buffer | undefined;
  readonly #packCache = new Map<string, Buffer>();
  /**
   * Manifests read through this instance, decoded (see readManifest): an operation reads a backup's
   * manifest and then its chain's, which includes it again. A few, the latest kept.
   */
  readonly manifests = new PromiseCache<{ metadata: BackupMetadata; body: ManifestBody }>(4);

  private constructor(
    destination: Destination,
    config: RepositoryConfig,
    master: Buffer | undefined,
    options: RepositoryOptions,
  ) {
    this.destination = destination;
    this.config = config;
    this.#master = master;
    this.keys = master ? deriveRepositoryKeys(master, config.id) : plaintextRepositoryKeys(config.id);
    this.codec = new BlobCodec(
      options.compression ?? 'zstd',
      options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL,
    );
    this.packBytes = options.packBytes ?? DEFAULT_PACK_BYTES;
  }

  get encrypted(): boolean {
    return this.config.encryption !== 'none';
  }

  /** Opens the repository at `destination`, creating it when the destination holds none. */
  static async openOrInit(destination: Destination, options: RepositoryOptions = {}): Promise<Repository> {
    if ((await destination.size(CONFIG_KEY)) === undefined) return Repository.init(destination, options);
    return Repository.open(destination, options);
  }

  static async init(destination: Destination, options: RepositoryOptions = {}): Promise<Repository> {
    if ((await destination.size(CONFIG_KEY)) !== undefined) {
      throw new BackupError(
        StorageErrorCode.CONFLICT,
        BackupFailure.REPOSITORY_INVALID,
        `${destination.name} already holds a repository`,
      );
    }
    const encrypt = options.encryption ?? true;
    if (encrypt && options.passphrase === undefined) {
      throw new BackupError(
        StorageErrorCode.VALIDATION,
        BackupFailure.PASSPHRASE_REQUIRED,
        'creating an encrypted repository needs a passphrase ($KB_BACKUP_PASSPHRASE or --passphrase-file); set encryption: false explicitly for a plaintext one',
      );
    }
    const { config, master } = await newRepositoryConfig(
      encrypt ? { passphrase: options.passphrase!, kdf: options.kdf } : null,
    );
    await writeConfig(destination, config);
    return new Repository(destination, config, master, options);
  }

  static async open(destination: Destination, options: RepositoryOptions = {}): Promise<Repository> {
    const config = await readConfig(destination);
    const wantEncrypted = options.encryption ?? true;
    const isEncrypted = config.encryption !== 'none';
    if (wantEncrypted !== isEncrypted) {
      throw new BackupError(
        StorageErrorCode.CONFIG_INVALID,
        BackupFailure.ENCRYPTION_MISMATCH,
        isEncrypted
          ? `${destination.name} is encrypted but the policy says encryption: false`
          : `${destination.name} is a plaintext repository and the policy requires encryption; refusing to read or write it (set encryption: false explicitly to use it)`,
      );
    }
    const master = isEncrypted ? await unwrapMasterKey(config, options.passphrase) : undefined;
    return new Repository(destination, config, master, options);
  }

  /** Wraps the master key under a new passphrase; every object stays as it is and stays readable. */
  async changePassphrase(
    newPassphrase: string,
    kdf?: Partial<Pick<KdfParams, 'N' | 'r' | 'p'>>,
  ): Promise<void> {
    if (!this.#master) {
      throw new BackupError(
        StorageErrorCode.UNSUPPORTED,
        BackupFailure.UNSUPPORTED,
        'a plaintext repository has no passphrase',
      );
    }
    const config = await wrapMasterKey(this.config, this.#master, { passphrase: newPassphrase, kdf });
    await writeConfig(this.destination, config);
  }

  // ─── Blobs ──────────────────────────────────────────────────────────────────────────────────────

  blobId(...parts: Uint8Array[]): string {
    return keyedHash(this.keys.id, ...parts).toString('hex');
  }

  newPackWriter(): PackWriter {
    return new PackWriter(this.destination, this.packBytes);
  }

  /** Compresses, then encrypts (AAD = the id) one blob, ready for a pack. */
  sealBlob(id: string, raw: Buffer): Buffer {
    const encoded = this.codec.encode(raw);
    return this.keys.encryption ? sealObject(this.keys.encryption, encoded, aadOf(id)) : encoded;
  }

  /** The decoded bytes of a blob; authenticated before decompression, sized as recorded. */
  async readBlob(location: BlobLocation): Promise<Buffer> {
    const what = `blob ${location.id.slice(0, 16)}… in pack ${location.pack.slice(0, 16)}…`;
    const stored = await this.readStored(location);
    let encoded: Buffer;
    if (this.keys.encryption) {
      const opened =
        stored.length >= SEAL_OVERHEAD
          ? openObject(this.keys.encryption, stored, aadOf(location.id))
          : undefined;
      if (!opened) {
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          `${what} fails authentication (tampered, truncated, swapped, or a different key)`,
          { details: { blob: location.id, pack: location.pack } },
        );
      }
      encoded = opened;
    } else {
      encoded = stored;
    }
    return this.codec.decode(encoded, location.rawBytes, what);
  }

  /** A blob's stored (sealed) bytes, not yet authenticated. */
  async readStored(location: BlobLocation): Promise<Buffer> {
    const pack = await this.readPack(location.pack);
    if (location.offset + location.length > pack.length) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `blob ${location.id.slice(0, 16)}… in pack ${location.pack.slice(0, 16)}… is truncated`,
        { details: { blob: location.id, pack: location.pack } },
      );
    }
    return pack.subarray(location.offset, location.offset + location.length);
  }

  /**
   * A pack's bytes; the last few are cached. In a plaintext repository they are checked against the pack's
   * name (its sha256) here; in an encrypted one every blob is authenticated by its tag as it is opened, which
   * covers every byte of the pack, so the whole-pack hash is left to `verify`.
   */
  async readPack(name: string): Promise<Buffer> {
    const cached = this.#packCache.get(name);
    if (cached) {
      // Least recently used goes first: a chain's small packs are read throughout a restore.
      this.#packCache.delete(name);
      this.#packCache.set(name, cached);
      return cached;
    }
    const bytes = await this.destination.get(packKey(name)).catch((error: unknown) => {
      throw packMissing(name, this.destination.name, error);
    });
    if (!this.keys.encryption && fileDigest([bytes]) !== name) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `pack ${name} does not match its sha256`,
        { details: { pack: name } },
      );
    }
    if (this.#packCache.size >= 4) this.#packCache.delete(this.#packCache.keys().next().value!);
    this.#packCache.set(name, bytes);
    return bytes;
  }

  /**
   * Reads up to `into.length` bytes of pack `name` from `position` into `into` and returns how many it read
   * (fewer past the pack's end). Straight from the destination when it can read ranges and the repository is
   * encrypted (every blob is then authenticated on its own, so a pack need not be read whole to be checked);
   * otherwise through `readPack` (whole, checked, cached).
   */
  async readPackRange(name: string, position: number, into: Uint8Array): Promise<number> {
    if (!this.#packCache.has(name) && this.keys.encryption && this.destination.readRange) {
      return this.destination.readRange(packKey(name), position, into).catch((error: unknown) => {
        throw packMissing(name, this.destination.name, error);
      });
    }
    const pack = await this.readPack(name);
    const end = Math.min(pack.length, position + into.length);
    if (end <= position) return 0;
    into.set(pack.subarray(position, end));
    return end - position;
  }

  dropCaches(): void {
    this.#packCache.clear();
    this.manifests.clear();
  }

  // ─── Sealed documents (manifest bodies) ─────────────────────────────────────────────────────────

  /** Compresses and (in an encrypted repository) encrypts a document bound to `aad`. */
  sealDocument(body: Buffer, aad: string): Buffer {
    const encoded = this.codec.encode(body);
    return this.keys.encryption
      ? sealObject(this.keys.encryption, encoded, Buffer.from(aad, 'utf8'))
      : encoded;
  }

  openDocument(sealed: Buffer, aad: string, rawBytes: number, what: string): Buffer {
    let encoded: Buffer = sealed;
    if (this.keys.encryption) {
      const opened = openObject(this.keys.encryption, sealed, Buffer.from(aad, 'utf8'));
      if (!opened) {
        throw new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          `${what} fails authentication (tampered or a different key)`,
        );
      }
      encoded = opened;
    }
    return this.codec.decode(encoded, rawBytes, what);
  }
}

/**
 * A pack a manifest names is not in the repository: the backup is damaged (CLI exit 5), unlike a backup or
 * repository that does not exist (not found). Other errors pass unchanged.
 */
function packMissing(name: string, destination: string, error: unknown): unknown {
  if (!isBackupError(error, BackupFailure.OBJECT_MISSING)) return error;
  return new BackupError(
    StorageErrorCode.INTEGRITY,
    BackupFailure.OBJECT_MISSING,
    `pack ${name} is missing from ${destination}: the backups that need it are damaged; run 'kb backup verify' to name them, and take a new full backup`,
    { cause: error, details: { pack: name, destination } },
  );
}

function aadOf(id: string): Buffer {
  return Buffer.from(`blob:${id}`, 'utf8');
}

async function writeConfig(destination: Destination, config: RepositoryConfig): Promise<void> {
  const parts = sealFile(Buffer.from(JSON.stringify(config), 'utf8'));
  await destination.put(CONFIG_KEY, parts, fileDigest(parts));
}

export async function readConfig(destination: Destination): Promise<RepositoryConfig> {
  let bytes: Buffer;
  try {
    bytes = await destination.get(CONFIG_KEY);
  } catch (error) {
    if (isBackupError(error, BackupFailure.OBJECT_MISSING)) {
      throw new BackupError(
        StorageErrorCode.NOT_FOUND,
        BackupFailure.REPOSITORY_INVALID,
        `${destination.name} holds no backup repository (no config)`,
        { cause: error },
      );
    }
    throw error;
  }
  return parseRepositoryConfig(unsealFile(bytes, `${destination.name}/config`), destination.name);
}
