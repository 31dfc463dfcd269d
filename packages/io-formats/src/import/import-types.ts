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
}

export interface ImportOptions {
  /** A file (any supported format, optionally gzip-compressed) or a directory export with a manifest. */
  readonly input: string;
  /** Asserts the format; the content must agree with it. Detected from the content when absent. */
  readonly format?: FormatName | undefined;
  /** A domain source (`servicenow`, `jira`, …) handled by a plugin's importer. */
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
}

export interface TableCounts {
  inserted: number;
  updated: number;
  skipped: number;
  rejected: number;
}

export interface ImportResult {
  readonly format: FormatName | 'envelope';
  readonly layout: 'envelope' | 'directory' | 'records' | 'source';
  readonly dryRun: boolean;
  /** Whether the changes were committed (false for a dry run and for an all-or-nothing import with errors). */
  readonly committed: boolean;
  readonly inserted: number;
  readonly updated: number;
  readonly skipped: number;
  readonly rejected: number;
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
