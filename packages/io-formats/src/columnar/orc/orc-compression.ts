import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { SnappyError, snappyDecompress } from '../compression/snappy.js';

/** CompressionKind of orc_proto.proto. */
export const OrcCompression = { NONE: 0, ZLIB: 1, SNAPPY: 2, LZO: 3, LZ4: 4, ZSTD: 5 } as const;
export type OrcCompressionKind = (typeof OrcCompression)[keyof typeof OrcCompression];

export const COMPRESSION_NAMES: Record<number, string> = {
  0: 'NONE',
  1: 'ZLIB',
  2: 'SNAPPY',
  3: 'LZO',
  4: 'LZ4',
  5: 'ZSTD',
};

export class OrcCompressionError extends Error {
  override readonly name = 'OrcCompressionError';
}

/** A codec this reader cannot decode (LZO, LZ4): the caller turns it into an UNSUPPORTED error. */
export class OrcUnsupportedCompressionError extends Error {
  override readonly name = 'OrcUnsupportedCompressionError';

  constructor(readonly kind: number) {
    super(`ORC compression ${COMPRESSION_NAMES[kind] ?? `#${kind}`} is not supported`);
  }
}

/**
 * Compresses a stream the ORC way: chunks of at most `blockSize` uncompressed bytes, each behind a 3-byte
 * little-endian header `length << 1 | isOriginal`; a chunk that does not shrink is stored as is.
 */
export function compressOrcStream(kind: OrcCompressionKind, data: Uint8Array, blockSize: number): Uint8Array {
  // Always a fresh array: callers encode into reused scratch buffers.
  if (kind === OrcCompression.NONE) return data.slice();
  if (kind !== OrcCompression.ZLIB) throw new OrcUnsupportedCompressionError(kind);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 0; at < data.length; at += blockSize) {
    const chunk = data.subarray(at, Math.min(at + blockSize, data.length));
    const deflated = deflateRawSync(chunk);
    const original = deflated.length >= chunk.length;
    const body = original ? chunk : deflated;
    const header = new Uint8Array(3);
    const value = body.length * 2 + (original ? 1 : 0);
    header[0] = value & 0xff;
    header[1] = (value >> 8) & 0xff;
    header[2] = (value >> 16) & 0xff;
    parts.push(header, body);
    total += 3 + body.length;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/**
 * Decompresses an ORC stream. No chunk may inflate past `blockSize` (the writer's declared chunk size) and
 * the whole stream not past `maxBytes`: a bomb fails before it allocates.
 */
export function decompressOrcStream(
  kind: number,
  data: Uint8Array,
  blockSize: number,
  maxBytes: number,
): Uint8Array {
  if (kind === OrcCompression.NONE) {
    if (data.length > maxBytes)
      throw new OrcCompressionError(`a stream of ${data.length} bytes exceeds the limit`);
    return data;
  }
  if (kind !== OrcCompression.ZLIB && kind !== OrcCompression.SNAPPY && kind !== OrcCompression.ZSTD) {
    throw new OrcUnsupportedCompressionError(kind);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    if (pos + 3 > data.length) throw new OrcCompressionError('truncated compression chunk header');
    const header = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
    pos += 3;
    const length = header >>> 1;
    const original = (header & 1) === 1;
    if (pos + length > data.length) throw new OrcCompressionError('compression chunk runs past the stream');
    const body = data.subarray(pos, pos + length);
    pos += length;
    const chunk = original ? body : inflateChunk(kind, body, blockSize);
    if (chunk.length > blockSize)
      throw new OrcCompressionError('a chunk is larger than the compression block size');
    total += chunk.length;
    if (total > maxBytes) {
      throw new OrcCompressionError(`the stream inflates past the limit of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function inflateChunk(kind: number, body: Uint8Array, blockSize: number): Uint8Array {
  switch (kind) {
    case OrcCompression.ZLIB:
      try {
        return inflateRawSync(body, { maxOutputLength: Math.max(1, blockSize) });
      } catch (error) {
        throw new OrcCompressionError(`zlib chunk: ${(error as Error).message}`);
      }
    case OrcCompression.SNAPPY:
      try {
        return snappyDecompress(body, blockSize);
      } catch (error) {
        if (error instanceof SnappyError) throw new OrcCompressionError(error.message);
        throw error;
      }
    default:
      return inflateZstd(body, blockSize);
  }
}

/** zstd through fzstd's streaming decoder, stopped as soon as the output passes the bound. */
function inflateZstd(body: Uint8Array, blockSize: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const decoder = new ZstdDecompress((part) => {
    total += part.length;
    if (total > blockSize)
      throw new OrcCompressionError('a zstd chunk inflates past the compression block size');
    parts.push(part.slice());
  });
  try {
    decoder.push(body, true);
  } catch (error) {
    if (error instanceof OrcCompressionError) throw error;
    throw new OrcCompressionError(`zstd chunk: ${(error as Error).message}`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
