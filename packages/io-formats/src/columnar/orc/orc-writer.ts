import type {
  ByteSink,
  DataRecord,
  EntitySchema,
  FieldSpec,
  FieldValue,
  WriteSummary,
} from '../../codec-types.js';
import { ColumnarErrorReason, columnarError } from '../columnar-errors.js';
import { checkSchemaForWrite, checkWriteValue } from '../record-values.js';
import { compressOrcStream, OrcCompression, type OrcCompressionKind } from './orc-compression.js';
import {
  encodeFooter,
  encodeMetadata,
  encodePostScript,
  encodeStripeFooter,
  type OrcColumnStats,
  OrcEncodingKind,
  type OrcStream,
  OrcStreamKind,
  type OrcStripeInfo,
  type OrcType,
  OrcTypeKind,
} from './orc-proto.js';
import { ByteBuffer, encodeBooleans, encodeIntRleV1 } from './orc-rle.js';
import { encodeNanos, toOrcTimestamp } from './orc-timestamp.js';

export interface OrcWriteOptions {
  /** Rows per stripe; a stripe is encoded and handed to the sink when full (memory holds one stripe). */
  readonly stripeRows?: number;
  /** Approximate buffered bytes that close a stripe early, for wide text rows. */
  readonly stripeBytes?: number;
  readonly compression?: 'ZLIB' | 'NONE';
  /** Uncompressed bytes per compression chunk (at most 2^23 − 1, the 3-byte chunk header's limit). */
  readonly compressionBlockSize?: number;
}

export const ORC_WRITE_DEFAULTS = {
  stripeRows: 50_000,
  // Encoding a stripe costs a few times its raw size; 8 MB keeps the writer's peak RSS flat and low.
  stripeBytes: 8 * 1024 * 1024,
  compression: 'ZLIB',
  compressionBlockSize: 256 * 1024,
} as const;

const MAGIC = new TextEncoder().encode('ORC');

const TYPE_KIND: Record<FieldSpec['type'], number> = {
  string: OrcTypeKind.STRING,
  integer: OrcTypeKind.LONG,
  double: OrcTypeKind.DOUBLE,
  boolean: OrcTypeKind.BOOLEAN,
  timestamp: OrcTypeKind.TIMESTAMP,
  binary: OrcTypeKind.BINARY,
};

interface EncodedStream {
  stream: OrcStream;
  bytes: Uint8Array;
}

/**
 * Writes an ORC file from the specification: `ORC` header, stripes (data streams with PRESENT for nulls,
 * integer RLE v1, strings and binary as DATA + LENGTH, doubles little-endian, booleans as bit RLE,
 * timestamps as seconds + trailing-zero nanos; then the stripe footer), protobuf Metadata, Footer and
 * PostScript, ZLIB compressed in ORC's 3-byte-header chunks.
 */
export async function writeOrc(
  records: AsyncIterable<DataRecord>,
  schema: EntitySchema,
  sink: ByteSink,
  options: OrcWriteOptions = {},
): Promise<WriteSummary> {
  checkSchemaForWrite('orc', schema);
  const stripeRows = options.stripeRows ?? ORC_WRITE_DEFAULTS.stripeRows;
  const stripeBytes = options.stripeBytes ?? ORC_WRITE_DEFAULTS.stripeBytes;
  const compression: OrcCompressionKind =
    (options.compression ?? ORC_WRITE_DEFAULTS.compression) === 'ZLIB'
      ? OrcCompression.ZLIB
      : OrcCompression.NONE;
  const blockSize = options.compressionBlockSize ?? ORC_WRITE_DEFAULTS.compressionBlockSize;
  if (!Number.isInteger(blockSize) || blockSize < 1024 || blockSize >= 2 ** 23) {
    throw new RangeError(`compressionBlockSize must be an integer in 1024..2^23-1, got ${blockSize}`);
  }
  const fields = schema.fields;
  let offset = 0;
  const emit = async (bytes: Uint8Array): Promise<void> => {
    if (bytes.length === 0) return;
    await sink.write(bytes);
    offset += bytes.length;
  };
  await emit(MAGIC);

  // String bytes are encoded here, then compressed (copied) before the next column reuses it.
  const scratch = new ByteBuffer();
  const stripes: OrcStripeInfo[] = [];
  const stripeStats: OrcColumnStats[][] = [];
  const fileStats: OrcColumnStats[] = [
    { numberOfValues: 0, hasNull: false },
    ...fields.map(() => ({ numberOfValues: 0, hasNull: false })),
  ];
  let columns: FieldValue[][] = fields.map(() => []);
  let buffered = 0;
  let bufferedBytes = 0;
  let total = 0;

  const flushStripe = async (): Promise<void> => {
    if (buffered === 0) return;
    const rows = buffered;
    const encoded: EncodedStream[] = [];
    const stats: OrcColumnStats[] = [{ numberOfValues: rows, hasNull: false }];
    fields.forEach((field, i) => {
      const column = columns[i]!;
      const streams = encodeColumn(field, i + 1, column, scratch);
      for (const s of streams) {
        const bytes = compressOrcStream(compression, s.bytes, blockSize);
        encoded.push({ stream: { ...s.stream, length: bytes.length }, bytes });
      }
      const present = column.reduce<number>((n, v) => (v === null ? n : n + 1), 0);
      stats.push({ numberOfValues: present, hasNull: present < rows });
    });
    columns = fields.map(() => []);
    buffered = 0;
    bufferedBytes = 0;
    const footer = compressOrcStream(
      compression,
      encodeStripeFooter({
        streams: encoded.map((e) => e.stream),
        columns: [
          { kind: OrcEncodingKind.DIRECT, dictionarySize: 0 },
          ...fields.map(() => ({ kind: OrcEncodingKind.DIRECT, dictionarySize: 0 })),
        ],
        writerTimezone: 'UTC',
      }),
      blockSize,
    );
    const start = offset;
    let dataLength = 0;
    for (const e of encoded) {
      await emit(e.bytes);
      dataLength += e.bytes.length;
    }
    await emit(footer);
    stripes.push({
      offset: start,
      indexLength: 0,
      dataLength,
      footerLength: footer.length,
      numberOfRows: rows,
    });
    stripeStats.push(stats);
    stats.forEach((s, c) => {
      const file = fileStats[c]!;
      file.numberOfValues += s.numberOfValues;
      file.hasNull ||= s.hasNull;
    });
  };

  for await (const record of records) {
    const location = { row: total };
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const value = checkWriteValue('orc', field, record[field.name], location);
      if (value instanceof Date && toOrcTimestamp(value.getTime()) === undefined) {
        throw columnarError(
          'orc',
          ColumnarErrorReason.BAD_VALUE,
          `field '${field.name}' is ${value.toISOString()}: ORC cannot store a time strictly between 1969-12-31T23:59:59Z and 1970-01-01T00:00:00Z with a fraction of a second so that Java and C++ readers decode it (ORC-763)`,
          { location, field: field.name },
        );
      }
      columns[i]!.push(value);
      bufferedBytes +=
        typeof value === 'string' ? value.length * 2 : value instanceof Uint8Array ? value.byteLength : 8;
    }
    buffered++;
    total++;
    if (buffered >= stripeRows || bufferedBytes >= stripeBytes) await flushStripe();
  }
  await flushStripe();

  const types: OrcType[] = [
    {
      kind: OrcTypeKind.STRUCT,
      subtypes: fields.map((_, i) => i + 1),
      fieldNames: fields.map((f) => f.name),
    },
    ...fields.map((f) => ({ kind: TYPE_KIND[f.type], subtypes: [], fieldNames: [] })),
  ];
  const contentLength = offset - MAGIC.length;
  const metadata = compressOrcStream(compression, encodeMetadata(stripeStats), blockSize);
  const footer = compressOrcStream(
    compression,
    encodeFooter({
      headerLength: MAGIC.length,
      contentLength,
      stripes,
      types,
      numberOfRows: total,
      rowIndexStride: 0,
      statistics: fileStats,
    }),
    blockSize,
  );
  const postScript = encodePostScript({
    footerLength: footer.length,
    compression,
    compressionBlockSize: blockSize,
    version: [0, 12],
    metadataLength: metadata.length,
    writerVersion: 6,
    magic: 'ORC',
  });
  if (postScript.length > 255) throw new Error('ORC PostScript longer than 255 bytes');
  await emit(metadata);
  await emit(footer);
  await emit(postScript);
  await emit(Uint8Array.of(postScript.length));
  await sink.close();
  return { records: total, bytes: offset };
}

