import { z } from '@hono/zod-openapi';

/** The schemas of the API's core requests and responses; the OpenAPI document is generated from them. */

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z
      .string()
      .openapi({ description: "storage-core's error code, or the API's own (UNAUTHENTICATED…)" }),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    details: z.unknown().optional(),
  })
  .openapi('Problem');

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

export const EntrySchema = z
  .object({
    id: z.string(),
    title: z.string(),
    problem: z.string(),
    solution: z.string(),
    category: z.string(),
    severity: z.enum(SEVERITIES),
    tags: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z.string().nullable(),
    usageCount: z.number().int(),
    successCount: z.number().int(),
    failureCount: z.number().int(),
    archived: z.boolean(),
    version: z.number().int(),
  })
  .openapi('Entry');

// The store validates entries itself (lengths, categories, tag rules) and answers VALIDATION naming the
// field; these schemas check shape, so a request that is not even the right shape never reaches it.
export const EntryInputSchema = z
  .object({
    id: z.string().optional(),
    title: z.string(),
    problem: z.string(),
    solution: z.string(),
    category: z.string(),
    severity: z.enum(SEVERITIES).optional(),
    tags: z.array(z.string()).optional(),
  })
  .strict()
  .openapi('EntryInput');

export const EntryUpdateSchema = z
  .object({
    title: z.string().optional(),
    problem: z.string().optional(),
    solution: z.string().optional(),
    category: z.string().optional(),
    severity: z.enum(SEVERITIES).optional(),
    tags: z.array(z.string()).optional(),
    archived: z.boolean().optional(),
    expectedVersion: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'refuse with 409 CONFLICT unless the entry is still at this version' }),
  })
  .strict()
  .openapi('EntryUpdate');

export const FeedbackSchema = z
  .object({
    outcome: z.enum(['success', 'failure']),
    rating: z.number().int().min(1).max(5).optional(),
    comment: z.string().max(2000).optional(),
  })
  .strict()
  .openapi('Feedback');

export const UsageSchema = z
  .object({
    id: z.string(),
    usageCount: z.number().int(),
    successCount: z.number().int(),
    failureCount: z.number().int(),
  })
  .passthrough()
  .openapi('UsageCounters');

const FacetCountSchema = z.object({ value: z.string(), count: z.number().int() });

export const SearchResponseSchema = z
  .object({
    results: z.array(
      z.object({
        entry: EntrySchema,
        score: z.number(),
        matchType: z.enum(['exact', 'prefix', 'corrected', 'filter']),
        snippet: z.string().openapi({ description: 'HTML-escaped passage with matched terms in <mark>' }),
        matchedTerms: z.array(z.string()),
      }),
    ),
    total: z.number().int(),
    facets: z.object({
      category: z.array(FacetCountSchema),
      severity: z.array(FacetCountSchema),
      tags: z.array(FacetCountSchema),
    }),
    corrections: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        /** 0–1: how sure the store is that `to` was meant. */
        confidence: z.number(),
        /** `false`: only offered; the results are those of the query as typed. */
        applied: z.boolean(),
      }),
    ),
    interpreted: z.string(),
    tookMs: z.number(),
    approximate: z.boolean().optional(),
  })
  .openapi('SearchResponse');

/** A query flag: `true` or `false`, absent when not given. */
export const boolParam = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();

export const SearchQuerySchema = z.object({
  q: z
    .string()
    .max(1000)
    .openapi({ description: 'the query language: words, "phrases", -not, category:VSAM…' }),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  offset: z.coerce.number().int().min(0).max(10_000).optional(),
  category: z.string().max(64).optional(),
  severity: z.enum(SEVERITIES).optional(),
  tags: z.string().max(500).optional().openapi({ description: 'comma-separated' }),
  sortBy: z.enum(['relevance', 'usage', 'recent', 'success']).optional(),
  correct: boolParam,
  facets: boolParam,
  includeArchived: boolParam,
});

export const ListQuerySchema = z.object({
  category: z.string().max(64).optional(),
  severity: z.enum(SEVERITIES).optional(),
  tag: z.string().max(64).optional(),
  includeArchived: boolParam,
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  orderBy: z.enum(['createdAt', 'updatedAt', 'usageCount', 'title']).optional(),
});

export const AuditRowSchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.string(),
    role: z.string(),
    action: z.string(),
    entity: z.string(),
    entityId: z.string().nullable(),
    detail: z.unknown(),
    keyId: z.string().nullable(),
    hash: z.string(),
  })
  .openapi('AuditRow');

export const IdParamSchema = z.object({ id: z.string().min(1).max(128) });

/** The standard error responses of a route: each a problem+json body. */
export function problems(...statuses: number[]): Record<number, { description: string; content: object }> {
  const out: Record<number, { description: string; content: object }> = {};
  for (const status of statuses) {
    out[status] = {
      description: `problem (${status})`,
      content: { 'application/problem+json': { schema: ProblemSchema } },
    };
  }
  return out;
}

/** A JSON request body of `schema` (required unless said otherwise). */
export const jsonBody = <T extends z.ZodType>(schema: T, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
