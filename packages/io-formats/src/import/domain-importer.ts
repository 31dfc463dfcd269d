import type { CodecRegistry } from '../codec-registry.js';
import type { ByteSource, FieldValue, FormatName, InputLimits, RecordLocation } from '../codec-types.js';

/**
 * What a domain importer (`servicenow`, `jira`, `splunk`, `cobol`, …) receives. An extension contributes it
 * as the `handler` of an `ImporterContribution`; `kb import --source <name>` calls it with the file.
 */
export interface DomainImportInput {
  /** The file's bytes, already decompressed when it was gzip (within `limits.maxDecompressedBytes`). */
  readonly source: ByteSource;
  /** The first bytes of the content, for the importer's own checks. */
  readonly head: Uint8Array;
  readonly fileName: string;
  /** The generic format the content was detected as, if any (a ServiceNow CSV export is `csv`). */
  readonly format: FormatName | undefined;
  /** The registered codecs: `codecs.get('csv').read(source, { limits })` streams the file's records. */
  readonly codecs: CodecRegistry;
  readonly limits: InputLimits;
  /** Importer-specific options from the caller (`sourceOptions`), e.g. `{ timeZone: 'America/New_York' }`. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * What a domain importer yields, one item at a time (it must stream, never collect the file): either a row of
 * a table its extension contributes, or a KB entry input (`title`, `problem`, `solution`, `category`,
 * `severity`, `tags`, `id`, …) that the pipeline validates with core's KB rules. The pipeline validates each
 * row against its table, applies the conflict policy, writes everything in one transaction (or committed
 * batches), and reports rejected items with the `location` given here.
 */
export type DomainRecord =
  | {
      readonly table: string;
      readonly row: Readonly<Record<string, FieldValue>>;
      readonly location: RecordLocation;
    }
  | { readonly entry: Readonly<Record<string, FieldValue>>; readonly location: RecordLocation };

/**
 * The `handler` of an `ImporterContribution`: turns a source file into rows and KB entries. It does not write:
 * the io-formats pipeline owns validation, transactions, dry runs, conflicts and the result. Throw a
 * `ValidationError` (e.g. `formatError(...)`) to refuse the whole file.
 */
export type DomainImporter = (input: DomainImportInput) => AsyncIterable<DomainRecord>;
