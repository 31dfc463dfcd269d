import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CodecRegistry } from '../codec-registry.js';
import type {
  ByteSource,
  DataRecord,
  EntitySchema,
  FieldType,
  FormatName,
  ReadItem,
  RecordLocation,
} from '../codec-types.js';
import { upgradeSeedRecord } from '../envelope/envelope-upgrades.js';
import { readJsonEnvelope } from '../envelope/json-envelope-reader.js';
import { sniffEnvelope } from '../envelope/json-envelope-writer.js';
import { checkVersion } from '../envelope/version-check.js';
import {
  type ExportManifest,
  MANIFEST_FILE,
  type TableSchema,
  type TransformationStep,
  toEntitySchema,
} from '../envelope/versioned-export.js';
import { FormatErrorReason, formatError, reasonOf } from '../errors/format-error.js';
import type { ImportLimits } from '../input-limits.js';
import { verifyDirectory, verifyEnvelope } from '../integrity/export-verification.js';
import type { ExportCheck } from '../integrity/integrity-types.js';
import { fileSource, streamHead } from '../io/byte-source.js';
import { combinedSha256, fileSha256 } from '../io/file-digest.js';
import { gunzipSource, isGzip } from '../io/gunzip.js';
import { firstSignificantByte } from '../json/json-codec.js';
import { JsonStreamParser, type JsonValue } from '../json/json-stream-parser.js';
import { jsonToRecord } from '../record-shape.js';
import { readEntryJson } from './entry-json-reader.js';
import { type Recognition, recognise, type SourceSystem } from './input-recognition.js';
import { kbFieldOf } from './kb-entry-mapping.js';

/** Entities whose tables the store keeps for itself: exported for the record, never imported. */
export const STORE_MANAGED_ENTITIES: ReadonlySet<string> = new Set(['events', 'audit', 'schema']);
/** What a restore leaves out: the migrations ledger belongs to the target's own schema. */
export const RESTORE_SKIPPED_ENTITIES: ReadonlySet<string> = new Set(['schema']);

export interface RawItem {
  /** `row`: a row of `table`; `entry`: a KB entry from a plain file, mapped by field name or alias. */
  readonly kind: 'row' | 'entry';
  readonly table: string;
  readonly record: DataRecord;
  readonly location: RecordLocation;
  /** A domain importer's row that is inserted when absent and otherwise left alone (DomainRecord.ensure). */
  readonly ensure?: boolean;
  /** Rows: `exact` from an export (the default), `source` from a domain importer (see RowMode). */
  readonly mode?: 'exact' | 'source';
}

/** Bytes of the input file read so far, against its size: progress for inputs of unknown record count. */
export interface ByteProgress {
  read(): number;
  readonly total: number;
}

export interface OpenedInput {
  readonly layout: 'envelope' | 'directory' | 'records';
  readonly format: FormatName | 'envelope';
  /** What the input was taken for, in words (ImportResult.input). */
  readonly description: string;
  /**
   * Set when the file is a source system's export (ServiceNow, Jira, Splunk) that nobody named: the import
   * hands it to that source's importer instead of reading `items()`.
   */
  readonly recognisedSource?: SourceSystem | undefined;
  /** With `recognisedSource`: the syntax of the export (JSON, NDJSON or CSV). */
  readonly recognisedFormat?: 'json' | 'ndjson' | 'csv' | undefined;
  /** Bytes read so far, for a file read as a stream. */
  readonly bytes?: ByteProgress | undefined;
  /** Records the input announces (manifest counts), when it does. */
  readonly total: number | undefined;
  /** Filled as the input is read: upgrade steps applied. */
  readonly transformationLog: TransformationStep[];
  /** Filled as the input is read: store-managed entities left out. */
  readonly ignored: Set<string>;
  /** Identifies the input's content for a checkpoint: the sha256 of every file it reads (a full read). */
  fingerprint(): Promise<string>;
  /**
   * Exports only (an envelope or a directory): checks the hashes the export recorded about its files, refusing
   * with INTEGRITY when one differs, and gives the content hash to expect, or why there is none.
   */
  verify?(): Promise<ExportCheck>;
  items(): AsyncIterable<RawItem>;
}

const HEAD_BYTES = 4096;

/**
 * A file source, transparently gunzipped (within the size and ratio bounds) when its content is gzip. One layer
 * only: a compressed file inside it is refused rather than expanded again.
 */
