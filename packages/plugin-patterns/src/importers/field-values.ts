import type { Severity } from '@mainframe-kb/storage-core';
import { normalizeTimestamp } from '../input-schemas.js';

/** A non-empty trimmed string, or null. */
export function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const t = value.trim();
  return t.length > 0 ? t : null;
}

/** The first non-empty value among `keys` of `record`, compared case-insensitively. */
export function pick(record: Record<string, unknown>, keys: readonly string[], read = text): string | null {
  const lower = new Map(Object.keys(record).map((k) => [k.toLowerCase(), k]));
  for (const key of keys) {
    const actual = lower.get(key.toLowerCase());
    if (actual === undefined) continue;
    const v = read(record[actual]);
    if (v !== null) return v;
  }
  return null;
}

export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** An ISO timestamp from `YYYY-MM-DD HH:MM:SS` (UTC), ISO-8601 with a zone, or epoch seconds. */
export function timestamp(value: string | null, field: string): string | null {
  if (value === null) return null;
  if (/^\d{9,11}(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000).toISOString();
  const iso = normalizeTimestamp(value);
  if (iso === null)
    throw new FieldError(field, `'${value.slice(0, 40)}' is not a date (expected YYYY-MM-DD HH:MM:SS)`);
  return iso;
}

export function requireText(value: string | null, field: string): string {
  if (value === null) throw new FieldError(field, 'is required');
  return value;
}

/** Words severities are spelt with in the three systems, to the store's four levels. */
export function severityFromWord(value: string | null): Severity | null {
  if (value === null) return null;
  const v = value.toLowerCase();
  if (/^(critical|crit|fatal|emerg|emergency|alert|blocker|highest|sev ?1|p1|1)\b/.test(v)) return 'critical';
  if (/^(high|error|err|severe|major|sev ?2|p2|2)\b/.test(v)) return 'high';
  if (/^(medium|moderate|warning|warn|normal|sev ?3|p3|3)\b/.test(v)) return 'medium';
  if (/^(low|lowest|minor|trivial|info|informational|notice|debug|planning|sev ?[45]|p[45]|[45])\b/.test(v))
    return 'low';
  return null;
}
