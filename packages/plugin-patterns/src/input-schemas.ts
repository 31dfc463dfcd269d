import { SEVERITIES, ValidationError, type ValidationIssue } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { INCIDENT_SOURCES, INCIDENT_STATUSES, PATTERN_STATUSES, PATTERN_TYPES } from './types.js';

const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Normalises a timestamp to ISO-8601 UTC with milliseconds, so timestamps sort and compare as text on every
 * dialect. A time without a zone is UTC (ServiceNow and Splunk exports give UTC without saying so).
 * Returns null for anything that is not a real calendar time.
 */
export function normalizeTimestamp(value: string): string | null {
  const m = ISO_LIKE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const zoneText = zone === undefined || zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${zoneText}`);
  if (Number.isNaN(date.getTime())) return null;
  // Date() rolls 2024-02-30 over to March; a real calendar date survives the round trip.
  if (zoneText === 'Z' && date.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) return null;
  return date.toISOString();
}

export const timestampSchema = z.string().transform((value, ctx) => {
  const normalized = normalizeTimestamp(value);
  if (normalized === null) {
    ctx.addIssue({ code: 'custom', message: `'${value.slice(0, 40)}' is not an ISO-8601 timestamp` });
    return z.NEVER;
  }
  return normalized;
});

const severitySchema = z.enum(SEVERITIES);
const trimmed = (max: number) => z.string().trim().min(1).max(max);
const metadataSchema = z.record(z.string(), z.unknown());
const idSchema = z.string().min(1).max(64);

export const incidentInputSchema = z.strictObject({
  ticketId: trimmed(128),
  source: z.enum(INCIDENT_SOURCES).default('manual'),
  title: trimmed(1000),
  description: z.string().max(100_000).default(''),
  component: z
    .string()
    .trim()
    .max(128)
    .nullish()
    .transform((v) => (v ? v : null)),
  severity: severitySchema.nullish().transform((v) => v ?? null),
  status: z.enum(INCIDENT_STATUSES).default('open'),
  createdAt: timestampSchema,
  resolvedAt: timestampSchema.nullish().transform((v) => v ?? null),
  resolution: z
    .string()
    .max(100_000)
    .nullish()
    .transform((v) => v ?? null),
  kbEntryId: idSchema.nullish().transform((v) => v ?? null),
  metadata: metadataSchema.default({}),
});
export type ValidIncidentInput = z.output<typeof incidentInputSchema>;

export const incidentUpdateSchema = z
  .strictObject({
    title: trimmed(1000).optional(),
    description: z.string().max(100_000).optional(),
    component: z.string().trim().max(128).nullable().optional(),
    severity: severitySchema.nullable().optional(),
    status: z.enum(INCIDENT_STATUSES).optional(),
    resolvedAt: timestampSchema.nullable().optional(),
    resolution: z.string().max(100_000).nullable().optional(),
    kbEntryId: idSchema.nullable().optional(),
    metadata: metadataSchema.optional(),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), 'an update must change at least one field');
export type ValidIncidentUpdate = z.output<typeof incidentUpdateSchema>;

const oneOrMany = <T extends z.ZodType>(schema: T) =>
  z.union([schema, z.array(schema).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const pageSchema = {
  limit: z.number().int().min(1).max(10_000).default(100),
  offset: z.number().int().min(0).default(0),
};

export const incidentQuerySchema = z.strictObject({
  component: z.string().min(1).max(128).optional(),
  severity: oneOrMany(severitySchema).optional(),
  status: oneOrMany(z.enum(INCIDENT_STATUSES)).optional(),
  source: z.enum(INCIDENT_SOURCES).optional(),
  errorCode: z.string().min(1).max(48).optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  text: z.string().min(1).max(200).optional(),
  ...pageSchema,
});
export type ValidIncidentQuery = z.output<typeof incidentQuerySchema>;

const memberSchema = z.union([
  idSchema.transform((incidentId) => ({ incidentId, correlationScore: 1 })),
  z.strictObject({ incidentId: idSchema, correlationScore: z.number().min(0).max(1) }),
]);

export const patternDataSchema = z.strictObject({
  type: z.enum(PATTERN_TYPES),
  description: trimmed(10_000),
  confidence: z.number().min(0).max(1),
  frequency: z.number().int().min(0).optional(),
  severity: severitySchema.nullish().transform((v) => v ?? null),
  component: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .nullish()
    .transform((v) => v ?? null),
  errorCode: z
    .string()
    .trim()
    .min(1)
    .max(48)
    .nullish()
    .transform((v) => v ?? null),
  firstSeen: timestampSchema.optional(),
  lastSeen: timestampSchema.optional(),
  metadata: metadataSchema.default({}),
  incidents: z.array(memberSchema).max(100_000).default([]),
});
export type ValidPatternData = z.output<typeof patternDataSchema>;

export const patternCriteriaSchema = z.strictObject({
  type: oneOrMany(z.enum(PATTERN_TYPES)).optional(),
  severity: oneOrMany(severitySchema).optional(),
  minConfidence: z.number().min(0).max(1).optional(),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  component: z.string().min(1).max(128).optional(),
  errorCode: z.string().min(1).max(48).optional(),
  text: z.string().min(1).max(200).optional(),
  status: oneOrMany(z.enum(PATTERN_STATUSES)).optional(),
  origin: z.enum(['detected', 'manual']).optional(),
  ...pageSchema,
});
export type ValidPatternCriteria = z.output<typeof patternCriteriaSchema>;

export const patternUpdateSchema = z
  .strictObject({
    description: trimmed(10_000).optional(),
    confidence: z.number().min(0).max(1).optional(),
    severity: severitySchema.nullable().optional(),
    status: z.enum(PATTERN_STATUSES).optional(),
    metadata: metadataSchema.optional(),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), 'an update must change at least one field');
export type ValidPatternUpdate = z.output<typeof patternUpdateSchema>;

export const countOptionsSchema = z.strictObject({
  by: z.enum(['component', 'errorCode', 'severity', 'source']),
  interval: z.enum(['hour', 'day']),
  from: timestampSchema.optional(),
  to: timestampSchema.optional(),
  key: z.string().min(1).max(128).optional(),
});
export type ValidCountOptions = z.output<typeof countOptionsSchema>;

export const importOptionsSchema = z.strictObject({
  onConflict: z.enum(['update', 'skip', 'fail']).default('update'),
  dryRun: z.boolean().default(false),
  /** Run incremental detection on the imported incidents in the same write. */
  detect: z.boolean().default(true),
});
export type ImportOptions = z.input<typeof importOptionsSchema>;

/** The extension's options in `config.mvp.extensions[].options`. */
export const patternsOptionsSchema = z.strictObject({
  /** Least incidents for any detected pattern. */
  minIncidents: z.number().int().min(2).max(1000).default(3),
  /** A pattern with at least this many incidents emits `pattern:critical`. */
  criticalThreshold: z.number().int().min(1).max(100_000).default(5),
  /** Sliding window of the burst detector. */
  burstWindowHours: z
    .number()
    .min(1)
    .max(24 * 90)
    .default(24),
  /** A window is a burst when its count is this unlikely under the series' own baseline rate (Poisson). */
  burstAlpha: z.number().gt(0).lt(0.5).default(1e-5),
  /** Word-shingle Jaccard similarity above which two descriptions belong to one cluster. */
  similarityThreshold: z.number().gt(0).max(1).default(0.6),
  /** Detect incrementally as incidents are created or imported. */
  incremental: z.boolean().default(true),
  /** Least term-match score for a KB entry to be linked to a pattern. */
  kbMatchMinScore: z.number().min(0).max(1).default(0.34),
});
export type PatternsOptions = z.output<typeof patternsOptionsSchema>;
export type PatternsOptionsInput = z.input<typeof patternsOptionsSchema>;

export function issuesOf(error: z.ZodError, prefix: string): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }));
}

/** Parses `value` or throws core's ValidationError naming every bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesOf(result.error, what);
  throw new ValidationError(
    `invalid ${what}: ${issues.map((i) => `${i.path || what}: ${i.message}`).join('; ')}`,
    issues,
  );
}
