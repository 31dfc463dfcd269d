import type { InputLimits } from './codec-types.js';

/**
 * storage-core's `InputLimits` (what every reader, a domain importer's included, is held to) and the bound
 * this package adds for compressed files.
 */
export interface ImportLimits extends InputLimits {
  /**
   * Decompressed bytes per compressed byte, over the whole input so far, once more than `RATIO_GRACE_BYTES`
   * came out: text compresses 3–15:1, a whitespace or repeated-record bomb 1,000:1 and more.
   */
  readonly maxCompressionRatio: number;
}

/**
 * Bounds applied to every input unless the caller passes others. A KB entry holds at most three 50,000-character
 * texts (≤ 600 KB of UTF-8), so 4 MiB per record leaves room for any legitimate row; ten million records is
 * several times the largest store an export is meant for (backups carry bigger ones).
 */
export const DEFAULT_LIMITS: ImportLimits = Object.freeze({
  maxRecordBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxRecords: 10_000_000,
  maxDecompressedBytes: 4 * 1024 * 1024 * 1024,
  maxCompressionRatio: 100,
});

/** The ratio is not judged on the first MiB: a small file of repeated lines legitimately compresses far. */
export const RATIO_GRACE_BYTES = 1024 * 1024;

export function withLimits(partial: Partial<ImportLimits> | undefined): ImportLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
