import type { FormatCodec } from '../../codec-types.js';
import { readParquet } from './parquet-reader.js';
import { type ParquetWriteOptions, writeParquet } from './parquet-writer.js';

/** A Parquet codec with its own write options (row group bounds, compression). */
export function createParquetCodec(writeOptions: ParquetWriteOptions = {}): FormatCodec {
  return {
    format: 'parquet',
    // 'PAR1' opens every Parquet file (and closes it; the head is all a sniffer sees).
    sniff: (head) =>
      head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31,
    read: (source, options) => readParquet(source, options),
    write: (records, schema, sink) => writeParquet(records, schema, sink, writeOptions),
  };
}

export const parquetCodec: FormatCodec = createParquetCodec();
