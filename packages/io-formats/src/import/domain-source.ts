import { basename } from 'node:path';
import {
  type ByteSource,
  type DomainImportInput,
  type SourceRecord,
  StorageError,
  StorageErrorCode,
  ValidationError,
} from '@mainframe-kb/storage-core';
import type { CodecRegistry } from '../codec-registry.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import type { ImportLimits } from '../input-limits.js';
import { fileSha256 } from '../io/file-digest.js';
import type { StoreAccess } from '../plugin/store-access.js';
import { type OpenedInput, openFile } from './import-source.js';

/** Opens a file for the domain importer a plugin contributed under `source`. */
export async function openDomainSource(
  access: StoreAccess,
  codecs: CodecRegistry,
  path: string,
  source: string,
  options: Readonly<Record<string, unknown>>,
  limits: ImportLimits,
): Promise<OpenedInput> {
  const importers = access.importers();
  const contribution = importers.find((i) => i.source === source);
  if (contribution === undefined) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `no enabled plugin imports '${source}'${importers.length > 0 ? ` (available: ${importers.map((i) => i.source).join(', ')})` : ''}; enable the plugin that provides it (ServiceNow, Jira and Splunk come with @mainframe-kb/plugin-patterns)`,
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
  const detected = codecs.detect(head)?.format;
  return {
    layout: 'records',
    format: detected ?? 'json',
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
      for await (const item of handler(input)) {
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
