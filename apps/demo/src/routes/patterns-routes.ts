import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type CountDimension,
  type CountInterval,
  type IncidentCount,
  normalizeTimestamp,
  type PatternsApi,
  type patternsPlugin,
} from '@mainframe-kb/plugin-patterns';
import { NotFoundError, type Storage, ValidationError } from '@mainframe-kb/storage-core';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import { problem, sendProblem } from '../problem.js';
import { IdParamSchema, json, jsonBody, problems } from '../schemas.js';
import {
  DetectionSummarySchema,
  ImportQuerySchema,
  ImportResultSchema,
  IncidentInputSchema,
  IncidentPageSchema,
  IncidentQuerySchema,
  IncidentSchema,
  IncidentUpdateSchema,
  KbSuggestionSchema,
  PatternDetailSchema,
  PatternIdParamSchema,
  PatternInputSchema,
  PatternKbLinkInputSchema,
  PatternPageSchema,
  PatternQuerySchema,
  PatternSchema,
  PatternUpdateSchema,
  SuggestionQuerySchema,
  SuggestionStatusSchema,
  TimelineQuerySchema,
  TimelineSchema,
} from './patterns-schemas.js';

const incidentTags = ['incidents (MVP2)'];
const patternTags = ['patterns (MVP2)'];

/** The most buckets a timeline spans: a year of hours. */
const MAX_BUCKETS = 24 * 366;
const DEFAULT_LIMIT = 100;
const DEFAULT_INCIDENT_LIMIT = 100;

// ─── Incidents ───────────────────────────────────────────────────────────────────────────────────────

const listIncidents = createRoute({
  method: 'get',
  path: '/api/incidents',
  tags: incidentTags,
  summary: 'List incidents, oldest first, filtered by source, status, severity, component, code, time, text',
  request: { query: IncidentQuerySchema },
  responses: { 200: json(IncidentPageSchema, 'a page of incidents'), ...problems(401, 422, 501) },
});

const importIncidents = createRoute({
  method: 'post',
  path: '/api/incidents/import',
  tags: incidentTags,
  summary:
    'Import a ServiceNow / Jira / Splunk export (the raw file as the body): all records or none (editor)',
  description:
    'Answers the counts (inserted, updated, unchanged, skipped). When any record cannot be imported nothing is written and the answer is a 422 problem whose `issues` name each record (`result[3].opened_at`, `line 7`) and whose `details` is the whole import result. A dry run answers 200 with the errors it found.',
  middleware: [minRole('editor')] as const,
  request: {
    query: ImportQuerySchema,
    body: {
      required: true,
      description: 'the export file, as exported (JSON, NDJSON or CSV; UTF-8)',
      content: {
        'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
        'text/csv': { schema: z.string() },
        'text/plain': { schema: z.string() },
      },
    },
  },
  responses: {
    200: json(ImportResultSchema, 'what was imported (or would be, for a dry run)'),
    ...problems(401, 403, 413, 422, 501),
  },
});

const timeline = createRoute({
  method: 'get',
  path: '/api/incidents/timeline',
  tags: incidentTags,
  summary: 'Incident counts per hour or day, one series per severity / source / component / error code',
  request: { query: TimelineQuerySchema },
  responses: { 200: json(TimelineSchema, 'a chart-ready timeline'), ...problems(401, 422, 501) },
});

const createIncident = createRoute({
  method: 'post',
  path: '/api/incidents',
  tags: incidentTags,
  summary: 'Create one incident by hand (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(IncidentInputSchema) },
  responses: {
    201: json(IncidentSchema, 'the incident as stored'),
    ...problems(401, 403, 404, 409, 415, 422, 501),
  },
});

const readIncident = createRoute({
  method: 'get',
  path: '/api/incidents/{id}',
  tags: incidentTags,
  summary: 'One incident with the error codes found in it',
  request: { params: IdParamSchema },
  responses: { 200: json(IncidentSchema, 'the incident'), ...problems(401, 404, 501) },
});

const updateIncident = createRoute({
  method: 'patch',
  path: '/api/incidents/{id}',
  tags: incidentTags,
  summary: 'Change an incident: resolve it, link it to the KB entry that solves it (kbEntryId) (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema, body: jsonBody(IncidentUpdateSchema) },
  responses: {
    200: json(IncidentSchema, 'the incident after the change'),
    ...problems(401, 403, 404, 415, 422, 501),
  },
});

const deleteIncident = createRoute({
  method: 'delete',
  path: '/api/incidents/{id}',
  tags: incidentTags,
  summary: 'Delete an incident (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404, 501) },
});

