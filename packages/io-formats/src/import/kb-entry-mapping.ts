import { type KBEntry, SEVERITIES, type Severity, type ValidEntryInput } from '@mainframe-kb/storage-core';
import type { DataRecord, FieldValue } from '../codec-types.js';
import { nestedFieldsOf } from '../record-shape.js';

/**
 * Column names a spreadsheet or another tool uses for the KB entry fields, compared without case, spaces,
 * dashes or underscores (ServiceNow's "Short description" and `short_description` are one name).
 */
const ALIASES: Record<string, readonly string[]> = {
  id: ['id', 'number', 'kbid', 'articleid'],
  title: ['title', 'shortdescription', 'summary', 'subject'],
  problem: ['problem', 'description', 'symptom', 'symptoms'],
  solution: ['solution', 'resolution', 'closenotes', 'resolutionnotes', 'fix', 'workaround'],
  category: ['category', 'component'],
  severity: ['severity', 'priority', 'impact'],
  tags: ['tags', 'labels', 'keywords'],
  createdBy: ['createdby', 'syscreatedby', 'author'],
};

const BY_ALIAS = new Map<string, string>();
for (const [field, names] of Object.entries(ALIASES)) for (const name of names) BY_ALIAS.set(name, field);

export function canonicalKey(header: string): string {
  return header.toLowerCase().replace(/[\s_-]+/g, '');
}

/** The KB field a column name means, or undefined. */
export function kbFieldOf(header: string): string | undefined {
  return BY_ALIAS.get(canonicalKey(header));
}

/** Priority words and ServiceNow's numbered priorities (`1 - Critical`) as severities. */
function severityOf(value: string): string {
  const v = value.trim().toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(v)) return v;
  const numbered = /^([1-5])\b/.exec(v);
  if (numbered)
    return (['critical', 'high', 'medium', 'low', 'low'] as const)[Number(numbered[1]) - 1] as string;
  const word = /(critical|high|medium|moderate|low|planning)/.exec(v)?.[1];
  if (word === 'moderate') return 'medium';
  if (word === 'planning') return 'low';
  return word ?? v;
}

/** Tags as a JSON array, or a list separated by commas, semicolons or pipes. */
function tagList(value: FieldValue): string[] {
  if (value === null || value === '') return [];
  const s = String(value).trim();
  if (s.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(s);
      if (Array.isArray(parsed) && parsed.every((t) => typeof t === 'string')) return parsed as string[];
    } catch {
      // Not JSON after all: split it like any list.
    }
  }
  return s
    .split(/[,;|]/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export interface MappedEntry {
  readonly input: Record<string, unknown>;
  /** Columns that mean no KB field; reported, not imported. */
  readonly ignored: readonly string[];
  /** Values no KB field can take (a list or an object where text is meant); the record is rejected. */
  readonly issues: readonly { readonly field: string; readonly message: string }[];
}

/**
 * A record from a file (strings mostly) as a KB entry input, by column name or alias. A JSON record may give
 * `tags` as an array of strings (the shape `kb add --file` takes); any other list or object is refused.
 */
export function mapKbRecord(record: DataRecord): MappedEntry {
  const input: Record<string, unknown> = {};
  const ignored: string[] = [];
  const issues: { field: string; message: string }[] = [];
  const nested = nestedFieldsOf(record);
  for (const [column, value] of Object.entries(record)) {
    const field = kbFieldOf(column);
    if (field === undefined) {
      ignored.push(column);
      continue;
    }
    if (nested?.has(column)) {
      const list = field === 'tags' ? stringList(String(value)) : undefined;
      if (list === undefined) {
        issues.push({
          field: column,
          message:
            field === 'tags'
              ? 'must be a list of strings (or one string of tags separated by commas)'
              : 'must be text, not a list or an object (only tags may be a list)',
        });
      } else input.tags = list;
      continue;
    }
    // Bytes (a binary column of a columnar file) are no KB text: left as they are for the entry rules to refuse.
    if (value instanceof Uint8Array) input[field] = value;
    else if (field === 'tags') input.tags = tagList(value);
    else if (value === null || value === '') continue;
    else if (field === 'severity') input.severity = severityOf(String(value));
    else
      input[field] =
        typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : String(value);
  }
  return { input, ignored, issues };
}

/** A JSON array of strings, given as its text; undefined for anything else. */
function stringList(json: string): string[] | undefined {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) && parsed.every((t) => typeof t === 'string')
    ? (parsed as string[])
    : undefined;
}

/** The kb_entries row of a new entry made from an import record. */
export function newEntryRow(entry: ValidEntryInput, id: string, now: string): Record<string, FieldValue> {
  return {
    id,
    title: entry.title,
    problem: entry.problem,
    solution: entry.solution,
    category: entry.category,
    severity: entry.severity,
    tags: JSON.stringify(entry.tags),
    created_at: now,
    updated_at: now,
    created_by: entry.createdBy ?? null,
    usage_count: 0,
    success_count: 0,
    failure_count: 0,
    archived: 0,
    version: 1,
  };
}

/** A kb_entries row as core's KBEntry (what the search index takes). */
export function rowToKbEntry(row: Readonly<Record<string, unknown>>): KBEntry {
  return {
    id: String(row.id),
    title: String(row.title),
    problem: String(row.problem),
    solution: String(row.solution),
    category: String(row.category),
    severity: String(row.severity) as Severity,
    tags: JSON.parse(String(row.tags ?? '[]')) as string[],
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    createdBy: row.created_by === null || row.created_by === undefined ? null : String(row.created_by),
    usageCount: Number(row.usage_count ?? 0),
    successCount: Number(row.success_count ?? 0),
    failureCount: Number(row.failure_count ?? 0),
    archived: Number(row.archived ?? 0) === 1,
    version: Number(row.version ?? 1),
  };
}
