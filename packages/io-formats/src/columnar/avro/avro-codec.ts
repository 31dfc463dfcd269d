import { Readable } from 'node:stream';
import { crc32, inflateRaw } from 'node:zlib';
import { StorageError } from '@mainframe-kb/storage-core';
import avro from 'avsc';
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
} from '../../codec-types.js';
import {
  asColumnarError,
  ColumnarErrorReason,
  columnarError,
  limitError,
  unsupportedError,
} from '../columnar-errors.js';
import { snappyDecompress } from '../compression/snappy.js';
import {
  badValue,
  checkReadValue,
  checkRecordSize,
  checkSchemaForWrite,
  checkWriteValue,
  emptyRecord,
  type ResolvedField,
  resolveSchema,
} from '../record-values.js';
import { AvroContainerWriter } from './avro-container-writer.js';
import { avroType } from './avro-long.js';
import { avroSchemaFor, fileColumnsOf, timestampUnitOf } from './avro-schema.js';

export interface AvroWriteOptions {
  /** Uncompressed bytes per block before it is deflated and handed to the sink. */
  readonly blockSize?: number;
  readonly codec?: 'deflate' | 'null';
}

type Callback = (error: Error | null, data?: Buffer) => void;

/**
 * Streams records into an Avro object container file (schema in the header, deflate blocks). Memory is
 * bounded by one block, which is handed to the sink before the next is filled.
 */
export async function writeAvro(
  records: AsyncIterable<DataRecord>,
  schema: EntitySchema,
  sink: ByteSink,
  options: AvroWriteOptions = {},
): Promise<WriteSummary> {
  checkSchemaForWrite('avro', schema);
  const avroSchema = avroSchemaFor(schema);
  const writer = new AvroContainerWriter(
    sink,
    avroType(avroSchema),
    options.codec ?? 'deflate',
    options.blockSize ?? 256 * 1024,
  );
  await writer.writeHeader(JSON.stringify(avroSchema));
  let total = 0;
  for await (const record of records) {
    const location = { row: total };
    const out: Record<string, unknown> = {};
    for (const field of schema.fields) {
      const value = checkWriteValue('avro', field, record[field.name], location);
      // avsc takes `bytes` as Buffers only.
      out[field.name] =
        value instanceof Date
          ? value.getTime()
          : value instanceof Uint8Array && !Buffer.isBuffer(value)
            ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
            : value;
    }
    await writer.append(out);
    total++;
  }
  await writer.flushBlock();
  await sink.close();
  return { records: total, bytes: writer.bytes };
}

