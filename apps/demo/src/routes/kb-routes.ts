import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import {
  AuditRowSchema,
  EntryInputSchema,
  EntrySchema,
  EntryUpdateSchema,
  FeedbackSchema,
  IdParamSchema,
  json,
  jsonBody,
  ListQuerySchema,
  problems,
  SearchQuerySchema,
  SearchResponseSchema,
  UsageSchema,
} from '../schemas.js';

const tags = ['knowledge base'];

const search = createRoute({
  method: 'get',
  path: '/api/search',
  tags,
  summary: 'Search entries: ranked results with <mark>ed snippets, facets and typo corrections',
  request: { query: SearchQuerySchema },
  responses: { 200: json(SearchResponseSchema, 'the ranked results'), ...problems(401, 403, 422) },
});

const suggest = createRoute({
  method: 'get',
  path: '/api/suggest',
  tags,
  summary: 'Completions of a prefix from the index vocabulary',
  request: {
    query: z.object({
      prefix: z.string().min(1).max(64),
      limit: z.coerce.number().int().min(1).max(50).optional(),
    }),
  },
  responses: {
    200: json(z.object({ suggestions: z.array(z.string()) }), 'completions'),
    ...problems(401, 422),
  },
});

const list = createRoute({
  method: 'get',
  path: '/api/entries',
  tags,
  summary: 'List entries, filtered and ordered',
  request: { query: ListQuerySchema },
  responses: {
    200: json(z.object({ entries: z.array(EntrySchema), total: z.number().int() }), 'a page of entries'),
    ...problems(401, 422),
  },
});

const create = createRoute({
  method: 'post',
  path: '/api/entries',
  tags,
  summary: 'Create an entry (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(EntryInputSchema) },
  responses: { 201: json(EntrySchema, 'the entry as stored'), ...problems(401, 403, 409, 413, 415, 422) },
});

const read = createRoute({
  method: 'get',
  path: '/api/entries/{id}',
  tags,
  summary: 'One entry',
  request: { params: IdParamSchema },
  responses: { 200: json(EntrySchema, 'the entry'), ...problems(401, 404) },
});

const update = createRoute({
  method: 'patch',
  path: '/api/entries/{id}',
  tags,
  summary: 'Change an entry (editor); expectedVersion makes it optimistic',
  middleware: [minRole('editor')] as const,
  request: {
    params: IdParamSchema,
    body: jsonBody(EntryUpdateSchema),
  },
  responses: { 200: json(EntrySchema, 'the entry after the change'), ...problems(401, 403, 404, 409, 422) },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/entries/{id}',
  tags,
  summary: 'Delete an entry (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404) },
});

const feedback = createRoute({
  method: 'post',
  path: '/api/entries/{id}/feedback',
  tags,
  summary: 'Record whether the entry solved the problem (any role)',
  request: {
    params: IdParamSchema,
    body: jsonBody(FeedbackSchema),
  },
  responses: { 200: json(UsageSchema, 'the usage counters after it'), ...problems(401, 404, 422) },
});

const history = createRoute({
  method: 'get',
  path: '/api/entries/{id}/history',
  tags,
  summary: "The entry's audit trail: who created, changed, rated or deleted it, and when (admin)",
  middleware: [minRole('admin')] as const,
  request: { params: IdParamSchema },
  responses: {
    200: json(z.object({ rows: z.array(AuditRowSchema) }), 'audit rows, oldest first'),
    ...problems(401, 403),
  },
});

const audit = createRoute({
  method: 'get',
  path: '/api/audit',
  tags: ['audit'],
  summary: 'The last audit rows, or those since a time (admin)',
  middleware: [minRole('admin')] as const,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).optional(),
      since: z.string().max(40).optional(),
      entity: z.string().max(64).optional(),
    }),
  },
  responses: {
    200: json(z.object({ rows: z.array(AuditRowSchema) }), 'audit rows'),
    ...problems(401, 403, 422),
  },
});

const verifyAudit = createRoute({
  method: 'post',
  path: '/api/audit/verify',
  tags: ['audit'],
  summary: 'Verify the audit hash chain (admin)',
  middleware: [minRole('admin')] as const,
  responses: {
    200: json(z.object({ ok: z.boolean() }).passthrough(), 'the verification'),
    ...problems(401, 403),
  },
});

/** Entries, search, feedback, history and the audit trail: MVP1 over HTTP. */
export function kbRoutes(app: OpenAPIHono<AppEnv>, { storage }: AppDeps): void {
  app.openapi(search, async (c) => {
    const { q, tags: tagList, ...options } = c.req.valid('query');
    const actor = c.get('actor');
    const tagsOption = tagList
      ?.split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const response = await storage.search(q, {
      ...options,
      ...(tagsOption?.length ? { tags: tagsOption } : {}),
      userId: actor.id,
    });
    return c.json(response, 200);
  });

  app.openapi(suggest, async (c) => {
    const { prefix, limit } = c.req.valid('query');
    return c.json({ suggestions: await storage.suggest(prefix, limit) }, 200);
  });

  app.openapi(list, async (c) => c.json(await storage.listEntries(c.req.valid('query')), 200));

  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const id = await storage.createEntry({ ...body, createdBy: c.get('actor').id });
    c.header('location', `/api/entries/${encodeURIComponent(id)}`);
    return c.json(await storage.getEntry(id), 201);
  });

  app.openapi(read, async (c) => c.json(await storage.getEntry(c.req.valid('param').id), 200));

  app.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    await storage.getEntry(id); // 404 before anything else
    await storage.updateEntry(id, c.req.valid('json'));
    return c.json(await storage.getEntry(id), 200);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid('param');
    await storage.getEntry(id);
    await storage.deleteEntry(id);
    return c.body(null, 204);
  });

  app.openapi(feedback, async (c) => {
    const { id } = c.req.valid('param');
    const counters = await storage.recordFeedback(id, { ...c.req.valid('json'), userId: c.get('actor').id });
    return c.json(counters, 200);
  });

  app.openapi(history, async (c) => {
    const { id } = c.req.valid('param');
    return c.json({ rows: await storage.auditRows({ entity: 'kb_entry', entityId: id, limit: 1000 }) }, 200);
  });

  app.openapi(audit, async (c) => {
    const { limit, since, entity } = c.req.valid('query');
    return c.json({ rows: await storage.auditRows({ limit: limit ?? 50, since, entity }) }, 200);
  });

  app.openapi(verifyAudit, async (c) => c.json(await storage.verifyAuditChain(), 200));
}