// ─── Patterns ────────────────────────────────────────────────────────────────────────────────────────

const detect = createRoute({
  method: 'post',
  path: '/api/patterns/detect',
  tags: patternTags,
  summary: 'Run pattern detection over every incident, replacing the detected patterns (editor)',
  middleware: [minRole('editor')] as const,
  responses: { 200: json(DetectionSummarySchema, 'what detection found'), ...problems(401, 403, 501) },
});

const listPatterns = createRoute({
  method: 'get',
  path: '/api/patterns',
  tags: patternTags,
  summary: 'List patterns, most confident first',
  request: { query: PatternQuerySchema },
  responses: { 200: json(PatternPageSchema, 'a page of patterns'), ...problems(401, 422, 501) },
});

const listSuggestions = createRoute({
  method: 'get',
  path: '/api/patterns/suggestions',
  tags: patternTags,
  summary: 'KB entries detection suggests writing for patterns no entry covers',
  request: { query: SuggestionQuerySchema },
  responses: {
    200: json(z.object({ suggestions: z.array(KbSuggestionSchema) }), 'the suggestions'),
    ...problems(401, 422, 501),
  },
});

const createPattern = createRoute({
  method: 'post',
  path: '/api/patterns',
  tags: patternTags,
  summary: 'Record a pattern by hand, with its incidents (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(PatternInputSchema) },
  responses: {
    201: json(PatternDetailSchema, 'the pattern as stored'),
    ...problems(401, 403, 404, 415, 422, 501),
  },
});

const incidentLimitQuery = z.object({
  incidentLimit: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .openapi({
      description: `members returned whole in incidentDetails (default ${DEFAULT_INCIDENT_LIMIT})`,
    }),
});

const readPattern = createRoute({
  method: 'get',
  path: '/api/patterns/{id}',
  tags: patternTags,
  summary: 'One pattern with its incidents, KB links and suggested KB entry',
  request: { params: PatternIdParamSchema, query: incidentLimitQuery },
  responses: { 200: json(PatternDetailSchema, 'the pattern'), ...problems(401, 404, 422, 501) },
});

const updatePattern = createRoute({
  method: 'patch',
  path: '/api/patterns/{id}',
  tags: patternTags,
  summary: 'Acknowledge, resolve or dismiss a pattern, or correct it (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: PatternIdParamSchema, body: jsonBody(PatternUpdateSchema) },
  responses: {
    200: json(PatternDetailSchema, 'the pattern after the change'),
    ...problems(401, 403, 404, 415, 422, 501),
  },
});

const deletePattern = createRoute({
  method: 'delete',
  path: '/api/patterns/{id}',
  tags: patternTags,
  summary: 'Delete a pattern (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: PatternIdParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404, 501) },
});

const linkKb = createRoute({
  method: 'post',
  path: '/api/patterns/{id}/kb-links',
  tags: patternTags,
  summary: 'Link a pattern to the KB entry that explains it (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: PatternIdParamSchema, body: jsonBody(PatternKbLinkInputSchema) },
  responses: {
    200: json(PatternDetailSchema, 'the pattern with its links'),
    ...problems(401, 403, 404, 415, 422, 501),
  },
});

const unlinkKb = createRoute({
  method: 'delete',
  path: '/api/patterns/{id}/kb-links/{kbEntryId}',
  tags: patternTags,
  summary: 'Remove the link between a pattern and a KB entry (editor)',
  middleware: [minRole('editor')] as const,
  request: {
    params: z.object({ id: z.string().min(1).max(64), kbEntryId: z.string().min(1).max(64) }),
  },
  responses: { 204: { description: 'unlinked' }, ...problems(401, 403, 404, 501) },
});

const setSuggestion = createRoute({
  method: 'patch',
  path: '/api/patterns/{id}/suggestion',
  tags: patternTags,
  summary: "Accept or dismiss the pattern's suggested KB entry (editor)",
  middleware: [minRole('editor')] as const,
  request: { params: PatternIdParamSchema, body: jsonBody(SuggestionStatusSchema) },
  responses: {
    200: json(KbSuggestionSchema, 'the suggestion after the change'),
    ...problems(401, 403, 404, 415, 422, 501),
  },
});

const entryPatterns = createRoute({
  method: 'get',
  path: '/api/entries/{id}/patterns',
  tags: patternTags,
  summary: 'The patterns linked to a KB entry',
  request: { params: IdParamSchema },
  responses: {
    200: json(z.object({ patterns: z.array(PatternSchema) }), 'linked patterns, best score first'),
    ...problems(401, 404, 501),
  },
});