export async function openFile(
  path: string,
  limits: ImportLimits,
): Promise<{ source: ByteSource; head: Uint8Array; bytes: ByteProgress }> {
  const file = await fileSource(path);
  // Counted as the stream reads the file, before decompression: the head read below is not progress.
  let consumed = 0;
  const bytes: ByteProgress = { read: () => consumed, total: file.size };
  let source: ByteSource = {
    size: file.size,
    read: (offset, length) => file.read(offset, length),
    async *stream() {
      consumed = 0;
      for await (const chunk of file.stream()) {
        consumed += chunk.length;
        yield chunk;
      }
    },
  };
  let head = await source.read(0, HEAD_BYTES);
  if (isGzip(head)) {
    source = gunzipSource(source, limits);
    head = await streamHead(source, HEAD_BYTES);
    if (isGzip(head)) {
      throw formatError(
        'gzip',
        FormatErrorReason.DECOMPRESSION_LIMIT,
        `${basename(path)} holds a compressed file inside a compressed file; decompress it once and import the result`,
      );
    }
  }
  return { source, head, bytes };
}

/**
 * Opens what an import reads: a directory export (its manifest), an export envelope, or a plain file of
 * records. The format comes from the content; a format the caller names must agree. A plain file is
 * recognised by its shape too (see `recognise`): KB entries, or a source system's export
 * (`recognisedSource`), which the caller hands to that source's importer. A named format is the syntax only:
 * a file whose shape is not recognised is then read as plain records of that format instead of refused.
 */
export async function openInput(
  path: string,
  asserted: FormatName | undefined,
  codecs: CodecRegistry,
  limits: ImportLimits,
  /** Entities read from an export but not imported (the store's own logs, unless restoring). */
  skipped: ReadonlySet<string> = STORE_MANAGED_ENTITIES,
): Promise<OpenedInput> {
  const info = await stat(path);
  if (info.isDirectory()) return openDirectory(path, asserted, codecs, limits, skipped);
  const { source, head, bytes } = await openFile(path, limits);
  const fingerprint = () => fileSha256(path);
  if (sniffEnvelope(head) && (asserted === undefined || asserted === 'json')) {
    const verify = async () =>
      verifyEnvelope(path, (await openFile(path, limits)).source, limits.maxRecordBytes);
    return openEnvelope(source, limits, fingerprint, verify, skipped, bytes);
  }
  const recognition = await recogniseAs(path, source, head, asserted, codecs, limits);
  const plain = { layout: 'records', total: undefined, transformationLog: [], ignored: new Set<string>() };
  if (recognition.kind === 'source') {
    return {
      ...plain,
      layout: 'records',
      format: recognition.format,
      description: recognition.description,
      recognisedSource: recognition.source,
      recognisedFormat: recognition.format,
      fingerprint,
      items() {
        throw new Error(`${basename(path)} is a ${recognition.source} export: its importer reads it`);
      },
    };
  }
  const entries = (format: FormatName, read: () => AsyncIterable<ReadItem>): OpenedInput => ({
    ...plain,
    layout: 'records',
    format,
    description: recognition.description,
    bytes,
    fingerprint,
    async *items() {
      const checked = new Set<string>();
      for await (const item of read()) {
        assertDistinctFields(item.record, checked, format, item.location);
        yield { kind: 'entry', table: 'kb_entries', record: item.record, location: item.location };
      }
    },
  });
  if (recognition.kind === 'json-entries') {
    return entries('json', () => readEntryJson(source, recognition.shape, limits));
  }
  if (recognition.kind === 'ndjson-entries') {
    return entries('ndjson', () => codecs.get('ndjson').read(source, { limits, nestedAsJson: true }));
  }
  const codec = codecs.get(recognition.format);
  return entries(codec.format, () => codec.read(source, { limits }));
}

/**
 * What a plain file is taken for. Its content decides; a format the caller names must agree with the content's
 * syntax (a one-line JSON object is JSON as well as NDJSON), and makes a file whose records mean nothing
 * recognisable plain records of that format, read as KB entries, rather than refused.
 */
