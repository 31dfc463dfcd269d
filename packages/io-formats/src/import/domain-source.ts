import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { CodecRegistry } from '../codec-registry.js';
import type { InputLimits } from '../codec-types.js';
import type { StoreAccess } from '../plugin/store-access.js';
import type { DomainImporter } from './domain-importer.js';
import { type OpenedInput, openFile } from './import-source.js';

/** Opens a file for the domain importer an extension contributed under `source`. */
export async function openDomainSource(
  access: StoreAccess,
  codecs: CodecRegistry,
  path: string,
  source: string,
  options: Readonly<Record<string, unknown>>,
  limits: InputLimits,
): Promise<OpenedInput> {
  const importers = access.importers();
  const contribution = importers.find((i) => i.source === source);
  if (contribution === undefined) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      `no enabled extension imports '${source}'${importers.length > 0 ? ` (available: ${importers.map((i) => i.source).join(', ')})` : ''}; enable the plugin that provides it (ServiceNow, Jira and Splunk come with @mainframe-kb/plugin-patterns)`,
      { details: { source, available: importers.map((i) => i.source) } },
    );
  }
  if (typeof contribution.handler !== 'function') {
    throw new StorageError(
      StorageErrorCode.EXTENSION_INVALID,
      `the importer '${source}' has no handler function; its extension must contribute a DomainImporter`,
    );
  }
  const handler = contribution.handler as DomainImporter;
  const info = await stat(path);
  const { source: bytes, head } = await openFile(path, limits);
  const detected = codecs.detect(head)?.format;
  return {
    layout: 'records',
    format: detected ?? 'json',
    total: undefined,
    transformationLog: [],
    ignored: new Set(),
    fingerprint: `${info.size}:${info.mtimeMs}`,
    async *items() {
      const input = {
        source: bytes,
        head,
        fileName: basename(path),
        format: detected,
        codecs,
        limits,
        options,
      };
      for await (const item of handler(input)) {
        if ('entry' in item)
          yield { kind: 'entry', table: 'kb_entries', record: { ...item.entry }, location: item.location };
        else yield { kind: 'row', table: item.table, record: { ...item.row }, location: item.location };
      }
    },
  };
}
