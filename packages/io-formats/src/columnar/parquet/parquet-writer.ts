import type { CompressionCodec } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ByteSink, DataRecord, EntitySchema, WriteSummary } from '../../codec-types.js';
import { nativeSnappyCompress } from '../compression/native-snappy.js';
import { checkSchemaForWrite, checkWriteValue } from '../record-values.js';
import { parquetSchemaFor } from './parquet-schema.js';

export interface ParquetWriteOptions {
  /** Rows buffered before a row group is written (memory is bounded by this and `rowGroupBytes`). */
  readonly rowGroupRows?: number;
  /** Approximate bytes of buffered cell values that close a row group early, for wide text rows. */
  readonly rowGroupBytes?: number;
  readonly codec?: Extract<CompressionCodec, 'UNCOMPRESSED' | 'SNAPPY'>;
  /** Written into the footer's key-value metadata (`mainframe-kb.*`). */
  readonly createdBy?: string;
}

export const PARQUET_WRITE_DEFAULTS = {
  rowGroupRows: 50_000,
  // Encoding a row group costs several times its raw size; 8 MB keeps the writer's peak RSS flat and low.
  rowGroupBytes: 8 * 1024 * 1024,
  codec: 'SNAPPY',
  createdBy: '@mainframe-kb/io-formats',
} as const;

/**
 * A ByteWriter that hands its bytes to the sink after each row group (hyparquet-writer calls `flush` there
 * and awaits the returned promise), so the file is never held whole in memory.
 */
class SinkByteWriter extends ByteWriter {
  bytesOut = 0;

  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    if (this.index === 0) return Promise.resolve();
    const chunk = this.getBytes().slice();
    this.index = 0;
    this.bytesOut += chunk.length;
    return this.sink.write(chunk);
  }
}

/** Streams records into a Parquet file, one row group per `rowGroupRows` records (or fewer, by bytes). */
export async function writeParquet(
  records: AsyncIterable<DataRecord>,
  schema: EntitySchema,
  sink: ByteSink,
  options: ParquetWriteOptions = {},
): Promise<WriteSummary> {
  checkSchemaForWrite('parquet', schema);
  const rowGroupRows = options.rowGroupRows ?? PARQUET_WRITE_DEFAULTS.rowGroupRows;
  const rowGroupBytes = options.rowGroupBytes ?? PARQUET_WRITE_DEFAULTS.rowGroupBytes;
  const writer = new SinkByteWriter(sink);
  const snappy = nativeSnappyCompress();
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchemaFor(schema),
    codec: options.codec ?? PARQUET_WRITE_DEFAULTS.codec,
    // Native Snappy where the platform has it; otherwise hyparquet-writer's own (same format, slower).
    ...(snappy === undefined ? {} : { compressors: { SNAPPY: snappy } }),
    kvMetadata: [{ key: 'mainframe-kb.entity', value: schema.entity }],
    createdBy: options.createdBy ?? PARQUET_WRITE_DEFAULTS.createdBy,
  });
  const fields = schema.fields;
  let columns: unknown[][] = fields.map(() => []);
  let buffered = 0;
  let bufferedBytes = 0;
  let total = 0;

  const flushGroup = async (): Promise<void> => {
    if (buffered === 0) return;
    // Min/max statistics of long text (and of bytes) cost more than the rest of the encoding and prune nothing
    // useful: they are kept for numbers, booleans and timestamps only.
    const columnData = fields.map((field, i) => ({
      name: field.name,
      data: columns[i] as unknown[],
      statistics: field.type !== 'string' && field.type !== 'binary',
      // hyparquet-writer's dictionary is a Map, which keys -0 and 0 as one value: a double column holding
      // -0 is written PLAIN so that it reads back as -0 (found by the round-trip property test).
      ...(field.type === 'double' && (columns[i] as unknown[]).some((v) => Object.is(v, -0))
        ? { encoding: 'PLAIN' as const }
        : {}),
    }));
    const rows = buffered;
    columns = fields.map(() => []);
    buffered = 0;
    bufferedBytes = 0;
    // One call per row group: rowGroupSize equal to the rows buffered keeps it a single group.
    // The dictionary cap makes free-text columns give up on dictionary encoding early (enumerations such as
    // category stay far below it).
    await parquet.write({ columnData: columnData as never, rowGroupSize: rows, dictionarySize: 256 * 1024 });
  };

  for await (const record of records) {
    const location = { row: total };
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const value = checkWriteValue('parquet', field, record[field.name], location);
      // INT64 columns take bigints; timestamps stay Dates (TIMESTAMP_MILLIS converts them).
      columns[i]!.push(field.type === 'integer' && value !== null ? BigInt(value as number) : value);
      bufferedBytes +=
        typeof value === 'string' ? value.length * 2 : value instanceof Uint8Array ? value.byteLength : 8;
    }
    buffered++;
    total++;
    if (buffered >= rowGroupRows || bufferedBytes >= rowGroupBytes) await flushGroup();
  }
  await flushGroup();
  await parquet.finish();
  await writer.flush();
  await sink.close();
  return { records: total, bytes: writer.bytesOut };
}
