/**
 * The contract of a domain importer (`servicenow`, `jira`, `splunk`, `cobol`, …): a plugin contributes one
 * as the `handler` of an `ImporterContribution`, and the import pipeline (the io-formats plugin, driven by
 * `kb import --source <name>`) calls it with the file. Core owns the contract so that a plugin needs
 * nothing but storage-core to write one.
 */

/**
 * A field's value. Integers are JS numbers within ±2^53 (readers reject values that would lose precision);
 * timestamps are `Date`s in UTC with millisecond precision; the bytes of a binary column (`ctx.types.blob`)
 * are a `Uint8Array` (a `Buffer` as the drivers read it), never text.
 */
export type FieldValue = string | number | boolean | Date | Uint8Array | null;

/** Where a record came from, for error reports: the first that applies is set. */
export interface RecordLocation {
  readonly line?: number;
  readonly row?: number;
  readonly rowGroup?: number;
  readonly stripe?: number;
  readonly xpath?: string;
  readonly pointer?: string;
}

/**
 * Bytes to read. Row formats stream from `stream()`; formats that need their footer first use `read()`.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  stream(): AsyncIterable<Uint8Array>;
}

/** Bounds a reader enforces on hostile input; exceeding one is a typed rejection, never a truncation. */
export interface InputLimits {
  readonly maxRecordBytes: number;
  readonly maxDepth: number;
  readonly maxRecords: number;
  /** Bytes after decompression, against gzip/zlib/snappy/zstd bombs. */
  readonly maxDecompressedBytes: number;
}

/** One record of a generic format (a CSV row, an NDJSON line, …) and where it was. */
export interface SourceRecord {
  readonly record: Readonly<Record<string, FieldValue>>;
  readonly location: RecordLocation;
}

/** What a domain importer receives. */
export interface DomainImportInput {
  /** The file's bytes, already decompressed when it was gzip (within `limits.maxDecompressedBytes`). */
  readonly source: ByteSource;
  /** The first bytes of the content, for the importer's own checks. */
  readonly head: Uint8Array;
  readonly fileName: string;
  /** The generic format the content was detected as (`csv`, `ndjson`, `json`, …), if any. */
  readonly format: string | undefined;
  readonly limits: InputLimits;
  /** Importer-specific options from the caller, e.g. `{ timeZone: 'America/New_York' }`. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Streams the file's records as the generic `format` (`csv`, `ndjson`, `json`, `xml`, …) with the
   * pipeline's own readers, within `limits`: for importers whose source is a plain tabular export.
   */
  readRecords(format: string): AsyncIterable<SourceRecord>;
}

/**
 * What a domain importer yields, one item at a time (it should stream, not collect the file): either a row of
 * a table its plugin declares, or a KB entry input (`title`, `problem`, `solution`, `category`, `severity`,
 * `tags`, `id`, …) that the pipeline validates with core's KB rules. The pipeline validates each row against
 * its table, applies the conflict policy, writes everything in one transaction (or committed batches), and
 * reports rejected items with the `location` given here.
 */
export type DomainRecord =
  | {
      readonly table: string;
      readonly row: Readonly<Record<string, FieldValue>>;
      readonly location: RecordLocation;
      /**
       * A row the other rows need that may already be stored (their parent, say): inserted when no row has its
       * key, otherwise left as it is, whatever the conflict policy, and never counted as a record.
       */
      readonly ensure?: boolean;
    }
  | { readonly entry: Readonly<Record<string, FieldValue>>; readonly location: RecordLocation };

/**
 * Turns a source file into rows and KB entries. It does not write: the pipeline owns validation,
 * transactions, dry runs, conflicts and the result. Throw a `ValidationError` to refuse the whole file.
 */
export type DomainImporter = (input: DomainImportInput) => AsyncIterable<DomainRecord>;

/** Where an exporter writes: `write` resolves when the sink has taken the chunk (backpressure). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** What a domain exporter receives: where to write, and the caller's options for it. */
export interface DomainExportInput {
  readonly sink: ByteSink;
  /** The file's name, for formats that mention it (a ZAPP project name, a title). */
  readonly fileName: string;
  /** Exporter-specific options from the caller, e.g. `{ entryId: 'kb-…' }`. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * Writes the plugin's data in a format of its domain (a ZAPP file, a Markdown runbook, a template library),
 * reading through its own context; it does not close the sink. The export pipeline (`kb export --target
 * <name>`) checks the actor's role, opens the file, and removes it when the exporter throws.
 */
export type DomainExporter = (input: DomainExportInput) => Promise<{ readonly records: number }>;
