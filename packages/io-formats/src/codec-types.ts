/**
 * The contract every format codec implements. Records are flat objects of typed fields; a codec reads and
 * writes them as async iterables so memory stays flat whatever the size of the file.
 */

import type {
  ByteSink,
  ByteSource,
  FieldValue,
  InputLimits,
  RecordLocation,
  SourceRecord,
} from '@mainframe-kb/storage-core';

// Values, locations, byte sources, byte sinks and limits are storage-core's importer and exporter contract (a
// domain importer sees the same types the codecs read with, a domain exporter writes to the same sink the
// codecs write to); re-exported so that this package's names keep working.
export type { ByteSink, ByteSource, FieldValue, InputLimits, RecordLocation };

/**
 * Column types the codecs map to each format's own types (Parquet/Avro/ORC physical and logical types).
 * `binary` is a binary column's bytes (`Uint8Array` values): Parquet's BYTE_ARRAY, Avro's `bytes` and ORC's
 * BINARY; the text formats spell them in base64 (see `BinaryEncoding`).
 */
export type FieldType = 'string' | 'integer' | 'double' | 'boolean' | 'timestamp' | 'binary';

/**
 * How the text formats (the JSON envelope, JSON, NDJSON, CSV, XML) spell a binary field's bytes: base64 of RFC
 * 4648 §4, padded, in one line (`""` for no bytes, which stays apart from null in every format).
 */
export type BinaryEncoding = 'base64';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  /** Human label (CSV headers by label, e.g. ServiceNow's "Short description"). */
  readonly label?: string;
  /**
   * A binary field's spelling in the text formats, declared in the schema an export writes (`"encoding":
   * "base64"`) so that a reader never guesses bytes from a string's look. Present on binary fields only.
   */
  readonly encoding?: BinaryEncoding;
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

/** A record as the codecs read and write it: `integer` fields are numbers, `timestamp` fields `Date`s. */
export type DataRecord = Record<string, FieldValue>;

/** One record a codec read and where it was (core's `SourceRecord`, with a record the pipeline may edit). */
export interface ReadItem extends SourceRecord {
  readonly record: DataRecord;
}

export interface ReadOptions {
  /** Expected schema; a reader that carries its own (Parquet, Avro, ORC) checks it against this. */
  readonly schema?: EntitySchema;
  readonly limits: InputLimits;
  readonly signal?: AbortSignal;
  /**
   * JSON and NDJSON without a schema: keep an array or object value as its JSON text (noted, see
   * `nestedFieldsOf`) instead of refusing the input; the KB entry mapping takes a `tags` array from it.
   */
  readonly nestedAsJson?: boolean;
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
  /** Row formats (JSON, NDJSON, CSV, XML, Avro) stream the source; Parquet and ORC read the footer first. */
  read(source: ByteSource, options: ReadOptions): AsyncIterable<ReadItem>;
  write(records: AsyncIterable<DataRecord>, schema: EntitySchema, sink: ByteSink): Promise<WriteSummary>;
}
