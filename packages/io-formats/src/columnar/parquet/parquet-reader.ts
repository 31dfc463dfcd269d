import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import {
  type AsyncBuffer,
  type Compressors,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  snappyUncompress,
} from 'hyparquet';
import type { ByteSource, FieldSpec, FieldValue, ReadItem, ReadOptions } from '../../codec-types.js';
import { asColumnarError, ColumnarErrorReason, columnarError, limitError } from '../columnar-errors.js';
import {
  badValue,
  checkReadValue,
  checkRecordSize,
  emptyRecord,
  int64ToNumber,
  resolveSchema,
} from '../record-values.js';
import { fileColumnOf } from './parquet-schema.js';

const MAGIC = 0x31524150; // 'PAR1' little-endian

/** hyparquet's AsyncBuffer over a ByteSource: the reader fetches the footer, then one row group at a time. */
function asyncBufferOf(source: ByteSource): AsyncBuffer {
  return {
    byteLength: source.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? source.size, source.size);
      const bytes = await source.read(start, Math.max(0, stop - start));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** Every page is bounded before it is inflated: a page header may not claim more than the limit. */
function boundedCompressors(maxBytes: number): Compressors {
  const guard = (outputLength: number): void => {
    if (outputLength > maxBytes || outputLength < 0) {
      throw limitError('parquet', 'an uncompressed page size', outputLength, maxBytes);
    }
  };
  return {
    SNAPPY(input, outputLength) {
      guard(outputLength);
      const output = new Uint8Array(outputLength);
      snappyUncompress(input, output);
      return output;
    },
    GZIP(input, outputLength) {
      guard(outputLength);
      return gunzipSync(input, { maxOutputLength: Math.max(1, outputLength) });
    },
    BROTLI(input, outputLength) {
      guard(outputLength);
      return brotliDecompressSync(input, { maxOutputLength: Math.max(1, outputLength) });
    },
    ZSTD(input, outputLength) {
      guard(outputLength);
      const output = zstdDecompress(input, new Uint8Array(outputLength));
      if (output.length !== outputLength) throw new Error('zstd page decompressed to an unexpected size');
      return output;
    },
  };
}

async function readFooterLength(source: ByteSource, maxBytes: number): Promise<void> {
  if (source.size < 12) {
    throw columnarError(
      'parquet',
      ColumnarErrorReason.MALFORMED,
      `a file of ${source.size} bytes is too short`,
    );
  }
  const head = await source.read(0, 4);
  const tail = await source.read(source.size - 8, 8);
  const headView = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const tailView = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  if (headView.getUint32(0, true) !== MAGIC || tailView.getUint32(4, true) !== MAGIC) {
    throw columnarError('parquet', ColumnarErrorReason.MALFORMED, 'missing PAR1 magic at the start or end');
  }
  const footer = tailView.getUint32(0, true);
  if (footer > source.size - 12) {
    throw columnarError('parquet', ColumnarErrorReason.MALFORMED, `footer length ${footer} is past the file`);
  }
  if (footer > maxBytes) throw limitError('parquet', 'the footer length', footer, maxBytes);
}

/**
 * Reads a Parquet file row group by row group. Locations are `{ rowGroup, row }` with `row` the 0-based
 * row index in the file. The file's schema is checked against `options.schema` before any row is read.
 */
export async function* readParquet(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const { limits } = options;
  await readFooterLength(source, limits.maxDecompressedBytes);
  const file = asyncBufferOf(source);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw asColumnarError('parquet', error, 'cannot read the footer');
  }
  if (metadata.num_rows > BigInt(limits.maxRecords)) {
    throw limitError(
      'parquet',
      'the row count',
      metadata.num_rows,
      limits.maxRecords,
      undefined,
      ColumnarErrorReason.TOO_MANY_RECORDS,
    );
  }
  const tree = parquetSchema(metadata);
  const nested = tree.children.find((child) => child.children.length > 0);
  if (nested !== undefined) {
    throw columnarError(
      'parquet',
      ColumnarErrorReason.SCHEMA_MISMATCH,
      `column '${nested.element.name}' is nested; only flat records are supported`,
      { field: nested.element.name },
    );
  }
  const columns = tree.children.map((child) => fileColumnOf(child.element));
  const entity =
    metadata.key_value_metadata?.find((kv) => kv.key === 'mainframe-kb.entity')?.value ??
    options.schema?.entity ??
    'records';
  const { fields } = resolveSchema('parquet', entity, columns, options.schema);
  const present = fields.filter((f) => f.column !== undefined).map((f) => f.column!);
  const compressors = boundedCompressors(limits.maxDecompressedBytes);

  let rowStart = 0;
  for (let group = 0; group < metadata.row_groups.length; group++) {
    options.signal?.throwIfAborted();
    const rowGroup = metadata.row_groups[group]!;
    const rows = Number(rowGroup.num_rows);
    if (rowGroup.total_byte_size > BigInt(limits.maxDecompressedBytes)) {
      throw limitError('parquet', 'a row group size', rowGroup.total_byte_size, limits.maxDecompressedBytes, {
        rowGroup: group,
      });
    }
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({
        file,
        metadata,
        columns: present,
        rowStart,
        rowEnd: rowStart + rows,
        compressors,
        parsers: PARSERS,
        // Byte arrays without a string annotation are bytes, not UTF-8 (hyparquet decodes them by default).
        utf8: false,
      });
    } catch (error) {
      throw asColumnarError('parquet', error, `cannot decode row group ${group}`);
    }
    for (let i = 0; i < objects.length; i++) {
      const location = { rowGroup: group, row: rowStart + i };
      const source = objects[i]!;
      const record = emptyRecord();
      for (const { field, column } of fields) {
        const raw = column === undefined ? null : source[column];
        record[field.name] = checkReadValue('parquet', field, fromParquet(field, raw, location), location);
      }
      checkRecordSize('parquet', record, limits.maxRecordBytes, location);
      yield { record, location };
    }
    rowStart += rows;
  }
}

