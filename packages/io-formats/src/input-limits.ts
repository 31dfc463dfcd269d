import type { InputLimits } from './codec-types.js';

/**
 * Bounds applied to every input unless the caller passes others. A KB entry holds at most three 50,000-character
 * texts (≤ 600 KB of UTF-8), so 4 MiB per record leaves room for any legitimate row.
 */
export const DEFAULT_LIMITS: InputLimits = Object.freeze({
  maxRecordBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxRecords: 50_000_000,
  maxDecompressedBytes: 4 * 1024 * 1024 * 1024,
});

export function withLimits(partial: Partial<InputLimits> | undefined): InputLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