// ─── Helpers ─────────────────────────────────────────────────────────────────────────────────────────

/** The plugin's API; EXTENSION_NOT_ENABLED (501) when the store runs without it. */
function patternsApi(storage: Storage): PatternsApi {
  return storage.plugin<typeof patternsPlugin>('patterns');
}

async function detailOf(api: PatternsApi, id: string, incidentLimit = DEFAULT_INCIDENT_LIMIT) {
  const detail = await api.getPattern(id);
  const incidentDetails = [];
  for (const member of detail.incidents.slice(0, incidentLimit)) {
    incidentDetails.push({
      ...(await api.getIncident(member.incidentId)),
      correlationScore: member.correlationScore,
    });
  }
  return { ...detail, incidentDetails };
}

/** Counts per bucket laid on a continuous axis (gaps as zeros), one series per key. */
export function timelineOf(
  rows: readonly IncidentCount[],
  options: {
    interval: CountInterval;
    by: CountDimension;
    from?: string | undefined;
    to?: string | undefined;
  },
) {
  const { interval } = options;
  const step = interval === 'hour' ? 3_600_000 : 86_400_000;
  const width = interval === 'hour' ? 13 : 10;
  const startOf = (bucket: string) =>
    Date.parse(interval === 'hour' ? `${bucket}:00:00.000Z` : `${bucket}T00:00:00.000Z`);
  const bucketOf = (ms: number) => new Date(ms).toISOString().slice(0, width);
  const bound = (value: string | undefined, shift: number) => {
    const normalized = value === undefined ? null : normalizeTimestamp(value);
    return normalized === null ? undefined : startOf(bucketOf(Date.parse(normalized) + shift));
  };
  const seen = rows.map((r) => startOf(r.bucket));
  // `to` is exclusive: its bucket is the one of the millisecond before it.
  const lo = bound(options.from, 0) ?? (seen.length > 0 ? Math.min(...seen) : undefined);
  const hi = bound(options.to, -1) ?? (seen.length > 0 ? Math.max(...seen) : undefined);
  const buckets: string[] = [];
  if (lo !== undefined && hi !== undefined && hi >= lo) {
    const count = Math.floor((hi - lo) / step) + 1;
    if (count > MAX_BUCKETS) {
      const message = `the range spans ${count} ${interval}s, more than ${MAX_BUCKETS}: narrow from/to or count per day`;
      throw new ValidationError(message, [{ path: 'from', message }]);
    }
    for (let t = lo; t <= hi; t += step) buckets.push(bucketOf(t));
  }
  const index = new Map(buckets.map((b, i) => [b, i]));
  const byKey = new Map<string | null, number[]>();
  for (const row of rows) {
    const i = index.get(row.bucket);
    if (i === undefined) continue;
    let counts = byKey.get(row.key);
    if (!counts) {
      counts = buckets.map(() => 0);
      byKey.set(row.key, counts);
    }
    counts[i] = (counts[i] ?? 0) + row.count;
  }
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const series = [...byKey.entries()]
    .map(([key, counts]) => ({ key, counts, total: sum(counts) }))
    .sort((a, b) => b.total - a.total || String(a.key).localeCompare(String(b.key)));
  const totals = buckets.map((_, i) => sum(series.map((s) => s.counts[i] ?? 0)));
  return { interval, by: options.by, buckets, series, totals, total: sum(totals) };
}

// ─── Routes ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * MVP2 over HTTP (@mainframe-kb/plugin-patterns): incidents and their imports, timelines, pattern detection
 * and the links between patterns, incidents and KB entries. Each route answers 501 EXTENSION_NOT_ENABLED on a
 * store without the plugin; the store checks every operation's role again (patterns.* permissions).
 */