async function recogniseAs(
  path: string,
  source: ByteSource,
  head: Uint8Array,
  asserted: FormatName | undefined,
  codecs: CodecRegistry,
  limits: ImportLimits,
): Promise<Recognition> {
  const name = basename(path);
  let recognition: Recognition;
  try {
    recognition = await recognise(source, head, codecs, limits, name);
  } catch (error) {
    if (asserted === undefined || reasonOf(error) !== FormatErrorReason.UNKNOWN_FORMAT) throw error;
    const first = firstSignificantByte(head);
    if (asserted !== 'json' && asserted !== 'ndjson' && !codecs.get(asserted).sniff(head)) {
      throw formatError(
        asserted,
        FormatErrorReason.UNKNOWN_FORMAT,
        `the content of ${name} is not ${asserted}`,
      );
    }
    recognition =
      asserted === 'json'
        ? {
            kind: 'json-entries',
            shape: first === 0x5b ? 'array' : 'object',
            description: 'KB entries (JSON)',
          }
        : asserted === 'ndjson'
          ? { kind: 'ndjson-entries', description: 'KB entries (NDJSON)' }
          : {
              kind: 'records',
              format: asserted,
              description: `KB entries (${asserted.toUpperCase()} records)`,
            };
  }
  if (asserted === undefined) return recognition;
  const syntax =
    recognition.kind === 'json-entries'
      ? 'json'
      : recognition.kind === 'ndjson-entries'
        ? 'ndjson'
        : recognition.format;
  if (syntax === asserted) return recognition;
  // A one-line object is a JSON document too.
  if (recognition.kind === 'ndjson-entries' && asserted === 'json') {
    return { kind: 'json-entries', shape: 'object', description: 'a KB entry (one JSON object)' };
  }
  if (recognition.kind === 'source' && syntax !== 'csv' && (asserted === 'json' || asserted === 'ndjson')) {
    return recognition;
  }
  throw formatError(asserted, FormatErrorReason.UNKNOWN_FORMAT, `the content of ${name} is not ${asserted}`);
}

/**
 * Two columns that mean the same KB field (`Title` and ServiceNow's `Short description`) would let one
 * silently win: refused like a duplicate header. Checked once per distinct set of keys.
 */
function assertDistinctFields(
  record: DataRecord,
  checked: Set<string>,
  format: FormatName,
  location: RecordLocation,
) {
  const keys = Object.keys(record);
  const signature = keys.join('\u0000');
  if (checked.has(signature)) return;
  const seen = new Map<string, string>();
  for (const key of keys) {
    const field = kbFieldOf(key);
    if (field === undefined) continue;
    const earlier = seen.get(field);
    if (earlier !== undefined) {
      throw formatError(
        format,
        FormatErrorReason.DUPLICATE_HEADER,
        `the columns '${earlier}' and '${key}' both mean the KB field '${field}'; remove one`,
        {
          location,
          field,
        },
      );
    }
    seen.set(field, key);
  }
  checked.add(signature);
}

function openEnvelope(
  source: ByteSource,
  limits: ImportLimits,
  fingerprint: () => Promise<string>,
  verify: () => Promise<ExportCheck>,
  skipped: ReadonlySet<string>,
  bytes: ByteProgress,
): OpenedInput {
  const transformationLog: TransformationStep[] = [];
  const ignored = new Set<string>();
  return {
    layout: 'envelope',
    format: 'envelope',
    description: 'an export envelope (kb export --format json)',
    bytes,
    total: undefined,
    transformationLog,
    ignored,
    fingerprint,
    verify,
    async *items() {
      let schemas: Record<string, TableSchema> = {};
      // One EntitySchema per table, not one per record.
      const entitySchemas = new Map<string, EntitySchema>();
      const entitySchemaOf = (table: string, schema: TableSchema): EntitySchema => {
        let entity = entitySchemas.get(table);
        if (entity === undefined) {
          entity = toEntitySchema(schema);
          entitySchemas.set(table, entity);
        }
        return entity;
      };
      let seed = false;
      let upgraded = 0;
      for await (const event of readJsonEnvelope(source, limits)) {
        if (event.kind === 'header') {
          seed = event.decision.readAs.startsWith('1.');
          if (!seed) schemas = checkSchemas(event.header.schemas);
          continue;
        }
        if (event.kind === 'trailer') break;
        if (seed) {
          const key = event.group[0] as string;
          if (key !== 'kb_entries') {
            throw formatError(
              'envelope',
              FormatErrorReason.VERSION_UNSUPPORTED,
              `the 1.0.0 export holds data.${key}, which this build cannot upgrade (only data.kb_entries)`,
              {
                location: event.location,
              },
            );
          }
          upgraded += 1;
          for (const row of upgradeSeedRecord(event.value, event.location)) yield row;
          continue;
        }
        const [entity, table] = event.group as [string, string];
        const schema = schemas[table];
        if (schema === undefined || schema.entity !== entity) {
          throw formatError(
            'envelope',
            FormatErrorReason.BAD_ENVELOPE,
            `data.${entity}.${table} has no schema in the envelope's "schemas"`,
            {
              location: event.location,
            },
          );
        }
        if (skipped.has(entity)) {
          ignored.add(entity);
          continue;
        }
        yield {
          kind: 'row',
          table,
          record: jsonToRecord('json', event.value, entitySchemaOf(table, schema), event.location),
          location: event.location,
        };
      }
      if (seed) {
        transformationLog.push({
          from: '1.0.0',
          to: '2.0.0',
          description: 'seed KB entry objects (camelCase, tags array) → kb_entries rows and kb_tags rows',
          records: upgraded,
        });
      }
    },
  };
}

