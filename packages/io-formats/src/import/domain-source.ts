import { basename } from 'node:path';
import {
  type ByteSource,
  type DomainImportInput,
  type DomainRecord,
  type RecordLocation,
  type SourceRecord,
  StorageError,
  StorageErrorCode,
  ValidationError,
} from '@mainframe-kb/storage-core';
import type { CodecRegistry } from '../codec-registry.js';
import type { FormatName } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import type { ImportLimits } from '../input-limits.js';
import { fileSha256 } from '../io/file-digest.js';
import type { StoreAccess } from '../plugin/store-access.js';
import { type OpenedInput, openFile } from './import-source.js';
import type { ImportIssue } from './import-types.js';

/**
 * A domain importer refused some of its file's records, each named: the import writes nothing and reports
 * them as rejected records (`ImportResult.errors`) rather than failing as a whole. An importer says so by
 * throwing a `ValidationError` whose `details.rejected` lists `{ record, location, field, message }`.
 */
export class RecordsRejected extends ValidationError {
  constructor(
    readonly rejected: readonly ImportIssue[],
    message: string,
  ) {
    super(
      message,
      rejected.map((r) => ({ path: r.field, message: r.message })),
      {
        details: { rejected },
      },
    );
  }
}

interface RejectedRecord {
  readonly record: number;
  readonly location: RecordLocation;
  readonly field: string | null;
  readonly message: string;
}

function isRejectedRecord(value: unknown): value is RejectedRecord {
  const r = value as Partial<RejectedRecord> | null;
  return (
    r !== null &&
    typeof r === 'object' &&
    Number.isSafeInteger(r.record) &&
    (r.record as number) >= 1 &&
    typeof r.message === 'string' &&
    r.location !== null &&
    typeof r.location === 'object' &&
    (r.field === null || typeof r.field === 'string')
  );
}

/** The records a domain importer's ValidationError names as rejected, or undefined when it refuses the file. */
function rejectedRecordsOf(error: unknown, table: string): ImportIssue[] | undefined {
  if (!(error instanceof ValidationError)) return undefined;
  const list = (error.details as { rejected?: unknown } | undefined)?.rejected;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isRejectedRecord)) return undefined;
  return list.map((r) => ({
    record: r.record,
    table,
    location: { ...r.location },
    field: r.field ?? '',
    message: r.message,
    reason: 'invalid' as const,
  }));
}

/**
 * Opens a file for the domain importer a plugin contributed under `source`; `recognised` is what the file
 * was taken for when the source was recognised from its content rather than named.
 */
export async function openDomainSource(
  access: StoreAccess,
  codecs: CodecRegistry,
  path: string,
  source: string,
  options: Readonly<Record<string, unknown>>,
  limits: ImportLimits,
  recognised?: { readonly description: string; readonly format: FormatName },
): Promise<OpenedInput> {
  const importers = access.importers();
  const contribution = importers.find((i) => i.source === source);
  if (contribution === undefined) {
    const what = recognised === undefined ? '' : `${basename(path)} is ${recognised.description}, but `;
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `${what}no enabled plugin imports '${source}'${importers.length > 0 ? ` (available: ${importers.map((i) => i.source).join(', ')})` : ''}; enable the plugin that provides it (ServiceNow, Jira and Splunk come with @mainframe-kb/plugin-patterns)`,
      { details: { source, available: importers.map((i) => i.source) } },
    );
  }
  if (typeof contribution.handler !== 'function') {
    throw new StorageError(
      StorageErrorCode.EXTENSION_INVALID,
      `the importer '${source}' has no handler function; its plugin must contribute a DomainImporter`,
    );
  }
  const handler = contribution.handler;
  const { source: bytes, head } = await openFile(path, limits);
  // The syntax the recognition found (a JSON document, not NDJSON, when it spans lines), else the first bytes'.
  const detected = recognised?.format ?? codecs.detect(head)?.format;
  const table = contribution.entities[0] ?? source;
  return {
    layout: 'records',
    format: detected ?? 'json',
    description: recognised?.description ?? `a ${source} export (--source ${source})`,
    total: undefined,
    transformationLog: [],
    ignored: new Set(),
    fingerprint: () => fileSha256(path),
    async *items() {
      const input: DomainImportInput = {
        source: bytes,
        head,
        fileName: basename(path),
        format: detected,
        limits,
        options,
        readRecords: recordReader(codecs, bytes, limits, source, basename(path)),
      };
      // The importer may make many records of one line; the bound holds for what it yields.
      let records = 0;
      let previous: object | undefined;
      const rows = handler(input)[Symbol.asyncIterator]();
      for (;;) {
        let step: IteratorResult<DomainRecord>;
        try {
          step = await rows.next();
        } catch (error) {
          const rejected = rejectedRecordsOf(error, table);
          if (rejected === undefined) throw error;
          throw new RecordsRejected(rejected, (error as Error).message);
        }
        if (step.done) break;
        const item = step.value;
        if (item.location !== previous && ++records > limits.maxRecords) {
          throw formatError(
            detected ?? 'json',
            FormatErrorReason.TOO_MANY_RECORDS,
            `the importer '${source}' made more than ${limits.maxRecords} records`,
            {
              location: item.location,
            },
          );
        }
        previous = item.location;
        if ('entry' in item)
          yield { kind: 'entry', table: 'kb_entries', record: { ...item.entry }, location: item.location };
        else {
          const row = {
            kind: 'row',
            table: item.table,
            record: { ...item.row },
            location: item.location,
            mode: 'source',
          } as const;
          yield item.ensure ? { ...row, ensure: true } : row;
        }
      }
    },
  };
}

/**
 * `readRecords(format)` of a domain import: the file's records read by the registry's codec for `format`,
 * within the import's limits. A format no codec reads is refused when asked for, naming those that are read.
 */
function recordReader(
  codecs: CodecRegistry,
  bytes: ByteSource,
  limits: ImportLimits,
  importer: string,
  fileName: string,
): (format: string) => AsyncIterable<SourceRecord> {
  return (format) => {
    if (!codecs.has(format)) {
      const formats = codecs.formats();
      const message = `the importer '${importer}' asked to read ${fileName} as '${format}', which no registered codec reads; use one of ${formats.join(', ')}`;
      throw new ValidationError(message, [{ path: 'format', message }], {
        details: { reason: FormatErrorReason.UNKNOWN_FORMAT, format, formats, importer },
      });
    }
    return codecs.get(format).read(bytes, { limits });
  };
}
