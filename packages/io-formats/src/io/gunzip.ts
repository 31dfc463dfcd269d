import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ByteSource } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import { type ImportLimits, RATIO_GRACE_BYTES } from '../input-limits.js';

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * A gzip source decompressed as it streams, one 64 KiB chunk at a time, and refused as soon as its output
 * passes `maxDecompressedBytes`, or (past the first MiB) expands more than `maxCompressionRatio` times the
 * compressed bytes the inflater consumed: a bomb costs at most what those bounds allow and one chunk of memory,
 * never its full expansion.
 */
export function gunzipSource(source: ByteSource, limits: ImportLimits): ByteSource {
  const { maxDecompressedBytes: maxBytes, maxCompressionRatio: maxRatio } = limits;
  return {
    size: Number.NaN,
    async read() {
      throw formatError(
        'gzip',
        FormatErrorReason.MALFORMED,
        'a compressed input can only be streamed; decompress a columnar file before importing it',
      );
    },
    async *stream() {
      const gunzip = createGunzip({ chunkSize: 64 * 1024 });
      const input = Readable.from(source.stream());
      input.on('error', (error) => gunzip.destroy(error));
      input.pipe(gunzip);
      let total = 0;
      try {
        for await (const chunk of gunzip) {
          total += (chunk as Buffer).length;
          if (total > maxBytes) {
            throw formatError(
              'gzip',
              FormatErrorReason.DECOMPRESSION_LIMIT,
              `the input expands past ${maxBytes} bytes when decompressed; refused as a possible gzip bomb (raise maxDecompressedBytes only for a file you trust)`,
              { details: { limit: maxBytes } },
            );
          }
          // bytesWritten: compressed bytes the inflater has consumed (not those read ahead into its buffer).
          const ratio = total / Math.max(1, gunzip.bytesWritten);
          if (total > RATIO_GRACE_BYTES && ratio > maxRatio) {
            throw formatError(
              'gzip',
              FormatErrorReason.DECOMPRESSION_LIMIT,
              `the input expands ${Math.round(ratio)} times its compressed size, past the ratio of ${maxRatio}; refused as a possible gzip bomb (raise maxCompressionRatio only for a file you trust)`,
              { details: { limit: maxRatio, ratio: Math.round(ratio), decompressedBytes: total } },
            );
          }
          yield chunk as Buffer;
        }
      } catch (error) {
        if ((error as { details?: unknown }).details !== undefined) throw error;
        throw formatError(
          'gzip',
          FormatErrorReason.MALFORMED,
          `the gzip stream is corrupt: ${String(error)}`,
          {
            cause: error,
          },
        );
      } finally {
        input.unpipe(gunzip);
        input.destroy();
        gunzip.destroy();
      }
    },
  };
}
