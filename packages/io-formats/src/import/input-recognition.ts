import { extname } from 'node:path';
import type { CodecRegistry } from '../codec-registry.js';
import type { ByteSource, FormatName } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import type { ImportLimits } from '../input-limits.js';
import { decodeUtf8 } from '../io/text-decoding.js';
import { firstSignificantByte } from '../json/json-codec.js';
import { JsonStreamParser, type JsonValue } from '../json/json-stream-parser.js';
import { canonicalKey, kbFieldOf } from './kb-entry-mapping.js';

/** The source systems whose exports an import recognises without being told (`--source`). */
export type SourceSystem = 'servicenow' | 'jira' | 'splunk';

/** Where the records of a JSON document of KB entries are. */
export type EntryJsonShape = 'array' | 'object' | 'entries';

/** What a plain file (not an export) holds, as far as its first bytes and first record tell. */
export type Recognition =
  | { readonly kind: 'json-entries'; readonly shape: EntryJsonShape; readonly description: string }
  | { readonly kind: 'ndjson-entries'; readonly description: string }
  | { readonly kind: 'records'; readonly format: FormatName; readonly description: string }
  | {
      readonly kind: 'source';
      readonly source: SourceSystem;
      /** The syntax of the export: JSON, NDJSON (Splunk's export) or CSV. */
      readonly format: 'json' | 'ndjson' | 'csv';
      readonly description: string;
    };

/** The forms `kb import` recognises, for the message that refuses anything else. */
export const RECOGNISED_FORMS =
  'an export written by kb export (a JSON envelope, or a directory with manifest.json); KB entries as a JSON ' +
  'array of entry objects, one entry object, an object with an "entries" array, or NDJSON (one entry per line) — ' +
  'the shape kb add --file takes, tags as an array; CSV, XML, Parquet, Avro or ORC records with KB entry ' +
  'columns (title, problem, solution, category …); a ServiceNow export (Table API JSON {"result":[…]} or a CSV ' +
  'with number, short description and opened), a Jira search result ({"issues":[…]}) or Splunk results ' +
  '(results JSON, export NDJSON, or CSV with _time and _raw). Name it if it is none of these: --format or --source';

const SOURCE_NAMES: Record<SourceSystem, string> = {
  servicenow: 'ServiceNow',
  jira: 'Jira',
  splunk: 'Splunk',
};

/** Members of a wrapper object that hold the records: ServiceNow, Jira, Splunk, and a list of entries. */
const MEMBERS = ['result', 'issues', 'results', 'entries'] as const;
type Member = (typeof MEMBERS)[number];

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys of a record compared as column names are (no case, spaces, dashes or underscores). */
function keysOf(record: Readonly<Record<string, unknown>>): Set<string> {
  return new Set(Object.keys(record).map(canonicalKey));
}

/** Whether a record has a column that means a KB entry field (title, problem, …, or an alias). */
export function hasEntryField(keys: Iterable<string>): boolean {
  for (const key of keys) if (kbFieldOf(key) !== undefined) return true;
  return false;
}

/**
 * A ServiceNow incident: its number, short description and when it was opened (by field name or label). A KB
 * spreadsheet exported from ServiceNow has the first two but no opening time, and stays KB entries.
 */
function isServiceNowIncident(keys: ReadonlySet<string>): boolean {
  return (
    keys.has('number') &&
    keys.has('shortdescription') &&
    (keys.has('openedat') || keys.has('opened') || keys.has('syscreatedon'))
  );
}

/** A Splunk result row: its time and its raw event (or index address). */
function isSplunkRow(keys: ReadonlySet<string>): boolean {
  // canonicalKey drops underscores: `_time` is `time`, `_raw` is `raw`, `_cd` is `cd`.
  return keys.has('time') && (keys.has('raw') || keys.has('cd') || keys.has('bkt'));
}

function isJiraIssue(v: JsonValue | undefined): boolean {
  return isObject(v) && typeof v.key === 'string' && isObject(v.fields);
}

/** A ServiceNow record as the Table API gives it: plain values, or `{display_value, value}` objects. */
function isServiceNowRecord(v: JsonValue | undefined): boolean {
  if (!isObject(v)) return false;
  const keys = keysOf(v);
  return keys.has('number') || keys.has('sysid') || keys.has('shortdescription');
}

const source = (
  system: SourceSystem,
  what: string,
  format: 'json' | 'ndjson' | 'csv' = 'json',
): Recognition => ({
  kind: 'source',
  source: system,
  format,
  description: `a ${SOURCE_NAMES[system]} export (${what})`,
});

