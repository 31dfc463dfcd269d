import { StorageError, StorageErrorCode, type ValidationError } from '@mainframe-kb/storage-core';
import type { RecordLocation } from '../codec-types.js';
import { formatError } from '../errors/format-error.js';

export type ColumnarFormat = 'parquet' | 'avro' | 'orc';

/**
 * Stable reasons carried in `details.reason`: the same strings as the row formats' `FormatErrorReason`
 * (src/errors/format-error.ts), plus SCHEMA_MISMATCH, which only self-describing files can have.
 */
export const ColumnarErrorReason = {
  /** The bytes are not a well-formed file of the format (bad magic, truncated, corrupt metadata). */
  MALFORMED: 'MALFORMED',
  /** The file's schema does not match the expected entity schema. */
  SCHEMA_MISMATCH: 'SCHEMA_MISMATCH',
  /** A value does not fit its field (wrong type, null in a required field). */
  BAD_VALUE: 'BAD_VALUE',
  /** A value that cannot be held exactly: an integer past ±(2^53−1), a timestamp finer than 1 ms. */
  PRECISION_LOSS: 'PRECISION_LOSS',
  /** String bytes that are not valid UTF-8 (never replaced by U+FFFD). */
  INVALID_UTF8: 'INVALID_UTF8',
  /** One record larger than the reader's limit. */
  RECORD_TOO_LARGE: 'RECORD_TOO_LARGE',
  /** More records than the reader's limit. */
  TOO_MANY_RECORDS: 'TOO_MANY_RECORDS',
  /** A length or decompressed size in the file past the limit (a bomb, or a file too big to trust). */
  DECOMPRESSION_LIMIT: 'DECOMPRESSION_LIMIT',
} as const;
export type ColumnarErrorReason = (typeof ColumnarErrorReason)[keyof typeof ColumnarErrorReason];

interface ErrorContext {
  readonly location?: RecordLocation;
  readonly field?: string;
  readonly cause?: unknown;
  readonly details?: Record<string, unknown>;
}

/**
 * Bad input in a columnar file or record: a `ValidationError` (code VALIDATION) whose details name the
 * format, the reason, the location and the field, so the import result can point at the offending row.
 */
export function columnarError(
  format: ColumnarFormat,
  reason: ColumnarErrorReason,
  message: string,
  context: ErrorContext = {},
): ValidationError {
  return formatError(format, reason, message, context);
}

/** A length or count read from the file is past a limit: refuse before allocating anything for it. */
export function limitError(
  format: ColumnarFormat,
  what: string,
  value: number | bigint,
  limit: number,
  location?: RecordLocation,
  reason: ColumnarErrorReason = ColumnarErrorReason.DECOMPRESSION_LIMIT,
): ValidationError {
  return columnarError(
    format,
    reason,
    `${what} is ${value}, over the limit of ${limit}; the file is corrupt or hostile (raise the input limit only for a file you trust)`,
    { ...(location === undefined ? {} : { location }), details: { what, value: String(value), limit } },
  );
}

/** A feature of the format this build cannot decode (code UNSUPPORTED), named so the user knows what. */
export function unsupportedError(format: ColumnarFormat, feature: string, hint: string): StorageError {
  return new StorageError(StorageErrorCode.UNSUPPORTED, `${format}: ${feature} is not supported; ${hint}`, {
    details: { format, feature },
  });
}

/** Keeps typed errors as they are and wraps anything else a library threw as a MALFORMED file error. */
export function asColumnarError(format: ColumnarFormat, error: unknown, context: string): StorageError {
  if (error instanceof StorageError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return columnarError(format, ColumnarErrorReason.MALFORMED, `${context}: ${message}`, { cause: error });
}
