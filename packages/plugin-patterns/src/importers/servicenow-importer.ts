import type { Severity } from '@mainframe-kb/storage-core';
import type { IncidentInput, IncidentStatus } from '../types.js';
import { CsvSyntaxError, readCsvRecords } from './csv-reader.js';
import { FieldError, pick, requireText, severityFromWord, text, timestamp } from './field-values.js';
import { decodeInput, type ImportedRecord, type IncidentImporterOptions } from './importer-types.js';

/** CSV exports name columns by label ("Short description") or by field ("short_description"). */
const LABELS: Record<string, string> = {
  number: 'number',
  'short description': 'short_description',
  description: 'description',
  'configuration item': 'cmdb_ci',
  'business service': 'business_service',
  service: 'business_service',
  priority: 'priority',
  severity: 'severity',
  impact: 'impact',
  urgency: 'urgency',
  state: 'state',
  'incident state': 'incident_state',
  opened: 'opened_at',
  created: 'sys_created_on',
  resolved: 'resolved_at',
  closed: 'closed_at',
  'resolution notes': 'close_notes',
  'close notes': 'close_notes',
  'resolution code': 'close_code',
  'close code': 'close_code',
  category: 'category',
  subcategory: 'subcategory',
  'assignment group': 'assignment_group',
  'sys id': 'sys_id',
};

/**
 * A field's value in any of the Table API's shapes: a plain string, or with `sysparm_display_value=all` an
 * object `{ display_value, value, link }`. Choice fields (state, priority) are read by value, reference
 * fields (configuration item, group) by display value.
 */
function fieldReader(prefer: 'display' | 'value') {
  return (v: unknown): string | null => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return prefer === 'display'
        ? (text(o.display_value) ?? text(o.value))
        : (text(o.value) ?? text(o.display_value));
    }
    return text(v);
  };
}
const display = fieldReader('display');
const value = fieldReader('value');

/** ServiceNow incident states: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled. */
function statusOf(state: string | null): IncidentStatus {
  if (state === null) return 'open';
  const s = state.toLowerCase();
  if (s === '6' || s.startsWith('resolved')) return 'resolved';
  if (s === '7' || s === '8' || s.startsWith('closed') || s.startsWith('cancel')) return 'closed';
  return 'open';
}

/** Priority 1–5 (Critical, High, Moderate, Low, Planning); the severity field has its own 1–3 scale. */
function severityOf(r: Record<string, unknown>): Severity | null {
  const priority = pick(r, ['priority'], value);
  const fromPriority = severityFromWord(priority);
  if (fromPriority) return fromPriority;
  const sev = pick(r, ['severity'], value);
  if (sev === null) return null;
  const n = /^(\d)/.exec(sev)?.[1];
  if (n === '1') return 'high';
  if (n === '2') return 'medium';
  if (n === '3') return 'low';
  return severityFromWord(sev);
}

export function mapServiceNowRecord(r: Record<string, unknown>): IncidentInput {
  const number = requireText(pick(r, ['number'], display), 'number');
  const title = requireText(pick(r, ['short_description', 'description'], display), 'short_description');
  const createdAt = requireText(
    timestamp(pick(r, ['opened_at'], value), 'opened_at') ??
      timestamp(pick(r, ['sys_created_on'], value), 'sys_created_on'),
    'opened_at',
  );
  const resolvedAt =
    timestamp(pick(r, ['resolved_at'], value), 'resolved_at') ??
    timestamp(pick(r, ['closed_at'], value), 'closed_at');
  const metadata: Record<string, unknown> = {};
  for (const [key, field, read] of [
    ['sysId', 'sys_id', value],
    ['priority', 'priority', display],
    ['state', 'state', display],
    ['category', 'category', display],
    ['subcategory', 'subcategory', display],
    ['assignmentGroup', 'assignment_group', display],
    ['closeCode', 'close_code', display],
  ] as const) {
    const v = pick(r, [field], read);
    if (v !== null) metadata[key] = v;
  }
  return {
    ticketId: number,
    source: 'servicenow',
    title,
    description: pick(r, ['description'], display) ?? '',
    component: pick(r, ['cmdb_ci', 'business_service', 'u_component'], display),
    severity: severityOf(r),
    status: statusOf(pick(r, ['state', 'incident_state'], value)),
    createdAt,
    resolvedAt,
    resolution: pick(r, ['close_notes'], display) ?? pick(r, ['close_code'], display),
    metadata,
  };
}

function mapped(record: number, location: string, r: Record<string, unknown>): ImportedRecord {
  try {
    return { ok: true, record, location, incident: mapServiceNowRecord(r) };
  } catch (error) {
    if (error instanceof FieldError)
      return { ok: false, record, location, field: error.field, message: error.message };
    throw error;
  }
}

function* fromJson(content: string): Generator<ImportedRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
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
  const result = Array.isArray(doc) ? doc : (doc as { result?: unknown })?.result;
  const records = Array.isArray(result) ? result : result && typeof result === 'object' ? [result] : null;
  if (records === null) {
    yield {
      ok: false,
      record: 0,
      location: 'file',
      field: 'result',
      message: 'expected the Table API shape {"result":[…]}',
    };
    return;
  }
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const location = `result[${i}]`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      yield { ok: false, record: i + 1, location, field: null, message: 'expected an object' };
    } else yield mapped(i + 1, location, r as Record<string, unknown>);
  }
}

function* fromCsv(content: string): Generator<ImportedRecord> {
  let n = 0;
  try {
    for (const row of readCsvRecords(content)) {
      n++;
      const location = `line ${row.line}`;
      if ('error' in row) {
        yield { ok: false, record: n, location, field: null, message: row.error };
        continue;
      }
      const r: Record<string, string> = {};
      for (const [k, v] of Object.entries(row.record)) r[LABELS[k.toLowerCase()] ?? k] = v;
      yield mapped(n, location, r);
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    yield { ok: false, record: n + 1, location: `line ${error.line}`, field: null, message: error.message };
  }
}

/** ServiceNow incidents: Table API JSON (`{"result":[…]}`) or a list-view CSV export. */
export async function* importServiceNow(
  input: string | Uint8Array,
  options: IncidentImporterOptions = {},
): AsyncGenerator<ImportedRecord> {
  const content = decodeInput(input);
  const format = options.format ?? (/^\s*[[{]/.test(content) ? 'json' : 'csv');
  yield* format === 'csv' ? fromCsv(content) : fromJson(content);
}
