import { LIMITS, normalizeTag, SEVERITIES } from '@mainframe-kb/storage-core';
import type { DataRecord, FieldValue } from '../codec-types.js';
import type { ColumnInfo, TableInfo } from '../export/table-schema.js';

export interface RowIssue {
  readonly field: string;
  readonly message: string;
}

type RowRule = (row: Readonly<Record<string, FieldValue>>) => RowIssue[];

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** With the `u` flag a well-formed surrogate pair is one code point: only a lone half matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$/;

function text(row: Readonly<Record<string, FieldValue>>, field: string, max: number, out: RowIssue[]) {
  const value = row[field];
  if (typeof value !== 'string') return;
  if (value.trim().length === 0) out.push({ field, message: 'must not be empty' });
  else if (value.length > max) out.push({ field, message: `must be at most ${max} characters` });
  else if (CONTROL.test(value)) out.push({ field, message: 'must not contain control characters' });
}

function timestamp(row: Readonly<Record<string, FieldValue>>, field: string, out: RowIssue[]) {
  const value = row[field];
  if (typeof value === 'string' && !ISO_UTC.test(value)) {
    out.push({ field, message: 'must be an ISO-8601 timestamp with a zone' });
  }
}

function nonNegative(row: Readonly<Record<string, FieldValue>>, field: string, out: RowIssue[], min = 0) {
  const value = row[field];
  if (typeof value === 'number' && value < min) out.push({ field, message: `must be at least ${min}` });
}

/**
 * What core's schemas demand of a knowledge-base row beyond its column types: the same limits as an entry
 * created through `createEntries`, so an import cannot store what the API would refuse.
 */
const TABLE_RULES: Record<string, RowRule> = {
  kb_entries(row) {
    const out: RowIssue[] = [];
    text(row, 'title', LIMITS.title, out);
    text(row, 'problem', LIMITS.text, out);
    text(row, 'solution', LIMITS.text, out);
    text(row, 'category', LIMITS.category, out);
    if (typeof row.id === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(row.id)) {
      out.push({ field: 'id', message: 'ids are 1–64 letters, digits, dots, dashes, colons or underscores' });
    }
    if (typeof row.severity === 'string' && !(SEVERITIES as readonly string[]).includes(row.severity)) {
      out.push({ field: 'severity', message: `must be one of ${SEVERITIES.join(', ')}` });
    }
    if (typeof row.tags === 'string') {
      let tags: unknown;
      try {
        tags = JSON.parse(row.tags);
      } catch {
        tags = undefined;
      }
      if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && normalizeTag(t) === t)) {
        out.push({ field: 'tags', message: 'must be a JSON array of normalised tags' });
      } else if (tags.length > LIMITS.tags) {
        out.push({ field: 'tags', message: `at most ${LIMITS.tags} tags` });
      }
    }
    if (row.archived !== undefined && row.archived !== 0 && row.archived !== 1) {
      out.push({ field: 'archived', message: 'must be 0 or 1' });
    }
    for (const f of ['usage_count', 'success_count', 'failure_count']) nonNegative(row, f, out);
    nonNegative(row, 'version', out, 1);
    timestamp(row, 'created_at', out);
    timestamp(row, 'updated_at', out);
    return out;
  },
  kb_tags(row) {
    const out: RowIssue[] = [];
    if (typeof row.tag === 'string' && (normalizeTag(row.tag) !== row.tag || row.tag.length > LIMITS.tag)) {
      out.push({ field: 'tag', message: 'must be a normalised tag of at most 50 characters' });
    }
    return out;
  },
};

/**
 * Checks a row against its table's columns (type, null, declared length) and the table's own rules, and
 * returns it with exactly the table's columns (absent nullable ones as null).
 */
export function validateRow(
  info: TableInfo,
  record: DataRecord,
): { row: Record<string, FieldValue>; issues: RowIssue[] } {
  const issues: RowIssue[] = [];
  const row: Record<string, FieldValue> = {};
  const names = columnNames(info);
  for (const key of Object.keys(record)) {
    if (!names.has(key)) {
      issues.push({ field: key, message: `not a column of ${info.schema.table}` });
    }
  }
  for (const column of info.columns) {
    const value = Object.hasOwn(record, column.name) ? (record[column.name] as FieldValue) : null;
    const problem = checkColumn(column, value);
    if (problem) issues.push({ field: column.name, message: problem });
    row[column.name] = value;
  }
  const rule = TABLE_RULES[info.schema.table];
  if (rule && issues.length === 0) issues.push(...rule(row));
  return { row, issues };
}

const NAMES = new WeakMap<TableInfo, ReadonlySet<string>>();

function columnNames(info: TableInfo): ReadonlySet<string> {
  let names = NAMES.get(info);
  if (names === undefined) {
    names = new Set(info.columns.map((c) => c.name));
    NAMES.set(info, names);
  }
  return names;
}

function checkColumn(column: ColumnInfo, value: FieldValue): string | undefined {
  if (value === null) return column.nullable || column.autoIncrement ? undefined : 'is required';
  switch (column.type) {
    case 'string':
      if (typeof value !== 'string')
        return `must be text, not ${value instanceof Uint8Array ? 'bytes' : typeof value}`;
      // What a domain importer yields has met no reader's check: text no UTF-8 column can hold is refused here.
      if (LONE_SURROGATE.test(value))
        return 'must not contain a lone UTF-16 surrogate (it is not Unicode text)';
      if (column.maxLength !== undefined && value.length > column.maxLength) {
        return `must be at most ${column.maxLength} characters`;
      }
      return undefined;
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'timestamp':
      return value instanceof Date ? undefined : 'must be a timestamp';
    case 'binary':
      return value instanceof Uint8Array ? undefined : `must be bytes (a Uint8Array), not ${typeof value}`;
  }
}