function encodeColumn(
  field: FieldSpec,
  column: number,
  values: readonly FieldValue[],
  scratch: ByteBuffer,
): { stream: OrcStream; bytes: Uint8Array }[] {
  const out: { stream: OrcStream; bytes: Uint8Array }[] = [];
  const add = (kind: number, bytes: Uint8Array) =>
    out.push({ stream: { kind, column, length: bytes.length }, bytes });
  const hasNull = values.some((v) => v === null);
  if (hasNull) add(OrcStreamKind.PRESENT, encodeBooleans(values.map((v) => v !== null)));
  const present = hasNull ? values.filter((v) => v !== null) : values;
  switch (field.type) {
    case 'string': {
      const encoder = new TextEncoder();
      const data = scratch;
      data.reset();
      const lengths = new Float64Array(present.length);
      for (let i = 0; i < present.length; i++) {
        const text = present[i] as string;
        // Encoded in place (at most 3 bytes per UTF-16 unit): no array per string.
        const { written } = encoder.encodeInto(text, data.reserve(text.length * 3));
        data.advance(written);
        lengths[i] = written;
      }
      add(OrcStreamKind.DATA, data.bytes());
      add(OrcStreamKind.LENGTH, encodeIntRleV1(lengths, false));
      break;
    }
    case 'binary': {
      // As a string column is, without the UTF-8: the bytes one after another (DATA) and their LENGTHs.
      const data = scratch;
      data.reset();
      const lengths = new Float64Array(present.length);
      for (let i = 0; i < present.length; i++) {
        const bytes = present[i] as Uint8Array;
        data.pushAll(bytes);
        lengths[i] = bytes.byteLength;
      }
      add(OrcStreamKind.DATA, data.bytes());
      add(OrcStreamKind.LENGTH, encodeIntRleV1(lengths, false));
      break;
    }
    case 'integer':
      add(OrcStreamKind.DATA, encodeIntRleV1(present as number[], true));
      break;
    case 'double': {
      const data = new Uint8Array(present.length * 8);
      const view = new DataView(data.buffer);
      for (let i = 0; i < present.length; i++) view.setFloat64(i * 8, present[i] as number, true);
      add(OrcStreamKind.DATA, data);
      break;
    }
    case 'boolean':
      add(OrcStreamKind.DATA, encodeBooleans(present.map((v) => v === true)));
      break;
    case 'timestamp': {
      const seconds = new Float64Array(present.length);
      const nanos = new Float64Array(present.length);
      present.forEach((v, i) => {
        // checked by the caller: every value here is representable
        const ts = toOrcTimestamp((v as Date).getTime())!;
        seconds[i] = ts.seconds;
        nanos[i] = encodeNanos(ts.nanos);
      });
      add(OrcStreamKind.DATA, encodeIntRleV1(seconds, true));
      add(OrcStreamKind.SECONDARY, encodeIntRleV1(nanos, false));
      break;
    }
  }
  return out;
}