const FIELD_TYPES: ReadonlySet<string> = new Set<FieldType>([
  'string',
  'integer',
  'double',
  'boolean',
  'timestamp',
  'binary',
]);

function checkSchemas(value: JsonValue | undefined): Record<string, TableSchema> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw formatError(
      'envelope',
      FormatErrorReason.BAD_ENVELOPE,
      'the export has no "schemas" object before its data',
    );
  }
  const out: Record<string, TableSchema> = {};
  for (const [table, raw] of Object.entries(value)) {
    const s = raw as Record<string, unknown> | null;
    const fields = s?.fields;
    if (
      s === null ||
      typeof s !== 'object' ||
      typeof s.entity !== 'string' ||
      s.table !== table ||
      !Array.isArray(s.primaryKey) ||
      !Array.isArray(fields) ||
      !fields.every(
        (f) =>
          f !== null &&
          typeof f === 'object' &&
          typeof (f as Record<string, unknown>).name === 'string' &&
          FIELD_TYPES.has((f as Record<string, unknown>).type as string) &&
          typeof (f as Record<string, unknown>).nullable === 'boolean',
      )
    ) {
      throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, `the schema of '${table}' is malformed`);
    }
    for (const f of fields as Record<string, unknown>[]) {
      // Bytes are read as the spelling the schema declares, never guessed from how a string looks.
      const binary = f.type === 'binary';
      if (binary ? f.encoding !== 'base64' : f.encoding !== undefined) {
        throw formatError(
          'envelope',
          FormatErrorReason.BAD_ENVELOPE,
          binary
            ? `the schema of '${table}' declares the binary field '${f.name}' with the encoding ${JSON.stringify(f.encoding ?? null)}; this build reads binary fields written in "base64"`
            : `the schema of '${table}' gives the ${String(f.type)} field '${f.name}' an encoding; only binary fields have one`,
        );
      }
    }
    out[table] = s as unknown as TableSchema;
  }
  return out;
}

async function readManifest(path: string, limits: ImportLimits): Promise<ExportManifest> {
  const { source } = await openFile(path, limits);
  let value: JsonValue | undefined;
  const parser = new JsonStreamParser({
    format: 'json',
    limits,
    decide: () => 'capture',
    onValue: (_p, v) => {
      value = v;
    },
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of source.stream()) parser.push(decoder.decode(chunk, { stream: true }));
    parser.push(decoder.decode());
  } catch (error) {
    if ((error as { details?: unknown }).details !== undefined) throw error;
    throw formatError('envelope', FormatErrorReason.INVALID_UTF8, `${MANIFEST_FILE} is not UTF-8`, {
      cause: error,
    });
  }
  parser.end();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, `${MANIFEST_FILE} must hold an object`);
  }
  return value as unknown as ExportManifest;
}

