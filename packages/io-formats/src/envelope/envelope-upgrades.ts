import { normalizeTags } from '@mainframe-kb/storage-core';
import type { DataRecord, FieldValue, RecordLocation } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import type { RawItem } from '../import/import-source.js';
import type { JsonValue } from '../json/json-stream-parser.js';

function pick(entry: Record<string, JsonValue>, ...names: string[]): JsonValue | undefined {
  for (const name of names) if (Object.hasOwn(entry, name)) return entry[name];
  return undefined;
}

/** A scalar as a field value; anything else is kept as its JSON text so validation names the field. */
function scalar(value: JsonValue | undefined): FieldValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function timestamp(value: JsonValue | undefined): FieldValue {
  if (typeof value !== 'string') return scalar(value);
  // The seed wrote Date objects through JSON.stringify: ISO-8601 in UTC. Other zones are normalised to UTC;
  // text without a zone stays as it is and is refused by validation.
  if (!/(?:Z|[+-]\d{2}:\d{2})$/.test(value)) return value;
  const date = new Date(value);
  return Number.isFinite(date.getTime()) ? date.toISOString() : value;
}

function count(value: JsonValue | undefined, fallback: number): FieldValue {
  return value === undefined || value === null ? fallback : scalar(value);
}

/**
 * Upgrade step 1.0.0 → 2.0.0: one KB entry object of the seed's export (`data.kb_entries[i]`, camelCase or
 * snake_case keys, tags as an array) becomes its kb_entries row and one kb_tags row per tag.
 */
export function upgradeSeedRecord(value: JsonValue, location: RecordLocation): RawItem[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw formatError('envelope', FormatErrorReason.MALFORMED, 'a 1.0.0 KB entry must be an object', {
      location,
    });
  }
  const rawTags = pick(value, 'tags');
  const tags =
    Array.isArray(rawTags) && rawTags.every((t) => typeof t === 'string')
      ? normalizeTags(rawTags as string[])
      : undefined;
  const created = timestamp(pick(value, 'createdAt', 'created_at'));
  const id = scalar(pick(value, 'id'));
  const archived = pick(value, 'archived');
  const entry: DataRecord = {
    id,
    title: scalar(pick(value, 'title')),
    problem: scalar(pick(value, 'problem')),
    solution: scalar(pick(value, 'solution')),
    category: scalar(pick(value, 'category')),
    severity: scalar(pick(value, 'severity')) ?? 'medium',
    tags: tags === undefined ? (scalar(rawTags ?? null) ?? '[]') : JSON.stringify(tags),
    created_at: created,
    updated_at: timestamp(pick(value, 'updatedAt', 'updated_at')) ?? created,
    created_by: scalar(pick(value, 'createdBy', 'created_by')),
    usage_count: count(pick(value, 'usageCount', 'usage_count'), 0),
    success_count: count(pick(value, 'successCount', 'success_count'), 0),
    failure_count: count(pick(value, 'failureCount', 'failure_count'), 0),
    archived:
      archived === true
        ? 1
        : archived === false || archived === undefined || archived === null
          ? 0
          : scalar(archived),
    version: count(pick(value, 'version'), 1),
  };
  const items: RawItem[] = [{ kind: 'row', table: 'kb_entries', record: entry, location }];
  for (const tag of tags ?? []) {
    items.push({ kind: 'row', table: 'kb_tags', record: { entry_id: id, tag }, location });
  }
  return items;
}
