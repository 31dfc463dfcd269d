import { ValidationError } from '@mainframe-kb/storage-core';
import type { FormatName, RecordLocation } from '../codec-types.js';
import type { ColumnarErrorReason } from '../columnar/columnar-errors.js';

/** Stable reasons carried in `details.reason` of a row-format or pipeline rejection. */
export const FormatErrorReason = {
  /** Not well-formed for its format (syntax error, truncated, unbalanced). */
  MALFORMED: 'MALFORMED',
  /** Bytes that are not valid UTF-8; never replaced by U+FFFD. */
  INVALID_UTF8: 'INVALID_UTF8',
  /** A DOCTYPE, external entity or entity declaration in XML (XXE, billion laughs). */
  DTD_FORBIDDEN: 'DTD_FORBIDDEN',
  /** Nesting deeper than the reader's limit. */
  TOO_DEEP: 'TOO_DEEP',
  /** One record (or line, or cell) larger than the reader's limit. */
  RECORD_TOO_LARGE: 'RECORD_TOO_LARGE',
  /** More records than the reader's limit. */
  TOO_MANY_RECORDS: 'TOO_MANY_RECORDS',
  /** Decompressed input larger than the limit (a gzip bomb, or a file too big to trust). */
  DECOMPRESSION_LIMIT: 'DECOMPRESSION_LIMIT',
  /** A key that would reach an object's prototype (`__proto__`, `constructor`, `prototype`). */
  FORBIDDEN_KEY: 'FORBIDDEN_KEY',
  /** A number that cannot be held exactly (integer beyond ±2^53-1, decimal with too many digits). */
  PRECISION_LOSS: 'PRECISION_LOSS',
  /** Two CSV columns with the same header (or mapping to the same field). */
  DUPLICATE_HEADER: 'DUPLICATE_HEADER',
  /** A value that does not fit its field's type. */
  BAD_VALUE: 'BAD_VALUE',
  /** The file's format could not be recognised from its content. */
  UNKNOWN_FORMAT: 'UNKNOWN_FORMAT',
  /** An export envelope whose version this build cannot read. */
  VERSION_UNSUPPORTED: 'VERSION_UNSUPPORTED',
  /** An export manifest or envelope that contradicts itself or names unknown tables. */
  BAD_ENVELOPE: 'BAD_ENVELOPE',
} as const;
export type FormatErrorReason = (typeof FormatErrorReason)[keyof typeof FormatErrorReason];

export interface FormatErrorContext {
  readonly location?: RecordLocation | undefined;
  readonly field?: string | undefined;
  readonly cause?: unknown;
  readonly details?: Record<string, unknown>;
}

/**
 * Rejected input: a `ValidationError` (code VALIDATION, CLI exit 3) whose details carry the format, a stable
 * reason, the location and the field; the columnar codecs' errors are made here too.
 */
export function formatError(
  format: FormatName | 'envelope' | 'gzip',
  reason: FormatErrorReason | ColumnarErrorReason,
  message: string,
  context: FormatErrorContext = {},
): ValidationError {
  const where = context.location === undefined ? '' : ` at ${describeLocation(context.location)}`;
  const full = `${format}: ${message}${where}`;
  return new ValidationError(full, [{ path: context.field ?? '', message: full }], {
    cause: context.cause,
    details: {
      format,
      reason,
      ...(context.location === undefined ? {} : { location: context.location }),
      ...(context.field === undefined ? {} : { field: context.field }),
      ...context.details,
    },
  });
}

/** The reason of a format or columnar rejection, if `error` is one. */
export function reasonOf(error: unknown): string | undefined {
  const details = (error as { details?: { reason?: unknown } } | null)?.details;
  return typeof details?.reason === 'string' ? details.reason : undefined;
}

export function describeLocation(location: RecordLocation): string {
  return Object.entries(location)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}