/** Timestamps finer than a millisecond are refused rather than truncated (the contract is ms precision). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

const PARSERS = {
  // hyparquet's default decoder replaces invalid UTF-8 with U+FFFD; refuse it instead.
  stringFromBytes(bytes: Uint8Array | undefined) {
    if (bytes === undefined) return bytes;
    try {
      return utf8.decode(bytes);
    } catch (error) {
      throw columnarError(
        'parquet',
        ColumnarErrorReason.INVALID_UTF8,
        'a string column holds invalid UTF-8',
        {
          cause: error,
        },
      );
    }
  },
  timestampFromMilliseconds: (millis: bigint) => new Date(Number(millis)),
  timestampFromMicroseconds: (micros: bigint) => exactMillis(micros, 1000n),
  timestampFromNanoseconds: (nanos: bigint) => exactMillis(nanos, 1_000_000n),
};

function exactMillis(value: bigint, per: bigint): Date {
  if (value % per !== 0n) {
    throw columnarError(
      'parquet',
      ColumnarErrorReason.PRECISION_LOSS,
      `timestamp ${value} has sub-millisecond precision that a Date cannot hold`,
    );
  }
  return new Date(Number(value / per));
}

function fromParquet(
  field: FieldSpec,
  raw: unknown,
  location: { rowGroup: number; row: number },
): FieldValue {
  if (raw === null || raw === undefined) return null;
  if (field.type === 'integer' && (typeof raw === 'bigint' || typeof raw === 'number')) {
    return int64ToNumber('parquet', field, raw, location);
  }
  if (field.type === 'double' && typeof raw === 'number') return raw;
  if (raw instanceof Uint8Array) {
    // Its own copy: a decoded value may be a view of the whole page.
    if (field.type === 'binary') return Buffer.from(raw);
    // An ENUM column (a string field) is not decoded when `utf8` is off.
    if (field.type === 'string') return PARSERS.stringFromBytes(raw) as string;
  }
  if (typeof raw === 'string' || typeof raw === 'boolean' || typeof raw === 'number' || raw instanceof Date) {
    return raw;
  }
  throw badValue('parquet', field, `decoded to an unexpected ${typeof raw}`, location);
}
