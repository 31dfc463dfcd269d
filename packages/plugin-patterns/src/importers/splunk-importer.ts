import { createHash } from 'node:crypto';
import type { IncidentInput, IncidentStatus } from '../types.js';
import { CsvSyntaxError, readCsvRecords } from './csv-reader.js';
import { FieldError, pick, requireText, severityFromWord, timestamp } from './field-values.js';
import { decodeInput, type ImportedRecord, type IncidentImporterOptions } from './importer-types.js';

function statusOf(value: string | null): IncidentStatus {
  const v = value?.toLowerCase() ?? '';
  if (v.startsWith('resolved')) return 'resolved';
  if (v.startsWith('closed')) return 'closed';
  return 'open';
}

/**
 * One Splunk result row. Splunk rows are events, not tickets: the ticket id is the row's own id field
 * when it has one, else the event's index address (`_bkt` + `_cd`), else a hash of its time, host, source
 * and raw text, so that exporting the same search twice imports the same incidents.
 */
export function mapSplunkResult(r: Record<string, unknown>): IncidentInput {
  const raw = pick(r, ['_raw']);
  const time = requireText(timestamp(pick(r, ['_time', 'timestamp', 'time']), '_time'), '_time');
  const bucket = pick(r, ['_bkt']);
  const cd = pick(r, ['_cd']);
  const ticketId =
    pick(r, ['incident_id', 'ticket_id', 'number', 'key', 'event_id']) ??
    (bucket && cd
      ? `${bucket}:${cd}`
      : `splunk-${createHash('sha256')
          .update([time, pick(r, ['host']) ?? '', pick(r, ['source']) ?? '', raw ?? ''].join('\u0000'))
          .digest('hex')
          .slice(0, 20)}`);
  const firstLine = raw?.split(/\r?\n/, 1)[0]?.trim() ?? null;
  const title = requireText(
    pick(r, ['title', 'short_description', 'summary', 'message']) ?? firstLine,
    '_raw',
  );
  const metadata: Record<string, unknown> = {};
  for (const key of ['host', 'source', 'sourcetype', 'index', 'jobname', 'job', 'lpar']) {
    const v = pick(r, [key]);
    if (v !== null) metadata[key] = v;
  }
  return {
    ticketId,
    source: 'splunk',
    title: title.slice(0, 1000),
    description: raw ?? pick(r, ['description', 'message']) ?? '',
    component: pick(r, ['component', 'app', 'application', 'jobname', 'job', 'service', 'host']),
    severity: severityFromWord(pick(r, ['severity', 'log_level', 'level', 'priority', 'urgency'])),
    status: statusOf(pick(r, ['status'])),
    createdAt: time,
    resolvedAt: null,
    resolution: null,
    metadata,
  };
}

function mapped(record: number, location: string, r: Record<string, unknown>): ImportedRecord {
  try {
    return { ok: true, record, location, incident: mapSplunkResult(r) };
  } catch (error) {
    if (error instanceof FieldError)
      return { ok: false, record, location, field: error.field, message: error.message };
    throw error;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** `search/jobs/export?output_mode=json`: one JSON object per line; `"preview": true` rows are partial. */
function* fromExport(content: string): Generator<ImportedRecord> {
  const lines = content.split(/\r?\n/);
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const location = `line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      n++;
      yield { ok: false, record: n, location, field: null, message: `not JSON: ${(error as Error).message}` };
      continue;
    }
    if (!isObject(row) || row.preview === true || !isObject(row.result)) continue;
    n++;
    yield mapped(n, location, row.result);
  }
}

/** `results?output_mode=json`: `{"preview":false,"fields":[…],"results":[…]}`. */
function* fromResults(doc: Record<string, unknown>): Generator<ImportedRecord> {
  if (doc.preview === true) {
    yield {
      ok: false,
      record: 0,
      location: 'file',
      field: 'preview',
      message: 'the results are a preview of a running search; export them when it has finished',
    };
    return;
  }
  const results = Array.isArray(doc.results) ? doc.results : [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (!isObject(r))
      yield {
        ok: false,
        record: i + 1,
        location: `results[${i}]`,
        field: null,
        message: 'expected an object',
      };
    else yield mapped(i + 1, `results[${i}]`, r);
  }
}

function* fromCsv(content: string): Generator<ImportedRecord> {
  let n = 0;
  try {
    for (const row of readCsvRecords(content)) {
      n++;
      if ('error' in row)
        yield { ok: false, record: n, location: `line ${row.line}`, field: null, message: row.error };
      else yield mapped(n, `line ${row.line}`, row.record);
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    yield { ok: false, record: n + 1, location: `line ${error.line}`, field: null, message: error.message };
  }
}

/** Splunk search results: export NDJSON, results JSON, or CSV (multi-line `_raw` in quotes). */
export async function* importSplunk(
  input: string | Uint8Array,
  options: IncidentImporterOptions = {},
): AsyncGenerator<ImportedRecord> {
  const content = decodeInput(input);
  let format = options.format;
  let doc: unknown;
  if (format === undefined) {
    if (!/^\s*[[{]/.test(content)) format = 'csv';
    else {
      try {
        doc = JSON.parse(content);
        format = 'json';
      } catch {
        format = 'ndjson';
      }
    }
  }
  if (format === 'csv') yield* fromCsv(content);
  else if (format === 'ndjson') yield* fromExport(content);
  else {
    try {
      doc ??= JSON.parse(content);
    } catch (error) {
      yield {
        ok: false,
        record: 0,
        location: 'file',
        field: null,
        message: `not JSON: ${(error as Error).message}`,
      };
      return;
    }
    if (isObject(doc) && isObject(doc.result))
      yield* fromExport(content); // a one-line export
    else if (isObject(doc)) yield* fromResults(doc);
    else
      yield {
        ok: false,
        record: 0,
        location: 'file',
        field: null,
        message: 'expected {"results":[…]} or export lines',
      };
  }
}
