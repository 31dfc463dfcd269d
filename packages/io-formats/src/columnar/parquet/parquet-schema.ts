import type { SchemaElement } from 'hyparquet';
import type { EntitySchema, FieldSpec, FieldType } from '../../codec-types.js';
import type { FileColumn } from '../record-values.js';

/** Parquet schema element for one field: the mapping the codec promises (and pyarrow/DuckDB read back). */
export function parquetElement(field: FieldSpec): SchemaElement {
  const repetition_type = field.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (field.type) {
    case 'string':
      return {
        name: field.name,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
        repetition_type,
      };
    case 'integer':
      return { name: field.name, type: 'INT64', repetition_type };
    case 'double':
      return { name: field.name, type: 'DOUBLE', repetition_type };
    case 'boolean':
      return { name: field.name, type: 'BOOLEAN', repetition_type };
    case 'timestamp':
      return {
        name: field.name,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        repetition_type,
      };
    case 'binary':
      // A BYTE_ARRAY without a logical type is bytes (pyarrow's `binary`, DuckDB's BLOB).
      return { name: field.name, type: 'BYTE_ARRAY', repetition_type };
  }
}

export function parquetSchemaFor(schema: EntitySchema): SchemaElement[] {
  return [{ name: 'schema', num_children: schema.fields.length }, ...schema.fields.map(parquetElement)];
}

/** Reduces a file's flat leaf column to our field types; other writers' INT32, FLOAT and micros map too. */
export function fileColumnOf(element: SchemaElement): FileColumn {
  const native = [element.type, element.converted_type, element.logical_type?.type].filter(Boolean).join('/');
  return {
    name: element.name,
    type: fieldTypeOf(element),
    nullable: element.repetition_type !== 'REQUIRED',
    native,
  };
}

function fieldTypeOf(element: SchemaElement): FieldType | undefined {
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  switch (element.type) {
    case 'BYTE_ARRAY':
      if (converted === 'UTF8' || logical === 'STRING' || logical === 'ENUM' || converted === 'ENUM') {
        return 'string';
      }
      // Plain bytes; JSON, BSON, DECIMAL and the other annotated byte arrays map to no field type.
      return converted === undefined && logical === undefined ? 'binary' : undefined;
    case 'BOOLEAN':
      return 'boolean';
    case 'DOUBLE':
    case 'FLOAT':
      return 'double';
    case 'INT96':
      return 'timestamp';
    case 'INT64':
      if (logical === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS') {
        return 'timestamp';
      }
      return plainInteger(element) ? 'integer' : undefined;
    case 'INT32':
      return plainInteger(element) ? 'integer' : undefined;
    default:
      return undefined;
  }
}

function plainInteger(element: SchemaElement): boolean {
  const logical = element.logical_type;
  if (logical !== undefined) return logical.type === 'INTEGER' && (logical.isSigned || logical.bitWidth < 64);
  const converted = element.converted_type;
  return (
    converted === undefined ||
    converted === 'INT_8' ||
    converted === 'INT_16' ||
    converted === 'INT_32' ||
    converted === 'INT_64' ||
    converted === 'UINT_8' ||
    converted === 'UINT_16' ||
    converted === 'UINT_32'
  );
}