/** What a wrapper object is, by the member holding its records and the first of them. */
function classifyWrapper(
  member: Member,
  root: Readonly<Record<string, JsonValue>>,
  first: JsonValue | undefined,
): Recognition | undefined {
  switch (member) {
    case 'result':
      // The Table API's `{"result":[…]}`, or `{"result":{…}}` for one record.
      return first === undefined || isServiceNowRecord(first)
        ? source('servicenow', 'Table API JSON')
        : undefined;
    case 'issues':
      return first === undefined || isJiraIssue(first) ? source('jira', 'search result JSON') : undefined;
    case 'results':
      return 'preview' in root || (isObject(first) && isSplunkRow(keysOf(first)))
        ? source('splunk', 'results JSON')
        : undefined;
    case 'entries':
      return first === undefined || (isObject(first) && hasEntryField(Object.keys(first)))
        ? {
            kind: 'json-entries',
            shape: 'entries',
            description: 'KB entries (a JSON object with an "entries" array)',
          }
        : undefined;
  }
}

/** A record of a JSON array: an entry, a Jira issue or a ServiceNow incident (the importers take bare arrays). */
function classifyArrayRecord(first: JsonValue | undefined): Recognition | undefined {
  if (first === undefined) {
    return { kind: 'json-entries', shape: 'array', description: 'KB entries (an empty JSON array)' };
  }
  if (!isObject(first)) return undefined;
  if (isJiraIssue(first)) return source('jira', 'a JSON array of issues');
  const keys = keysOf(first);
  // Display values (`{"display_value":…,"value":…}`) are ServiceNow's alone.
  if (isServiceNowIncident(keys) || (isObject(first.number) && 'display_value' in first.number)) {
    return source('servicenow', 'a JSON array of incidents');
  }
  if (hasEntryField(Object.keys(first))) {
    return { kind: 'json-entries', shape: 'array', description: 'KB entries (a JSON array)' };
  }
  return undefined;
}

/** One JSON object that is the whole of a line or of the document. */
function classifyObject(
  value: Readonly<Record<string, JsonValue>>,
  oneLine: boolean,
): Recognition | undefined {
  // Splunk's `search/jobs/export` NDJSON: `{"preview":false,"offset":0,"result":{…}}` per line.
  if (
    isObject(value.result) &&
    ('preview' in value || 'offset' in value || isSplunkRow(keysOf(value.result)))
  ) {
    return source('splunk', 'export NDJSON', 'ndjson');
  }
  for (const member of MEMBERS) {
    const held = value[member];
    if (held === undefined) continue;
    const first = Array.isArray(held) ? held[0] : isObject(held) ? held : undefined;
    if (!Array.isArray(held) && !(member === 'result' && isObject(held))) continue;
    return classifyWrapper(member, value, first);
  }
  if (!hasEntryField(Object.keys(value))) return undefined;
  return oneLine
    ? { kind: 'ndjson-entries', description: 'KB entries (NDJSON, one entry per line)' }
    : { kind: 'json-entries', shape: 'object', description: 'a KB entry (one JSON object)' };
}

/** Thrown out of the parser's callbacks once the shape is known: the rest of the file need not be read. */
class Decided {
  constructor(readonly recognition: Recognition | undefined) {}
}

/**
 * The first non-blank line of the input, decoded, when it ends within `maxRecordBytes` (or the file ends);
 * undefined when it is longer. Bytes are split before decoding, so a bad byte further on is left for the
 * reader that names its line.
 */
async function firstLine(input: ByteSource, limits: ImportLimits): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  let started = false;
  let first = true;
  for await (const chunk of input.stream()) {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (!started) {
      // A UTF-8 byte order mark, then blank space, before the first character.
      let i = first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
      first = false;
      while (
        i < bytes.length &&
        (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
      )
        i += 1;
      bytes = bytes.subarray(i);
      started = bytes.length > 0;
      if (!started) continue;
    }
    const end = bytes.indexOf(0x0a);
    // Copied: a reader may reuse a chunk's memory for the next one.
    parts.push(Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)));
    size += end < 0 ? bytes.length : end;
    if (size > limits.maxRecordBytes) return undefined;
    if (end >= 0) break;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts)).trim();
  } catch {
    // Refused, with its line, by the reader that reads it.
    return undefined;
  }
}

/**
 * Recognises a JSON document or NDJSON by its structure: an object that is complete on its first line is a
 * line of NDJSON (or a one-line document such as the Table API's minified answer); otherwise the document is
 * walked only as far as its first record. Reads at most to the first record (the whole file for one object).
 */
