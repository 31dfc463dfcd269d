import { z } from '@hono/zod-openapi';
import {
  INCIDENT_SOURCES,
  INCIDENT_STATUSES,
  PATTERN_STATUSES,
  PATTERN_TYPES,
  PATTERNS_IMPORTERS,
} from '@mainframe-kb/plugin-patterns';
import { boolParam } from '../schemas.js';

/** The schemas of the MVP2 routes (incidents, imports, patterns, timelines); OpenAPI is generated from them. */

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const SUGGESTION_STATUSES = ['open', 'accepted', 'dismissed'] as const;

/** The importers the plugin registers (servicenow, jira, splunk): what `?source=` of an import takes. */
export const IMPORT_SOURCES = Object.keys(PATTERNS_IMPORTERS).sort() as [string, ...string[]];

const severity = z.enum(SEVERITIES);
const metadata = z.record(z.string(), z.unknown());
const timestamp = (description: string) =>
  z
    .string()
    .min(1)
    .max(40)
    .openapi({ description: `${description} (ISO-8601; without a zone, UTC)` });

/** `a,b,c` in a query: each value one of `values`, at least one. */
function listOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .max(500)
    .transform((raw, ctx) => {
      const items = [
        ...new Set(
          raw
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        ),
      ];
      const bad = items.filter((i) => !(values as readonly string[]).includes(i));
      if (items.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a comma-separated list of ${values.join(' | ')}${bad.length > 0 ? `; not ${bad.join(', ')}` : ''}`,
        });
        return z.NEVER;
      }
      return items as T[number][];
    })
    .openapi({ type: 'string', description: `comma-separated: ${values.join(', ')}` });
}

const page = (max: number) => ({
  limit: z.coerce.number().int().min(1).max(max).optional().openapi({ description: 'default 100' }),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

// ─── Incidents ───────────────────────────────────────────────────────────────────────────────────────

const incidentFields = z.object({
  id: z.string(),
  source: z.enum(INCIDENT_SOURCES),
  ticketId: z.string(),
  title: z.string(),
  description: z.string(),
  component: z.string().nullable(),
  severity: severity.nullable(),
  status: z.enum(INCIDENT_STATUSES),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolution: z.string().nullable(),
  kbEntryId: z.string().nullable().openapi({ description: 'the KB entry that resolves it' }),
  errorCodes: z.array(z.string()).openapi({ description: 'mainframe codes found in its text (S0C7 …)' }),
  metadata,
  importedAt: z.string(),
  updatedAt: z.string(),
});

export const IncidentSchema = incidentFields.openapi('Incident');

export const IncidentQuerySchema = z.object({
  source: z.enum(INCIDENT_SOURCES).optional(),
  status: listOf(INCIDENT_STATUSES).optional(),
  severity: listOf(SEVERITIES).optional(),
  component: z.string().min(1).max(128).optional(),
  errorCode: z.string().min(1).max(48).optional().openapi({ description: 'e.g. S0C7, SQLCODE -911' }),
  from: timestamp('created at or after').optional(),
  to: timestamp('created before').optional(),
  text: z.string().min(1).max(200).optional().openapi({ description: 'in the title or description' }),
  ...page(1000),
});

export const IncidentPageSchema = z
  .object({
    incidents: z.array(IncidentSchema),
    offset: z.number().int(),
    limit: z.number().int(),
    hasMore: z.boolean().openapi({ description: 'more incidents match past this page' }),
  })
  .openapi('IncidentPage');

export const IncidentInputSchema = z
  .object({
    ticketId: z.string().min(1).max(128),
    source: z.enum(INCIDENT_SOURCES).optional().openapi({ description: 'default manual' }),
    title: z.string().min(1).max(1000),
    description: z.string().max(100_000).optional(),
    component: z.string().max(128).nullable().optional(),
    severity: severity.nullable().optional(),
    status: z.enum(INCIDENT_STATUSES).optional(),
    createdAt: z.string().max(40),
    resolvedAt: z.string().max(40).nullable().optional(),
    resolution: z.string().max(100_000).nullable().optional(),
    kbEntryId: z.string().min(1).max(64).nullable().optional(),
    metadata: metadata.optional(),
  })
  .strict()
  .openapi('IncidentInput');

export const IncidentUpdateSchema = z
  .object({
    title: z.string().min(1).max(1000).optional(),
    description: z.string().max(100_000).optional(),
    component: z.string().max(128).nullable().optional(),
    severity: severity.nullable().optional(),
    status: z.enum(INCIDENT_STATUSES).optional(),
    resolvedAt: z.string().max(40).nullable().optional(),
    resolution: z.string().max(100_000).nullable().optional(),
    kbEntryId: z
      .string()
      .min(1)
      .max(64)
      .nullable()
      .optional()
      .openapi({ description: 'link the incident to the KB entry that resolves it (null unlinks)' }),
    metadata: metadata.optional(),
  })
  .strict()
  .openapi('IncidentUpdate');

// ─── Import ──────────────────────────────────────────────────────────────────────────────────────────

export const ImportQuerySchema = z.object({
  source: z.enum(IMPORT_SOURCES).openapi({
    description:
      'servicenow: Table API JSON or a list CSV export; jira: REST v2/v3 search JSON; splunk: export NDJSON, results JSON or CSV. The format is read from the content.',
  }),
  onConflict: z
    .enum(['update', 'skip', 'fail'])
    .optional()
    .openapi({ description: 'a ticket already stored with other content (default update)' }),
  dryRun: boolParam.openapi({ description: 'parse, validate and count; write nothing' }),
  detect: boolParam.openapi({
    description: 'fold the new incidents into the patterns in the same write (default true)',
  }),
});

export const ImportErrorSchema = z
  .object({
    record: z.number().int().openapi({ description: '1-based record of the file; 0 for the whole file' }),
    location: z.string().openapi({ description: '`result[3]`, `line 7`, `issues[2]`, `file`' }),
    field: z.string().nullable(),
    message: z.string(),
  })
  .openapi('IncidentImportError');

export const ImportResultSchema = z
  .object({
    source: z.string(),
    records: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    skipped: z.number().int(),
    errors: z.array(ImportErrorSchema),
    dryRun: z.boolean(),
    written: z.boolean().openapi({ description: 'false for a dry run; imports are all or nothing' }),
  })
  .openapi('IncidentImportResult');

// ─── Timeline ────────────────────────────────────────────────────────────────────────────────────────

export const TimelineQuerySchema = z.object({
  interval: z.enum(['hour', 'day']).optional().openapi({ description: 'default day' }),
  by: z
    .enum(['severity', 'source', 'component', 'errorCode'])
    .optional()
    .openapi({ description: 'one series per value of this (default severity)' }),
  from: timestamp('created at or after').optional(),
  to: timestamp('created before').optional(),
  key: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ description: 'only this component / error code / severity / source' }),
});

export const TimelineSchema = z
  .object({
    interval: z.enum(['hour', 'day']),
    by: z.enum(['severity', 'source', 'component', 'errorCode']),
    buckets: z.array(z.string()).openapi({
      description:
        'every hour (`YYYY-MM-DDTHH`) or day (`YYYY-MM-DD`, UTC) of the range, gaps included: the x axis',
    }),
    series: z.array(
      z.object({
        key: z.string().nullable().openapi({ description: 'null: incidents without a value' }),
        counts: z.array(z.number().int()).openapi({ description: 'one count per bucket' }),
        total: z.number().int(),
      }),
    ),
    totals: z.array(z.number().int()).openapi({ description: 'all series, per bucket' }),
    total: z.number().int(),
  })
  .openapi('IncidentTimeline');

// ─── Patterns ────────────────────────────────────────────────────────────────────────────────────────

const patternFields = z.object({
  id: z.string(),
  type: z.enum(PATTERN_TYPES),
  origin: z.enum(['detected', 'manual']),
  status: z.enum(PATTERN_STATUSES),
  description: z.string(),
  confidence: z.number(),
  frequency: z.number().int(),
  severity: severity.nullable(),
  component: z.string().nullable(),
  errorCode: z.string().nullable(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  metadata,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const PatternSchema = patternFields.openapi('Pattern');

export const KbPatternLinkSchema = z
  .object({
    patternId: z.string(),
    kbEntryId: z.string(),
    linkType: z.enum(['manual', 'detected']),
    score: z.number(),
    createdAt: z.string(),
  })
  .openapi('KbPatternLink');

export const KbSuggestionSchema = z
  .object({
    patternId: z.string(),
    title: z.string(),
    problem: z.string(),
    category: z.string(),
    tags: z.array(z.string()),
    status: z.enum(SUGGESTION_STATUSES),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('KbEntrySuggestion');

export const PatternDetailSchema = patternFields
  .extend({
    incidents: z
      .array(z.object({ incidentId: z.string(), correlationScore: z.number() }))
      .openapi({ description: 'every member, oldest first' }),
    incidentDetails: z
      .array(incidentFields.extend({ correlationScore: z.number() }))
      .openapi({ description: 'the first `incidentLimit` members, whole' }),
    kbLinks: z.array(KbPatternLinkSchema),
    suggestion: KbSuggestionSchema.nullable().openapi({
      description: 'a KB entry detection proposes when none matches the pattern',
    }),
  })
  .openapi('PatternDetail');

export const PatternQuerySchema = z.object({
  type: listOf(PATTERN_TYPES).optional(),
  severity: listOf(SEVERITIES).optional(),
  status: listOf(PATTERN_STATUSES).optional(),
  origin: z.enum(['detected', 'manual']).optional(),
  component: z.string().min(1).max(128).optional(),
  errorCode: z.string().min(1).max(48).optional(),
  minConfidence: z.coerce.number().min(0).max(1).optional(),
  text: z.string().min(1).max(200).optional(),
  from: timestamp('seen at or after').optional(),
  to: timestamp('seen before').optional(),
  ...page(1000),
});

export const PatternPageSchema = z
  .object({
    patterns: z.array(PatternSchema),
    offset: z.number().int(),
    limit: z.number().int(),
    hasMore: z.boolean(),
  })
  .openapi('PatternPage');

export const PatternInputSchema = z
  .object({
    type: z.enum(PATTERN_TYPES),
    description: z.string().min(1).max(10_000),
    confidence: z.number().min(0).max(1),
    frequency: z.number().int().min(0).optional(),
    severity: severity.nullable().optional(),
    component: z.string().max(128).nullable().optional(),
    errorCode: z.string().max(48).nullable().optional(),
    firstSeen: z.string().max(40).optional(),
    lastSeen: z.string().max(40).optional(),
    metadata: metadata.optional(),
    incidents: z
      .array(
        z.union([
          z.string().min(1).max(64),
          z.object({ incidentId: z.string().min(1).max(64), correlationScore: z.number().min(0).max(1) }),
        ]),
      )
      .max(100_000)
      .optional()
      .openapi({ description: 'incident ids, or members with a correlation score' }),
  })
  .strict()
  .openapi('PatternInput');

export const PatternUpdateSchema = z
  .object({
    description: z.string().min(1).max(10_000).optional(),
    confidence: z.number().min(0).max(1).optional(),
    severity: severity.nullable().optional(),
    status: z
      .enum(PATTERN_STATUSES)
      .optional()
      .openapi({ description: 'acknowledge, resolve or dismiss the pattern' }),
    metadata: metadata.optional(),
  })
  .strict()
  .openapi('PatternUpdate');

export const DetectionSummarySchema = z
  .object({
    incidents: z.number().int(),
    patterns: z.number().int(),
    byType: z.record(z.string(), z.number().int()),
    created: z.number().int(),
    updated: z.number().int(),
    removed: z.number().int(),
    critical: z.array(z.string()).openapi({ description: 'ids of the patterns that became critical' }),
    kbLinked: z.number().int(),
    suggestions: z.number().int(),
    tookMs: z.number(),
  })
  .openapi('DetectionSummary');

export const PatternKbLinkInputSchema = z
  .object({
    kbEntryId: z.string().min(1).max(64),
    score: z.number().min(0).max(1).optional().openapi({ description: 'default 1' }),
  })
  .strict()
  .openapi('PatternKbLinkInput');

export const SuggestionStatusSchema = z
  .object({ status: z.enum(SUGGESTION_STATUSES) })
  .strict()
  .openapi('KbEntrySuggestionStatus');

export const SuggestionQuerySchema = z.object({ status: z.enum(SUGGESTION_STATUSES).optional() });

export const PatternIdParamSchema = z.object({ id: z.string().min(1).max(64) });