/** Block decompressors bounded by the input limits (deflate and snappy; null passes through). */
function boundedCodecs(maxBytes: number): Record<string, (data: Buffer, cb: Callback) => void> {
  return {
    null: (data, cb) => cb(null, data),
    deflate: (data, cb) =>
      inflateRaw(data, { maxOutputLength: maxBytes }, (error, out) => {
        if (error && (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          cb(
            columnarError(
              'avro',
              ColumnarErrorReason.DECOMPRESSION_LIMIT,
              `a block inflates to more than the limit of ${maxBytes} bytes; the file is corrupt or hostile`,
            ),
          );
        } else cb(error, out);
      }),
    snappy: (data, cb) => {
      // Avro's snappy blocks end with the CRC-32 of the uncompressed bytes (4 bytes, big-endian).
      try {
        if (data.length < 4) throw new Error('snappy block shorter than its CRC');
        const out = snappyDecompress(data.subarray(0, data.length - 4), maxBytes);
        if (crc32(out) !== data.readUInt32BE(data.length - 4))
          throw new Error('snappy block CRC-32 mismatch');
        cb(null, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
      } catch (error) {
        cb(error as Error);
      }
    },
  };
}

interface ReadPlan {
  fields: ResolvedField[];
  /** Per expected field: the writer's timestamp unit, when the column is a timestamp. */
  units: Map<string, 'millis' | 'micros' | undefined>;
}

/**
 * Reads an Avro object container file as a stream. With an expected schema, the file is read through it
 * (Avro schema resolution): a nullable field the writer lacked reads as null, a writer field the reader
 * lacks is skipped. Locations are `{ row }`, the 0-based record index in the file.
 */
export async function* readAvro(source: ByteSource, options: ReadOptions): AsyncGenerator<ReadItem> {
  const { limits } = options;
  let plan: ReadPlan | undefined;
  const readerSchema = options.schema === undefined ? undefined : avroSchemaFor(options.schema);
  const decoder = new avro.streams.BlockDecoder({
    codecs: boundedCodecs(limits.maxDecompressedBytes) as never,
    ...(readerSchema === undefined ? {} : { readerSchema: avroType(stringsAsBytes(readerSchema)) }),
    parseHook: ((writerSchema: avro.Schema) => {
      const { entity, columns } = fileColumnsOf(writerSchema);
      const resolved = resolveSchema('avro', entity, columns, options.schema);
      const writerFields = (writerSchema as unknown as { fields: { name: string; type: unknown }[] }).fields;
      const units = new Map(
        resolved.fields.map((f) => [
          f.field.name,
          timestampUnitOf(writerFields.find((w) => w.name === f.column)?.type),
        ]),
      );
      plan = { fields: resolved.fields, units };
      // Record names differ between writers (fastavro, Java); resolution is by field, so adopt ours.
      return avroType(
        stringsAsBytes(
          readerSchema === undefined
            ? (writerSchema as object)
            : { ...(writerSchema as object), name: readerSchema.name, namespace: readerSchema.namespace },
        ),
      );
    }) as never,
  });
  const input = Readable.from(source.stream(), { objectMode: false });
  input.on('error', (error) => decoder.destroy(error));
  input.pipe(decoder);
  let row = 0;
  try {
    for await (const value of decoder as AsyncIterable<Record<string, unknown>>) {
      options.signal?.throwIfAborted();
      if (plan === undefined) throw new Error('a record arrived before the header');
      const location = { row };
      if (row >= limits.maxRecords) {
        throw limitError(
          'avro',
          'the record count',
          row + 1,
          limits.maxRecords,
          undefined,
          ColumnarErrorReason.TOO_MANY_RECORDS,
        );
      }
      const record = emptyRecord();
      for (const { field, column } of plan.fields) {
        const raw = column === undefined ? null : value[readerSchema === undefined ? column : field.name];
        record[field.name] = checkReadValue(
          'avro',
          field,
          fromAvro(field, raw, plan.units.get(field.name), location),
          location,
        );
      }
      checkRecordSize('avro', record, limits.maxRecordBytes, location);
      row++;
      yield { record, location };
    }
    if (plan === undefined) {
      throw columnarError(
        'avro',
        ColumnarErrorReason.MALFORMED,
        'no complete Avro header (truncated or not Avro)',
      );
    }
    // avsc ends quietly on a partial trailing block; its input buffer (avsc 5.7.9 internals, pinned) tells.
    const tap = (decoder as unknown as { _tap?: { buf: Buffer; pos: number } })._tap;
    if (tap !== undefined && tap.buf.length > tap.pos) {
      throw columnarError('avro', ColumnarErrorReason.MALFORMED, 'the file ends inside a block (truncated)', {
        location: { row },
      });
    }
  } catch (error) {
    throw unwrap(error, row);
  } finally {
    input.unpipe(decoder);
    input.destroy();
    decoder.destroy();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `string` and `bytes` share one binary encoding, so strings are decoded as bytes and then as strict UTF-8
 * here: avsc would replace invalid sequences with U+FFFD.
 */
function stringsAsBytes(schema: object): object {
  return JSON.parse(JSON.stringify(schema), (_key, value) =>
    value === 'string' ? 'bytes' : value,
  ) as object;
}

function fromAvro(
  field: FieldSpec,
  raw: unknown,
  unit: 'millis' | 'micros' | undefined,
  location: { row: number },
): FieldValue {
  if (raw === null || raw === undefined) return null;
  if (field.type === 'timestamp') {
    if (typeof raw !== 'number') throw badValue('avro', field, `decoded to ${typeof raw}`, location);
    if (unit === 'micros') {
      if (raw % 1000 !== 0) {
        throw badValue(
          'avro',
          field,
          `${raw} µs is finer than a millisecond`,
          location,
          ColumnarErrorReason.PRECISION_LOSS,
        );
      }
      return new Date(raw / 1000);
    }
    return new Date(raw);
  }
  if (field.type === 'string' && raw instanceof Uint8Array) {
    try {
      return utf8.decode(raw);
    } catch (error) {
      throw columnarError(
        'avro',
        ColumnarErrorReason.INVALID_UTF8,
        `field '${field.name}' holds invalid UTF-8`,
        {
          location,
          field: field.name,
          cause: error,
        },
      );
    }
  }
  // Its own copy: avsc's value is a view of the whole decompressed block.
  if (field.type === 'binary' && raw instanceof Uint8Array) return Buffer.from(raw);
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
  throw badValue('avro', field, `decoded to an unexpected ${typeof raw}`, location);
}

/** avsc wraps codec and hook errors; surface our typed error from the cause chain when there is one. */
function unwrap(error: unknown, row: number): StorageError {
  for (let e: unknown = error; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    if (e instanceof StorageError) return e;
  }
  const message = error instanceof Error ? error.message : String(error);
  const codec = /^unknown codec: (.*)$/.exec(message);
  if (codec !== null) {
    return unsupportedError(
      'avro',
      `the '${codec[1]}' codec`,
      'rewrite the file with the null, deflate or snappy codec',
    );
  }
  if (/precision loss/.test(message)) {
    return columnarError('avro', ColumnarErrorReason.PRECISION_LOSS, 'a long does not fit a JS number', {
      location: { row },
      cause: error,
    });
  }
  return asColumnarError('avro', error, `cannot decode the file near record ${row}`);
}

export function createAvroCodec(writeOptions: AvroWriteOptions = {}): FormatCodec {
  return {
    format: 'avro',
    // 'Obj' followed by format version 1.
    sniff: (head) =>
      head.length >= 4 && head[0] === 0x4f && head[1] === 0x62 && head[2] === 0x6a && head[3] === 0x01,
    read: (source, options) => readAvro(source, options),
    write: (records, schema, sink) => writeAvro(records, schema, sink, writeOptions),
  };
}

export const avroCodec: FormatCodec = createAvroCodec();
