/**
 * The contract every format codec implements. Records are flat objects of typed fields; a codec reads and
 * writes them as async iterables so memory stays flat whatever the size of the file.
 */

/** Column types the codecs map to each format's own types (Parquet/Avro/ORC physical and logical types). */
export type FieldType = 'string' | 'integer' | 'double' | 'boolean' | 'timestamp';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  /** Human label (CSV headers by label, e.g. ServiceNow's "Short description"). */
  readonly label?: string;
}

/** The shape of one entity's records (`kb`, `incidents`, …), derived from its table. */
export interface EntitySchema {
  readonly entity: string;
  readonly fields: readonly FieldSpec[];
  /**
   * The table the records belong to, when the schema describes one table of a store export (an entity such as
   * `kb` spans several tables). Optional: codecs carry it through but need not use it.
   */
  readonly table?: string;
  /** The table's primary key columns, for conflict detection on import. Optional, like `table`. */
  readonly primaryKey?: readonly string[];
}

/**
 * A field's value. `integer` fields are JS numbers within ±2^53 (a reader rejects values that would lose
 * precision); `timestamp` fields are `Date`s in UTC with millisecond precision.
 */
export type FieldValue = string | number | boolean | Date | null;
export type DataRecord = Record<string, FieldValue>;

/** Where a record came from, for error reports: the first that applies is set. */
export interface RecordLocation {
  readonly line?: number;
  readonly row?: number;
  readonly rowGroup?: number;
  readonly stripe?: number;
  readonly xpath?: string;
  readonly pointer?: string;
}

export interface ReadItem {
  readonly record: DataRecord;
  readonly location: RecordLocation;
}

/**
 * Bytes to read. Row formats (JSON, NDJSON, CSV, XML, Avro) stream from `stream()`; columnar formats
 * (Parquet, ORC) need the footer first and use `read()`.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  stream(): AsyncIterable<Uint8Array>;
}

/** Where a writer's bytes go; `write` resolves when the sink has taken the chunk (backpressure). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Bounds a reader enforces on hostile input; exceeding one is a typed rejection, never a truncation. */
export interface InputLimits {
  readonly maxRecordBytes: number;
  readonly maxDepth: number;
  readonly maxRecords: number;
  /** Bytes after decompression, against gzip/zlib/snappy/zstd bombs. */
  readonly maxDecompressedBytes: number;
}

export interface ReadOptions {
  /** Expected schema; a reader that carries its own (Parquet, Avro, ORC) checks it against this. */
  readonly schema?: EntitySchema;
  readonly limits: InputLimits;
  readonly signal?: AbortSignal;
}

export interface WriteSummary {
  readonly records: number;
  readonly bytes: number;
}

export type FormatName = 'json' | 'ndjson' | 'csv' | 'xml' | 'parquet' | 'avro' | 'orc';

export interface FormatCodec {
  readonly format: FormatName;
  /** Whether `bytes` (the start of a file) look like this format; used to detect the format by content. */
  sniff(head: Uint8Array): boolean;
  read(source: ByteSource, options: ReadOptions): AsyncIterable<ReadItem>;
  write(records: AsyncIterable<DataRecord>, schema: EntitySchema, sink: ByteSink): Promise<WriteSummary>;
}
