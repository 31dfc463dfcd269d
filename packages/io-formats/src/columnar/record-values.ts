import type {
  DataRecord,
  EntitySchema,
  FieldSpec,
  FieldType,
  FieldValue,
  RecordLocation,
} from '../codec-types.js';
import { ColumnarErrorReason, type ColumnarFormat, columnarError } from './columnar-errors.js';

/** `String.prototype.isWellFormed` (Node 20; ES2024, newer than this package's TypeScript lib). */
const isWellFormed = (value: string): boolean =>
  (value as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Checks one value of a record about to be written against its field and returns it in canonical form
 * (`undefined` becomes `null`). Writers call this for every cell, so a bad record is refused with its row
 * before any byte of it reaches the file.
 */
export function checkWriteValue(
  format: ColumnarFormat,
  field: FieldSpec,
  value: FieldValue | undefined,
  location: RecordLocation,
): FieldValue {
  if (value === null || value === undefined) {
    if (field.nullable) return null;
    throw badValue(format, field, 'is null but the field is not nullable', location);
  }
  switch (field.type) {
    case 'string':
      // A lone surrogate has no UTF-8 form: encoding would silently replace it with U+FFFD.
      if (typeof value === 'string' && isWellFormed(value)) return value;
      if (typeof value === 'string')
        throw badValue(format, field, 'contains a lone UTF-16 surrogate', location);
      break;
    case 'integer':
      // Integers have no negative zero: -0 is written (and read back) as 0.
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value === 0 ? 0 : value;
      if (typeof value === 'number' && Number.isInteger(value)) {
        throw badValue(
          format,
          field,
          `${value} is past ±(2^53-1) and cannot be held exactly`,
          location,
          ColumnarErrorReason.PRECISION_LOSS,
        );
      }
      break;
    case 'double':
      if (typeof value === 'number') return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'timestamp':
      if (value instanceof Date && Number.isFinite(value.getTime())) return value;
      if (value instanceof Date) throw badValue(format, field, 'is an invalid Date', location);
      break;
    case 'binary':
      if (value instanceof Uint8Array) return value;
      break;
  }
  throw badValue(format, field, `expected ${field.type}, got ${describe(value)}`, location);
}

/** Converts a 64-bit integer read from a file to a JS number, refusing one that would lose precision. */
export function int64ToNumber(
  format: ColumnarFormat,
  field: FieldSpec,
  value: bigint | number,
  location: RecordLocation,
): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isSafeInteger(n) || (typeof value === 'bigint' && BigInt(n) !== value)) {
    throw badValue(
      format,
      field,
      `${String(value)} does not fit a JS number without losing precision`,
      location,
      ColumnarErrorReason.PRECISION_LOSS,
    );
  }
  return n;
}

/** Checks a decoded value against its field: readers call this after their own type conversion. */
export function checkReadValue(
  format: ColumnarFormat,
  field: FieldSpec,
  value: FieldValue | undefined,
  location: RecordLocation,
): FieldValue {
  return checkWriteValue(format, field, value, location);
}

export function badValue(
  format: ColumnarFormat,
  field: FieldSpec,
  problem: string,
  location: RecordLocation,
  reason: ColumnarErrorReason = ColumnarErrorReason.BAD_VALUE,
): Error {
  return columnarError(format, reason, `field '${field.name}' ${problem}`, {
    location,
    field: field.name,
  });
}

/** A column as the file declares it, reduced to our field types (`undefined`: a type we do not map). */
export interface FileColumn {
  readonly name: string;
  readonly type: FieldType | undefined;
  readonly nullable: boolean;
  /** The format's own spelling of the type, for error messages. */
  readonly native: string;
}

/** How one expected field is filled: from the file column of the same name, or null when it is absent. */
export interface ResolvedField {
  readonly field: FieldSpec;
  readonly column: string | undefined;
}

/**
 * Matches a file's columns against the expected schema. A nullable field the file lacks reads as null
 * (files written before the field existed); a required one missing, or a column of another type, is a
 * SCHEMA_MISMATCH. Extra columns in the file are ignored. Without an expected schema, the file's own
 * columns define it (those of a type we cannot map are refused).
 */
export function resolveSchema(
  format: ColumnarFormat,
  entity: string,
  columns: readonly FileColumn[],
  expected: EntitySchema | undefined,
): { schema: EntitySchema; fields: ResolvedField[] } {
  if (expected === undefined) {
    const fields: FieldSpec[] = columns.map((column) => {
      if (column.type === undefined) {
        throw columnarError(
          format,
          ColumnarErrorReason.SCHEMA_MISMATCH,
          `column '${column.name}' has type ${column.native}, which maps to no field type`,
          { field: column.name },
        );
      }
      return { name: column.name, type: column.type, nullable: column.nullable };
    });
    return { schema: { entity, fields }, fields: fields.map((field) => ({ field, column: field.name })) };
  }
  const byName = new Map(columns.map((column) => [column.name, column]));
  const fields = expected.fields.map((field): ResolvedField => {
    const column = byName.get(field.name);
    if (column === undefined) {
      if (field.nullable) return { field, column: undefined };
      throw columnarError(
        format,
        ColumnarErrorReason.SCHEMA_MISMATCH,
        `the file has no column '${field.name}', which entity '${expected.entity}' requires`,
        { field: field.name },
      );
    }
    if (column.type !== field.type) {
      throw columnarError(
        format,
        ColumnarErrorReason.SCHEMA_MISMATCH,
        `column '${field.name}' is ${column.native} in the file but ${field.type} in entity '${expected.entity}'`,
        { field: field.name },
      );
    }
    return { field, column: column.name };
  });
  return { schema: expected, fields };
}

/** Rejects a schema a columnar writer cannot represent (duplicate or empty names). */
export function checkSchemaForWrite(format: ColumnarFormat, schema: EntitySchema): void {
  const seen = new Set<string>();
  for (const field of schema.fields) {
    if (field.name.length === 0 || seen.has(field.name)) {
      throw columnarError(
        format,
        ColumnarErrorReason.SCHEMA_MISMATCH,
        `entity '${schema.entity}' has an empty or duplicate field name '${field.name}'`,
        { field: field.name },
      );
    }
    seen.add(field.name);
  }
  if (schema.fields.length === 0) {
    throw columnarError(
      format,
      ColumnarErrorReason.SCHEMA_MISMATCH,
      `entity '${schema.entity}' has no fields`,
    );
  }
}

/**
 * Refuses a decoded record past `maxRecordBytes`. Strings count their UTF-16 length (a lower bound of their
 * UTF-8 size, so no legal record is refused), bytes their length, other values 8 bytes.
 */
export function checkRecordSize(
  format: ColumnarFormat,
  record: DataRecord,
  maxBytes: number,
  location: RecordLocation,
): void {
  let size = 0;
  for (const key in record) {
    const value = record[key];
    size += typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.byteLength : 8;
  }
  if (size > maxBytes) {
    throw columnarError(
      format,
      ColumnarErrorReason.RECORD_TOO_LARGE,
      `a record of at least ${size} bytes exceeds the limit of ${maxBytes}`,
      { location, details: { size, limit: maxBytes } },
    );
  }
}

export function emptyRecord(): DataRecord {
  return Object.create(null) as DataRecord;
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'a Date';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