export function patternsRoutes(app: OpenAPIHono<AppEnv>, { storage }: AppDeps): void {
  // Fixed paths before the `{id}` ones they would otherwise match.
  app.openapi(importIncidents, async (c) => {
    const api = patternsApi(storage);
    const { source, onConflict, dryRun, detect: detectAfter } = c.req.valid('query');
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
      const message = `the upload is empty: send the ${source} export file as the request body`;
      throw new ValidationError(message, [{ path: 'body', message: 'empty' }]);
    }
    const result = await api.importIncidents(source, bytes, {
      ...(onConflict === undefined ? {} : { onConflict }),
      ...(dryRun === undefined ? {} : { dryRun }),
      ...(detectAfter === undefined ? {} : { detect: detectAfter }),
    });
    if (result.errors.length > 0 && !result.dryRun) {
      const bad = new Set(result.errors.map((e) => e.record)).size;
      const refused = problem(
        'VALIDATION',
        `${bad} of the ${result.records} records of the ${source} file cannot be imported; nothing was written`,
        {
          issues: result.errors.slice(0, 200).map((e) => ({
            path: e.field === null ? e.location : `${e.location}.${e.field}`,
            message: e.message,
          })),
          details: result,
        },
      );
      // A problem+json body is not a typed JSON response of the route: the 422 is declared in `responses`.
      return sendProblem(c, refused) as never;
    }
    return c.json(result, 200);
  });

  app.openapi(timeline, async (c) => {
    const api = patternsApi(storage);
    const { interval = 'day', by = 'severity', from, to, key } = c.req.valid('query');
    const rows = await api.countIncidents({ by, interval, from, to, key });
    return c.json(timelineOf(rows, { interval, by, from, to }), 200);
  });

  app.openapi(listIncidents, async (c) => {
    const api = patternsApi(storage);
    const { limit = DEFAULT_LIMIT, offset = 0, ...filters } = c.req.valid('query');
    const found = await api.listIncidents({ ...filters, limit: limit + 1, offset });
    return c.json({ incidents: found.slice(0, limit), offset, limit, hasMore: found.length > limit }, 200);
  });

  app.openapi(createIncident, async (c) => {
    const incident = await patternsApi(storage).createIncident(c.req.valid('json'));
    c.header('location', `/api/incidents/${encodeURIComponent(incident.id)}`);
    return c.json(incident, 201);
  });

  app.openapi(readIncident, async (c) =>
    c.json(await patternsApi(storage).getIncident(c.req.valid('param').id), 200),
  );

  app.openapi(updateIncident, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await patternsApi(storage).updateIncident(id, c.req.valid('json')), 200);
  });

  app.openapi(deleteIncident, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await patternsApi(storage).deleteIncident(id))) throw new NotFoundError('incident', id);
    return c.body(null, 204);
  });

  app.openapi(detect, async (c) => c.json(await patternsApi(storage).detectPatterns(), 200));

  app.openapi(listSuggestions, async (c) => {
    const { status } = c.req.valid('query');
    return c.json({ suggestions: await patternsApi(storage).listSuggestions(status) }, 200);
  });

  app.openapi(listPatterns, async (c) => {
    const api = patternsApi(storage);
    const { limit = DEFAULT_LIMIT, offset = 0, ...criteria } = c.req.valid('query');
    const found = await api.getPatterns({ ...criteria, limit: limit + 1, offset });
    return c.json({ patterns: found.slice(0, limit), offset, limit, hasMore: found.length > limit }, 200);
  });

  app.openapi(createPattern, async (c) => {
    const api = patternsApi(storage);
    const id = await api.createPattern(c.req.valid('json'));
    c.header('location', `/api/patterns/${encodeURIComponent(id)}`);
    return c.json(await detailOf(api, id), 201);
  });

  app.openapi(readPattern, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await detailOf(patternsApi(storage), id, c.req.valid('query').incidentLimit), 200);
  });

  app.openapi(updatePattern, async (c) => {
    const api = patternsApi(storage);
    const { id } = c.req.valid('param');
    if (!(await api.updatePattern(id, c.req.valid('json')))) throw new NotFoundError('pattern', id);
    return c.json(await detailOf(api, id), 200);
  });

  app.openapi(deletePattern, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await patternsApi(storage).deletePattern(id))) throw new NotFoundError('pattern', id);
    return c.body(null, 204);
  });

  app.openapi(linkKb, async (c) => {
    const api = patternsApi(storage);
    const { id } = c.req.valid('param');
    const { kbEntryId, score } = c.req.valid('json');
    await api.linkKbEntry(id, kbEntryId, score);
    return c.json(await detailOf(api, id), 200);
  });

  app.openapi(unlinkKb, async (c) => {
    const { id, kbEntryId } = c.req.valid('param');
    if (!(await patternsApi(storage).unlinkKbEntry(id, kbEntryId))) {
      throw new NotFoundError('link of pattern to KB entry', `${id} → ${kbEntryId}`);
    }
    return c.body(null, 204);
  });

  app.openapi(setSuggestion, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await patternsApi(storage).setSuggestionStatus(id, c.req.valid('json').status), 200);
  });

  app.openapi(entryPatterns, async (c) => {
    const api = patternsApi(storage);
    const { id } = c.req.valid('param');
    await storage.getEntry(id); // 404 for an entry that does not exist, not an empty list
    return c.json({ patterns: await api.patternsForKbEntry(id) }, 200);
  });
}