async function recogniseJson(input: ByteSource, limits: ImportLimits): Promise<Recognition | undefined> {
  const line = lineValue((await firstLine(input, limits)) ?? '');
  if (isObject(line)) return classifyObject(line, true);
  let rootKind: 'object' | 'array' | undefined;
  let member: Member | undefined;
  const root: Record<string, JsonValue> = {};
  const parser = new JsonStreamParser({
    format: 'json',
    limits,
    decide: (path) => {
      if (path.length === 0) return 'walk';
      if (rootKind === 'object' && path.length === 1) {
        const key = path[0] as string;
        if (member === undefined && (MEMBERS as readonly string[]).includes(key)) return 'walk';
      }
      return 'capture';
    },
    onEnter: (path, kind) => {
      if (path.length === 0) rootKind = kind;
      else if (path.length === 1 && rootKind === 'object' && member === undefined) {
        member = path[0] as Member;
        // `{"result":{…}}`: one ServiceNow record; its fields come one by one.
        if (kind === 'object' && member !== 'result') member = undefined;
      }
    },
    onValue: (path, value) => {
      if (rootKind === 'array') throw new Decided(classifyArrayRecord(value));
      if (path.length === 1) {
        root[path[0] as string] = value;
        return;
      }
      if (member !== undefined && path[0] === member) {
        // An element of the member's array; or a field of `{"result":{…}}`, which is the Table API's alone.
        throw new Decided(classifyWrapper(member, root, typeof path[1] === 'number' ? value : undefined));
      }
    },
  });
  try {
    for await (const text of decodeUtf8(input.stream(), 'json')) parser.push(text);
    parser.end();
  } catch (error) {
    if (error instanceof Decided) return error.recognition;
    throw error;
  }
  if (rootKind === 'array') return classifyArrayRecord(undefined);
  if (member !== undefined) return classifyWrapper(member, root, undefined);
  return classifyObject(root, false);
}

/** A line parsed as JSON, or undefined when it is not a complete JSON value. */
function lineValue(line: string): unknown {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** The header of a CSV file: the keys of its first record (none when it has no rows). */
async function csvHeader(
  codecs: CodecRegistry,
  input: ByteSource,
  limits: ImportLimits,
): Promise<string[] | undefined> {
  for await (const item of codecs.get('csv').read(input, { limits })) return Object.keys(item.record);
  return undefined;
}

/**
 * What a plain file holds, from its content: the syntax from its first bytes (magic numbers, the first
 * significant character; a `.csv` name makes a first cell that starts with a bracket CSV, and a Parquet,
 * Avro or ORC name without the format's magic bytes is refused as damaged), then, for JSON, NDJSON and CSV,
 * the shape of its first record. A source system's
 * export is recognised by the fields its records always have; KB entries by a column that means a KB field.
 * Anything else is refused with the list of the forms that are recognised.
 */
export async function recognise(
  input: ByteSource,
  head: Uint8Array,
  codecs: CodecRegistry,
  limits: ImportLimits,
  fileName: string,
): Promise<Recognition> {
  const first = firstSignificantByte(head);
  const named = EXTENSIONS[extname(fileName).toLowerCase()];
  const detected = codecs.detect(head);
  // A binary format has magic bytes: a file named for one without them is damaged or something else.
  if (named !== undefined && BINARY.has(named) && detected?.format !== named) {
    throw formatError(
      named,
      FormatErrorReason.UNKNOWN_FORMAT,
      `${fileName} is named as ${named} but does not start with its magic bytes; the file is damaged or not ${named}`,
      { details: { file: fileName } },
    );
  }
  // A CSV whose first cell starts with a bracket is still CSV when its name says so.
  const csv =
    detected?.format === 'csv' ||
    (named === 'csv' && codecs.has('csv') && (detected === undefined || !BINARY.has(detected.format)));
  let recognition: Recognition | undefined;
  if (!csv && (first === 0x7b || first === 0x5b)) {
    recognition = await recogniseJson(input, limits);
  } else if (csv) {
    const header = await csvHeader(codecs, input, limits);
    const keys = new Set((header ?? []).map(canonicalKey));
    if (header === undefined) recognition = { kind: 'records', format: 'csv', description: 'CSV (no rows)' };
    else if (isSplunkRow(keys)) recognition = source('splunk', 'results CSV', 'csv');
    else if (isServiceNowIncident(keys)) recognition = source('servicenow', 'CSV', 'csv');
    else if (hasEntryField(header)) {
      recognition = { kind: 'records', format: 'csv', description: 'KB entries (CSV)' };
    }
  } else if (detected !== undefined) {
    recognition = {
      kind: 'records',
      format: detected.format,
      description: `KB entries (${detected.format.toUpperCase()} records)`,
    };
  }
  if (recognition === undefined) {
    const json = first === 0x7b || first === 0x5b;
    // No syntax at all (binary bytes no codec knows), or a syntax whose records are none of the known shapes.
    const what =
      csv || json || detected !== undefined
        ? `cannot tell what ${fileName} holds`
        : `cannot tell the format of ${fileName} from its content (supported: ${codecs.formats().join(', ')})`;
    throw formatError(
      csv ? 'csv' : json ? 'json' : (detected?.format ?? 'json'),
      FormatErrorReason.UNKNOWN_FORMAT,
      `${what}. Recognised: ${RECOGNISED_FORMS}`,
      { details: { file: fileName } },
    );
  }
  return recognition;
}

/** File name extensions that name a format; the content has the last word, except for a CSV's first cell. */
const EXTENSIONS: Readonly<Record<string, FormatName>> = {
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.avro': 'avro',
  '.orc': 'orc',
};
const BINARY: ReadonlySet<FormatName> = new Set(['parquet', 'avro', 'orc']);
