import type { DataRecord, FormatName, RecordLocation } from '../codec-types.js';
import type { TransformationStep } from '../envelope/versioned-export.js';
import type { ImportLimits } from '../input-limits.js';

export type ConflictPolicy = 'skip' | 'update' | 'fail';

export interface ImportProgress {
  readonly phase: 'import';
  /** Records read so far. */
  readonly done: number;
  /** Total when known (a manifest or envelope with counts), else undefined. */
  readonly total: number | undefined;
  readonly table: string;
  /**
   * Bytes of the input file read so far and its size, when the input is one file read as a stream (an export
   * envelope, a plain file of records): a measure of progress when the record count is not known in advance.
   * Counted before decompression, so a gzip file's progress is that of its compressed bytes.
   */
  readonly bytesRead?: number | undefined;
  readonly bytesTotal?: number | undefined;
}

export interface ImportOptions {
  /** A file (any supported format, optionally gzip-compressed) or a directory export with a manifest. */
  readonly input: string;
  /** Asserts the format; the content must agree with it. Detected from the content when absent. */
  readonly format?: FormatName | undefined;
  /**
   * A domain source (`servicenow`, `jira`, …) handled by a plugin's importer; it always decides. Absent, the
   * input is recognised from its content: an export, KB entries, or the export of a source system (ServiceNow,
   * Jira, Splunk), which then goes to the importer of that source as if it had been named. `format` names the
   * syntax only (the content must agree), and makes a file of unrecognised records plain records of it.
   */
  readonly source?: string | undefined;
  /** Options handed to the domain importer (e.g. `{ timeZone: 'Europe/Lisbon' }`). */
  readonly sourceOptions?: Readonly<Record<string, unknown>> | undefined;
  readonly dryRun?: boolean | undefined;
  /**
   * Load an export into an empty store exactly as it was: every table including the event log and the audit
   * trail, no audit row of its own (core's `importTables`). Refused when the store's tables hold rows. The
   * export is verified first: the sha256 of each file (a manifest's) or of the body (an envelope's), and, before
   * the load commits, the content hash it recorded; any difference is an INTEGRITY error and nothing is written.
   */
  readonly restore?: boolean | undefined;
  /**
   * With `restore`: load an export that carries no integrity hashes (written by an earlier release or another
   * tool) instead of refusing it; the result then holds a warning that it was not verified.
   */
  readonly trustUnverified?: boolean | undefined;
  /**
   * What to do with a record whose key is stored already. Default: `update` for a source system's export (named
   * by `source` or recognised: a re-import is the normal daily pull, and a record equal to the stored one is
   * `unchanged`, not written), `fail` for anything else (exports and files of KB entries).
   */
  readonly onConflict?: ConflictPolicy | undefined;
  /**
   * Commit every `batchSize` records in its own transaction instead of all or nothing; with `checkpoint`,
   * a rerun resumes after the last committed batch. Rejected records are reported and left out.
   */
  readonly batchSize?: number | undefined;
  /**
   * Keep the import's progress in the store (`true`), in the transaction of each batch, keyed by the input's
   * content: a rerun of the same input after a crash at any point resumes after the last committed batch and
   * ends exactly as an uninterrupted run. A string is the checkpoint file earlier releases wrote; it is no
   * longer written, and a leftover one is refused (see the README).
   */
  readonly checkpoint?: boolean | string | undefined;
  readonly limits?: Partial<ImportLimits> | undefined;
  readonly onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** How many rejected records are listed in the result (all are counted). */
  readonly maxErrors?: number | undefined;
}

export interface ImportIssue {
  /** Ordinal of the record in the input (1-based). */
  readonly record: number;
  readonly table: string;
  readonly location: RecordLocation;
  /** The offending field, or '' for the whole record. */
  readonly field: string;
  readonly message: string;
  /**
   * Why: `invalid` (the record breaks a rule of its table or of KB entries), `conflict` (its key is stored
   * and the conflict policy is `fail`), `duplicate` (the input holds its key twice).
   */
  readonly reason: 'invalid' | 'conflict' | 'duplicate';
  /** For a conflict or a duplicate: the key, as the record names it (a ticket number when it has one). */
  readonly key?: string | undefined;
}

export interface TableCounts {
  inserted: number;
  updated: number;
  skipped: number;
  rejected: number;
}

/**
 * What became of records (or of the rows of one table): `unchanged` ones were stored already with the same
 * content and were not written (conflict policy `update` only; `skip` counts them as skipped).
 */
export interface RecordCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  rejected: number;
}

export interface ImportResult {
  readonly format: FormatName | 'envelope';
  readonly layout: 'envelope' | 'directory' | 'records' | 'source';
  /** What the input was taken for, in words: `an export envelope`, `KB entries (a JSON array)`, `a ServiceNow export (…)`. */
  readonly input: string;
  /** The domain source whose importer read the input: the `source` asked for, or the one recognised. */
  readonly source?: string | undefined;
  readonly dryRun: boolean;
  /** Whether the changes were committed (false for a dry run and for an all-or-nothing import with errors). */
  readonly committed: boolean;
  /**
   * What the user imported, counted in records: KB entries, incidents (a ticket is one record, however many
   * rows it makes), a source file. In an export, the records of an entity are the rows of its first table
   * (`kb_entries` for `kb`, `incidents` for `incidents`), its other rows being detail (see `rows`).
   */
  readonly records: Readonly<RecordCounts>;
  /** `records`, per entity (`kb`, `incidents`, `code`, …), for the entities the input holds. */
  readonly entities: Readonly<Record<string, Readonly<RecordCounts>>>;
  /** Table rows, per table: the detail behind `records` (an incident and its error codes, an entry and its tags). */
  readonly rows: Readonly<Record<string, Readonly<RecordCounts>>>;
  /** Table rows inserted, all tables together (see `records` for what the user imported). */
  readonly inserted: number;
  /** Table rows updated, all tables together. */
  readonly updated: number;
  /** Table rows skipped, all tables together. */
  readonly skipped: number;
  /** Input records rejected (each listed in `errors`, up to `maxErrors`). */
  readonly rejected: number;
  /** Table rows per table, as `rows` without `unchanged` (kept for callers of earlier releases). */
  readonly tables: Readonly<Record<string, TableCounts>>;
  readonly errors: readonly ImportIssue[];
  /** Upgrade steps applied to an older export. */
  readonly transformationLog: readonly TransformationStep[];
  /** Entities of the export that the store does not import (its own logs: events, audit, schema). */
  readonly ignored: readonly string[];
  /** Records skipped because a checkpoint said they were committed by an earlier run. */
  readonly resumedAfter: number;
  /** What the caller should know though nothing failed (a restore of an export that could not be verified). */
  readonly warnings: readonly string[];
}

/** One row bound for a table, as the pipeline moves it from reader to writer. */
export interface TableItem {
  readonly table: string;
  readonly record: DataRecord;
  readonly location: RecordLocation;
  /** Ordinal of the input record it came from (one input record may make several rows). */
  readonly ordinal: number;
}
