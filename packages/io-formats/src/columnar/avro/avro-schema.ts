import type { EntitySchema, FieldType } from '../../codec-types.js';
import { ColumnarErrorReason, columnarError } from '../columnar-errors.js';
import type { FileColumn } from '../record-values.js';

/** Avro names: `[A-Za-z_][A-Za-z0-9_]*` (the specification's rule for record and field names). */
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type AvroPrimitive =
  | 'string'
  | 'long'
  | 'double'
  | 'boolean'
  | 'bytes'
  | { type: 'long'; logicalType: 'timestamp-millis' };

export interface AvroField {
  name: string;
  type: AvroPrimitive | ['null', AvroPrimitive];
  default?: null;
  doc?: string;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace: string;
  fields: AvroField[];
}

function avroType(type: FieldType): AvroPrimitive {
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
      return 'long';
    case 'double':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-millis' };
    case 'binary':
      return 'bytes';
  }
}

/**
 * The Avro record schema of an entity: nullable fields are `["null", T]` unions with a null default, so a
 * reader with this schema reads files written before such a field existed.
 */
export function avroSchemaFor(schema: EntitySchema): AvroRecordSchema {
  const name = schema.entity.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
  return {
    type: 'record',
    name: name.length === 0 ? 'record' : name,
    namespace: 'mainframe_kb',
    fields: schema.fields.map((field) => {
      if (!AVRO_NAME.test(field.name)) {
        throw columnarError(
          'avro',
          ColumnarErrorReason.SCHEMA_MISMATCH,
          `field name '${field.name}' is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*)`,
          { field: field.name },
        );
      }
      const type = avroType(field.type);
      return field.nullable
        ? { name: field.name, type: ['null', type], default: null }
        : { name: field.name, type };
    }),
  };
}

/** The timestamp unit of a writer field (`timestamp-micros` files come from other writers). */
export function timestampUnitOf(fieldType: unknown): 'millis' | 'micros' | undefined {
  const text = JSON.stringify(fieldType) ?? '';
  if (text.includes('"timestamp-micros"')) return 'micros';
  if (text.includes('"timestamp-millis"')) return 'millis';
  return undefined;
}

/** Reduces a writer schema's fields (from the file header) to our field types. */
export function fileColumnsOf(schema: unknown): { entity: string; columns: FileColumn[] } {
  if (typeof schema !== 'object' || schema === null || (schema as { type?: unknown }).type !== 'record') {
    throw columnarError('avro', ColumnarErrorReason.SCHEMA_MISMATCH, 'the file schema is not a record');
  }
  const record = schema as { name?: unknown; fields?: unknown };
  if (!Array.isArray(record.fields)) {
    throw columnarError('avro', ColumnarErrorReason.MALFORMED, 'the record schema has no fields');
  }
  return {
    entity: typeof record.name === 'string' ? (record.name.split('.').pop() ?? record.name) : 'records',
    columns: record.fields.map((raw: unknown) => fileColumnOf(raw)),
  };
}

function fileColumnOf(raw: unknown): FileColumn {
  const field = raw as { name?: unknown; type?: unknown };
  const name = typeof field.name === 'string' ? field.name : '';
  let type = field.type;
  let nullable = false;
  if (Array.isArray(type)) {
    const branches = type.filter(
      (branch) => branch !== 'null' && (branch as { type?: unknown })?.type !== 'null',
    );
    nullable = branches.length < type.length;
    type = branches.length === 1 ? branches[0] : undefined;
  }
  return { name, type: fieldTypeOf(type), nullable, native: JSON.stringify(field.type) };
}

function fieldTypeOf(type: unknown): FieldType | undefined {
  const named = typeof type === 'string' ? type : (type as { type?: unknown } | undefined)?.type;
  const logical = (type as { logicalType?: unknown } | undefined)?.logicalType;
  if (named === 'long' && (logical === 'timestamp-millis' || logical === 'timestamp-micros'))
    return 'timestamp';
  switch (named) {
    case 'string':
      return 'string';
    case 'long':
    case 'int':
      return 'integer';
    case 'double':
    case 'float':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'bytes':
      // A `bytes` with a logical type (decimal) is a number, not bytes.
      return logical === undefined ? 'binary' : undefined;
    default:
      return undefined;
  }
}
