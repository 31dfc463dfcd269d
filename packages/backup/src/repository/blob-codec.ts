import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { Compressor, Decompressor } from 'zstd-napi';
import { BackupError, BackupFailure } from '../errors/backup-error.js';

export type CompressionName = 'zstd' | 'none';

const RAW = 0;
const ZSTD = 1;

/**
 * zstd level of a repository unless configured. Measured on a 1 GB store of the synthetic corpus in 64 KiB
 * blobs: level 2 compresses in about 18 % less time than level 3 and stores 3 % more (BENCHMARKS.md, backups); the
 * changed pages of an incremental, in 1 MiB blobs, come to about 1.15 × their size at level 3 taken together.
 */
export const DEFAULT_COMPRESSION_LEVEL = 2;

/** Stored blobs are never larger than this once decompressed (a bound against decompression bombs). */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;

/**
 * Compression of blob plaintext: one tag byte (0 raw, 1 zstd) then the data. A blob that zstd does not shrink
 * is stored raw, so incompressible pages cost one byte, not zstd's frame overhead.
 */
export class BlobCodec {
  readonly compression: CompressionName;
  readonly level: number;
  readonly #compressor: Compressor | undefined;
  readonly #decompressor = new Decompressor();

  constructor(compression: CompressionName, level = DEFAULT_COMPRESSION_LEVEL) {
    this.compression = compression;
    this.level = level;
    if (compression === 'zstd') {
      this.#compressor = new Compressor();
      this.#compressor.setParameters({ compressionLevel: level });
    }
    this.#decompressor.setParameters({ windowLogMax: 27 });
  }

  encode(data: Buffer): Buffer {
    if (this.#compressor) {
      const packed = this.#compressor.compress(data);
      if (packed.length + 1 < data.length) return Buffer.concat([Buffer.of(ZSTD), packed]);
    }
    return Buffer.concat([Buffer.of(RAW), data]);
  }

  decode(encoded: Buffer, expectedBytes: number, what: string): Buffer {
    const tag = encoded[0];
    let data: Buffer;
    try {
      if (tag === RAW) data = encoded.subarray(1);
      else if (tag === ZSTD) data = this.#decompressor.decompress(encoded.subarray(1));
      else throw new Error(`unknown codec tag ${tag}`);
    } catch (error) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `${what} does not decompress: ${(error as Error).message}`,
        { cause: error, details: { object: what } },
      );
    }
    if (data.length !== expectedBytes || data.length > MAX_BLOB_BYTES) {
      throw new BackupError(
        StorageErrorCode.INTEGRITY,
        BackupFailure.OBJECT_CORRUPT,
        `${what} decompresses to ${data.length} bytes, expected ${expectedBytes}`,
        { details: { object: what } },
      );
    }
    return data;
  }
}
