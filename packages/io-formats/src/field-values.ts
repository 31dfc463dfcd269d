import type { FieldSpec, FieldValue, FormatName, RecordLocation } from './codec-types.js';
import { FormatErrorReason, formatError } from './errors/format-error.js';

// A lone UTF-16 surrogate cannot be written as UTF-8 (an encoder would silently put U+FFFD in its place).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** ISO-8601 with a date, a time and an explicit zone: a timestamp without a zone is ambiguous and refused. */
const ISO_TIMESTAMP =
  /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Significant digits a double holds exactly when printed and read back. */
const MAX_SIGNIFICANT_DIGITS = 17;

/**
 * Checks a value about to be written against its field and returns it in canonical form (`undefined` →
 * `null`). Writers refuse a bad record here, before any of its bytes reach the file.
 */
export function checkValue(
  format: FormatName,
  field: FieldSpec,
  value: FieldValue | undefined,
  location: RecordLocation,
): FieldValue {
  if (value === null || value === undefined) {
    if (field.nullable) return null;
    throw bad(format, field, 'is null but the field is not nullable', location);
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') break;
      if (LONE_SURROGATE.test(value)) {
        throw bad(format, field, 'holds a lone UTF-16 surrogate, which UTF-8 cannot encode', location);
      }
      return value;
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      break;
    case 'double':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'timestamp':
      if (value instanceof Date && Number.isFinite(value.getTime())) return value;
      break;
    case 'binary':
      if (value instanceof Uint8Array) return value;
      break;
  }
  throw bad(format, field, `${describe(value)} is not a valid ${field.type}`, location);
}

/**
 * A checked value as text (CSV cells, XML elements, JSON strings): bytes in base64 (`BinaryEncoding`). Null
 * has no text form: callers encode it themselves.
 */
export function valueToText(value: Exclude<FieldValue, null>): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return bytesToBase64(value);
  return String(value);
}

/** Bytes as base64 (RFC 4648 §4, padded, one line): how the text formats spell a binary field. */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A binary field's text read strictly as base64: the RFC 4648 alphabet with its padding, no whitespace or
 * URL-safe letters, and only the one spelling `bytesToBase64` writes for the bytes (so no two texts are the
 * same value). Anything else is refused, never decoded leniently as Node would.
 */
export function base64ToBytes(
  format: FormatName,
  field: FieldSpec,
  text: string,
  location: RecordLocation,
): Buffer {
  const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (bytes === undefined || bytes.toString('base64') !== text) {
    throw bad(format, field, `'${clip(text)}' is not base64 (RFC 4648, padded)`, location);
  }
  return bytes;
}

/**
 * Parses a text cell strictly into the field's type: integers beyond ±(2^53-1) and decimals with more digits
 * than a double holds are refused rather than rounded; timestamps need an explicit zone.
 */
export function textToValue(
  format: FormatName,
  field: FieldSpec,
  text: string,
  location: RecordLocation,
): FieldValue {
  switch (field.type) {
    case 'string':
      return text;
    case 'integer': {
      if (!INTEGER.test(text)) throw bad(format, field, `'${clip(text)}' is not an integer`, location);
      return exactInteger(format, field, text, location);
    }
    case 'double':
      return parseDecimal(format, field, text, location);
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw bad(format, field, `'${clip(text)}' is not true or false`, location);
    case 'timestamp':
      return parseTimestamp(format, field, text, location);
    case 'binary':
      return base64ToBytes(format, field, text, location);
  }
}

export function exactInteger(format: FormatName, field: FieldSpec, text: string, location: RecordLocation) {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw formatError(
      format,
      FormatErrorReason.PRECISION_LOSS,
      `${field.name}: ${clip(text)} is beyond ±(2^53-1) and would lose precision`,
      { location, field: field.name },
    );
  }
  return value;
}

export function parseDecimal(format: FormatName, field: FieldSpec, text: string, location: RecordLocation) {
  if (!DECIMAL.test(text)) throw bad(format, field, `'${clip(text)}' is not a number`, location);
  if (numberLosesPrecision(text)) {
    throw formatError(
      format,
      FormatErrorReason.PRECISION_LOSS,
      `${field.name}: ${clip(text)} has more significant digits than a double holds`,
      { location, field: field.name },
    );
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw bad(format, field, `'${clip(text)}' is out of range`, location);
  return value;
}

/**
 * Whether a number literal would not be read as the number it spells: an integer literal must be exactly
 * how its double prints (so 2^53 + 1 is refused, 2^53 and 1e20 are not), a decimal must have at most 17
 * significant digits, and nothing may overflow to infinity.
 */
export function numberLosesPrecision(literal: string): boolean {
  const value = Number(literal);
  if (!Number.isFinite(value)) return true;
  if (INTEGER.test(literal)) {
    if (Number.isSafeInteger(value)) return false;
    return String(value) !== literal.replace(/^(-?)0+(?=\d)/, '$1');
  }
  return significantDigits(literal) > MAX_SIGNIFICANT_DIGITS;
}

export function parseTimestamp(format: FormatName, field: FieldSpec, text: string, location: RecordLocation) {
  if (!ISO_TIMESTAMP.test(text)) {
    throw bad(
      format,
      field,
      `'${clip(text)}' is not an ISO-8601 timestamp with an explicit zone (e.g. 2024-05-01T10:00:00Z)`,
      location,
    );
  }
  const date = new Date(text);
  if (!Number.isFinite(date.getTime())) throw bad(format, field, `'${clip(text)}' is out of range`, location);
  return date;
}

function significantDigits(literal: string): number {
  const mantissa = literal.replace(/^-/, '').replace(/[eE].*$/, '');
  const digits = mantissa.replace('.', '').replace(/^0+/, '');
  // Trailing zeros of the integer part are significant only before a decimal point, which does not matter
  // for exactness: 1000000000000000000000 is held exactly. Trailing zeros after the point never are.
  const trimmed = mantissa.includes('.') ? digits.replace(/0+$/, '') : digits.replace(/0+$/, '');
  return trimmed.length;
}

function bad(format: FormatName, field: FieldSpec, message: string, location: RecordLocation) {
  return formatError(format, FormatErrorReason.BAD_VALUE, `${field.name}: ${message}`, {
    location,
    field: field.name,
  });
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'an invalid date';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (typeof value === 'string') return `'${clip(value)}'`;
  return `${typeof value} ${String(value)}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