async function openDirectory(
  dir: string,
  asserted: FormatName | undefined,
  codecs: CodecRegistry,
  limits: ImportLimits,
  skipped: ReadonlySet<string>,
): Promise<OpenedInput> {
  const manifestPath = join(dir, MANIFEST_FILE);
  try {
    await stat(manifestPath);
  } catch {
    throw formatError(
      'envelope',
      FormatErrorReason.BAD_ENVELOPE,
      `${dir} is a directory without ${MANIFEST_FILE}; import a file, or a directory written by kb export`,
    );
  }
  const manifest = await readManifest(manifestPath, limits);
  const decision = checkVersion(manifest.format, manifest.version, manifest.backward_compatibility);
  if (decision.upgrades.length > 0) {
    throw formatError(
      'envelope',
      FormatErrorReason.VERSION_UNSUPPORTED,
      `directory exports start at 2.0.0; this manifest says ${manifest.version}`,
    );
  }
  const schemas = checkSchemas(manifest.schemas as unknown as JsonValue);
  if (!Array.isArray(manifest.files)) {
    throw formatError('envelope', FormatErrorReason.BAD_ENVELOPE, `${MANIFEST_FILE} lists no files`);
  }
  const ignored = new Set<string>();
  const files = manifest.files.map((f) => {
    const schema = schemas[f?.table];
    // A manifest names files inside its own directory only: no separators, no parent references.
    if (
      typeof f?.file !== 'string' ||
      f.file !== basename(f.file) ||
      f.file.startsWith('.') ||
      f.file === MANIFEST_FILE
    ) {
      throw formatError(
        'envelope',
        FormatErrorReason.BAD_ENVELOPE,
        `${MANIFEST_FILE} names the file ${JSON.stringify(f?.file)}, which is not a plain file name in the export directory`,
      );
    }
    if (schema === undefined || schema.entity !== f.entity) {
      throw formatError(
        'envelope',
        FormatErrorReason.BAD_ENVELOPE,
        `${MANIFEST_FILE} lists ${f.file} for table '${f.table}' without its schema`,
      );
    }
    if (asserted !== undefined && f.format !== asserted) {
      throw formatError(
        asserted,
        FormatErrorReason.UNKNOWN_FORMAT,
        `the export holds ${f.format} files, not ${asserted}`,
      );
    }
    return { ...f, schema };
  });
  const total = files.filter((f) => !skipped.has(f.entity)).reduce((n, f) => n + (Number(f.records) || 0), 0);
  return {
    layout: 'directory',
    format: files[0]?.format ?? asserted ?? 'json',
    description: `an export directory (kb export --format ${files[0]?.format ?? asserted ?? 'json'})`,
    total,
    transformationLog: [],
    ignored,
    fingerprint: async () => {
      const digests = [await fileSha256(manifestPath)];
      for (const file of files) digests.push(await fileSha256(join(dir, file.file)));
      return combinedSha256(digests);
    },
    verify: () => verifyDirectory(dir, manifest),
    async *items() {
      // Each file's reader counts its own records; the bound holds for the export as a whole.
      let records = 0;
      for (const file of files) {
        if (skipped.has(file.entity)) {
          ignored.add(file.entity);
          continue;
        }
        const codec = codecs.get(file.format);
        const path = join(dir, file.file);
        const source =
          codec.format === 'json' ||
          codec.format === 'ndjson' ||
          codec.format === 'csv' ||
          codec.format === 'xml'
            ? (await openFile(path, limits)).source
            : await fileSource(path);
        const head = source.size > 0 ? await streamHead(source, HEAD_BYTES) : new Uint8Array();
        if (head.length > 0 && !codec.sniff(head)) {
          throw formatError(
            codec.format,
            FormatErrorReason.UNKNOWN_FORMAT,
            `${file.file} is not a ${codec.format} file`,
          );
        }
        let n = 0;
        for await (const item of codec.read(source, { limits, schema: toEntitySchema(file.schema) })) {
          n += 1;
          records += 1;
          if (records > limits.maxRecords) {
            throw formatError(
              codec.format,
              FormatErrorReason.TOO_MANY_RECORDS,
              `more than ${limits.maxRecords} records`,
              {
                location: item.location,
              },
            );
          }
          yield {
            kind: 'row',
            table: file.table,
            record: item.record,
            location: { ...item.location, pointer: `${file.file}${item.location.pointer ?? ''}` },
          };
        }
        if (n !== Number(file.records)) {
          throw formatError(
            codec.format,
            FormatErrorReason.BAD_ENVELOPE,
            `${file.file} holds ${n} records but the manifest says ${file.records}; the export is incomplete or was edited`,
          );
        }
      }
    },
  };
}
