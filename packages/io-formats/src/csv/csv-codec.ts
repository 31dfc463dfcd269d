import type {
  ByteSink,
  ByteSource,
  DataRecord,
  EntitySchema,
  FieldSpec,
  FieldValue,
  FormatCodec,
  ReadItem,
  ReadOptions,
  WriteSummary,
} from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import { bytesToBase64, checkValue, textToValue, valueToText } from '../field-values.js';
import { TextSinkWriter } from '../io/byte-sink.js';
import { decodeUtf8 } from '../io/text-decoding.js';
import { firstSignificantByte } from '../json/json-codec.js';
import { FORBIDDEN_KEYS } from '../json/json-stream-parser.js';
import { type CsvCell, CsvRowParser } from './csv-row-parser.js';
import { neutralizeFormula, restoreFormula } from './formula-guard.js';

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * CSV (RFC 4180, UTF-8, CRLF rows, a header row). Headers match fields by name or by label (case-insensitive).
 * Null is an empty unquoted cell and the empty string a quoted `""`, so both survive a round trip. Text cells a
 * spreadsheet would evaluate are neutralised on export and restored on import (see formula-guard.ts). Binary
 * fields are base64 cells (no bytes: `""`), guarded like text (base64 may start with `+`).
 */
export const csvCodec: FormatCodec = {
  format: 'csv',
  sniff(head) {
    const first = firstSignificantByte(head);
    // Anything textual that no other row format claims; the registry asks CSV last.
    return first !== undefined && first !== 0x7b && first !== 0x5b && first !== 0x3c && first >= 0x09;
  },
  read(source: ByteSource, options: ReadOptions): AsyncIterable<ReadItem> {
    return readCsv(source, options);
  },
  async write(
    records: AsyncIterable<DataRecord>,
    schema: EntitySchema,
    sink: ByteSink,
  ): Promise<WriteSummary> {
    const out = new TextSinkWriter(sink);
    await out.write(`${schema.fields.map((f) => quote(f.name)).join(',')}\r\n`);
    let count = 0;
    for await (const record of records) {
      count += 1;
      const location = { row: count, line: count + 1 };
      let line = '';
      for (let i = 0; i < schema.fields.length; i += 1) {
        const field = schema.fields[i] as FieldSpec;
        const value = checkValue('csv', field, record[field.name], location);
        if (i > 0) line += ',';
        line += cellText(value);
      }
      await out.write(`${line}\r\n`);
    }
    const bytes = await out.close();
    return { records: count, bytes };
  },
};

function cellText(value: FieldValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value === '' ? '""' : quote(neutralizeFormula(value));
  if (value instanceof Uint8Array) {
    const text = bytesToBase64(value);
    return text === '' ? '""' : neutralizeFormula(text);
  }
  return valueToText(value);
}

function quote(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

interface Column {
  readonly header: string;
  /** The schema's field, or undefined when reading without a schema. */
  readonly field: FieldSpec | undefined;
  readonly key: string;
}

function resolveColumns(headers: readonly CsvCell[], schema: EntitySchema | undefined): Column[] {
  const seen = new Map<string, string>();
  const columns: Column[] = [];
  for (const cell of headers) {
    const header = cell.text.trim();
    if (header === '') {
      throw formatError('csv', FormatErrorReason.MALFORMED, 'the header row has an empty column name', {
        location: { line: 1 },
      });
    }
    let field: FieldSpec | undefined;
    if (schema !== undefined) {
      field =
        schema.fields.find((f) => f.name === header) ??
        schema.fields.find((f) => f.label !== undefined && f.label.toLowerCase() === header.toLowerCase());
      if (field === undefined) {
        throw formatError(
          'csv',
          FormatErrorReason.BAD_VALUE,
          `the column '${header}' is not a field of ${schema.table ?? schema.entity}`,
          {
            location: { line: 1 },
            field: header,
          },
        );
      }
    }
    const key = field?.name ?? header;
    if (FORBIDDEN_KEYS.has(key)) {
      throw formatError('csv', FormatErrorReason.FORBIDDEN_KEY, `the column name '${key}' is refused`, {
        location: { line: 1 },
        field: key,
      });
    }
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw formatError(
        'csv',
        FormatErrorReason.DUPLICATE_HEADER,
        `the columns '${earlier}' and '${header}' both name the field '${key}'; rename or remove one`,
        { location: { line: 1 }, field: key },
      );
    }
    seen.set(key, header);
    columns.push({ header, field, key });
  }
  return columns;
}

async function* readCsv(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const parser = new CsvRowParser(options.limits);
  const { schema } = options;
  let columns: Column[] | undefined;
  let records = 0;
  const missing: FieldSpec[] = [];
  const toItem = (cells: CsvCell[], line: number): ReadItem | undefined => {
    if (columns === undefined) {
      columns = resolveColumns(cells, schema);
      if (schema !== undefined) {
        for (const field of schema.fields) {
          if (columns.some((c) => c.key === field.name)) continue;
          if (!field.nullable) {
            throw formatError(
              'csv',
              FormatErrorReason.BAD_VALUE,
              `the required column '${field.name}' is missing`,
              {
                location: { line: 1 },
                field: field.name,
              },
            );
          }
          missing.push(field);
        }
      }
      return undefined;
    }
    // A blank line (one empty unquoted cell) is not a record.
    if (cells.length === 1 && !(cells[0] as CsvCell).quoted && (cells[0] as CsvCell).text === '')
      return undefined;
    records += 1;
    const location = { line, row: records };
    if (records > options.limits.maxRecords) {
      throw formatError(
        'csv',
        FormatErrorReason.TOO_MANY_RECORDS,
        `more than ${options.limits.maxRecords} records`,
      );
    }
    if (cells.length !== columns.length) {
      throw formatError(
        'csv',
        FormatErrorReason.MALFORMED,
        `the row has ${cells.length} cells but the header has ${columns.length}`,
        { location },
      );
    }
    const record: DataRecord = {};
    for (let i = 0; i < columns.length; i += 1) {
      const column = columns[i] as Column;
      const cell = cells[i] as CsvCell;
      if (!cell.quoted && cell.text === '') {
        record[column.key] = column.field ? checkValue('csv', column.field, null, location) : null;
        continue;
      }
      if (column.field === undefined || column.field.type === 'string') {
        record[column.key] = restoreFormula(cell.text);
      } else if (column.field.type === 'binary') {
        record[column.key] = textToValue('csv', column.field, restoreFormula(cell.text), location);
      } else {
        record[column.key] = textToValue('csv', column.field, cell.text, location);
      }
    }
    for (const field of missing) record[field.name] = null;
    return { record, location };
  };
  for await (const text of decodeUtf8(source.stream(), 'csv')) {
    options.signal?.throwIfAborted();
    for (const row of parser.push(text)) {
      const item = toItem(row.cells, row.line);
      if (item) yield item;
    }
  }
  for (const row of parser.end()) {
    const item = toItem(row.cells, row.line);
    if (item) yield item;
  }
}
