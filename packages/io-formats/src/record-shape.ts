import type { DataRecord, EntitySchema, FieldValue, FormatName, RecordLocation } from './codec-types.js';
import { FormatErrorReason, formatError } from './errors/format-error.js';
import { base64ToBytes, bytesToBase64, checkValue, parseTimestamp } from './field-values.js';
import type { JsonValue } from './json/json-stream-parser.js';

/**
 * A record as a JSON object: the schema's fields in order, timestamps as ISO-8601 UTC strings, bytes as
 * base64 strings (the field's type, `binary`, says they are bytes: the schema is written beside the data).
 */
export function recordToJson(
  format: FormatName,
  schema: EntitySchema,
  record: DataRecord,
  location: RecordLocation,
): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const field of schema.fields) {
    const value = checkValue(format, field, record[field.name], location);
    out[field.name] =
      value instanceof Date
        ? value.toISOString()
        : value instanceof Uint8Array
          ? bytesToBase64(value)
          : value;
  }
  return out;
}

/**
 * The keys of a record whose JSON values were arrays or objects, kept as their JSON text (`nestedAsJson`): the
 * KB entry mapping accepts a `tags` list and refuses the others, record by record.
 */
const NESTED_FIELDS = new WeakMap<DataRecord, ReadonlySet<string>>();

/** The fields of `record` that held a JSON array or object (see `jsonToRecord`'s `nestedAsJson`). */
export function nestedFieldsOf(record: DataRecord): ReadonlySet<string> | undefined {
  return NESTED_FIELDS.get(record);
}

/**
 * A JSON object read from a file as a record. With a schema every field is type-checked (timestamps parsed
 * from ISO strings with a zone, bytes from base64) and unknown keys are refused; without one, flat scalar values are kept as
 * they are for the import mapping to type. Without a schema and with `nestedAsJson`, an array or object value
 * is kept as its JSON text and its key noted (`nestedFieldsOf`) instead of refusing the whole input: KB entries
 * carry their tags as an array.
 */
export function jsonToRecord(
  format: FormatName,
  value: JsonValue,
  schema: EntitySchema | undefined,
  location: RecordLocation,
  options: { readonly nestedAsJson?: boolean | undefined } = {},
): DataRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw formatError(format, FormatErrorReason.MALFORMED, 'a record must be a JSON object', { location });
  }
  const record: DataRecord = {};
  if (schema === undefined) {
    let nested: Set<string> | undefined;
    for (const [key, item] of Object.entries(value)) {
      if (item !== null && typeof item === 'object' && options.nestedAsJson === true) {
        record[key] = JSON.stringify(item);
        nested ??= new Set();
        nested.add(key);
        continue;
      }
      if (item !== null && typeof item === 'object') {
        throw formatError(
          format,
          FormatErrorReason.BAD_VALUE,
          `${key}: nested values are not supported; records are flat`,
          {
            location,
            field: key,
          },
        );
      }
      record[key] = item;
    }
    if (nested !== undefined) NESTED_FIELDS.set(record, nested);
    return record;
  }
  const names = fieldNames(schema);
  for (const key of Object.keys(value)) {
    if (!names.has(key)) {
      throw formatError(
        format,
        FormatErrorReason.BAD_VALUE,
        `${key}: not a field of ${schema.table ?? schema.entity}`,
        {
          location,
          field: key,
        },
      );
    }
  }
  for (const field of schema.fields) {
    const item = value[field.name];
    let typed: FieldValue | undefined;
    if (item !== null && typeof item === 'object') {
      throw formatError(
        format,
        FormatErrorReason.BAD_VALUE,
        `${field.name}: nested values are not supported`,
        {
          location,
          field: field.name,
        },
      );
    }
    if (field.type === 'timestamp' && typeof item === 'string') {
      typed = parseTimestamp(format, field, item, location);
    } else if (field.type === 'binary' && typeof item === 'string') {
      typed = base64ToBytes(format, field, item, location);
    } else {
      typed = item;
    }
    record[field.name] = checkValue(format, field, typed, location);
  }
  return record;
}

const FIELD_NAMES = new WeakMap<EntitySchema, ReadonlySet<string>>();

/** The schema's field names, built once per schema object (jsonToRecord runs once per record). */
function fieldNames(schema: EntitySchema): ReadonlySet<string> {
  let names = FIELD_NAMES.get(schema);
  if (names === undefined) {
    names = new Set(schema.fields.map((f) => f.name));
    FIELD_NAMES.set(schema, names);
  }
  return names;
}
