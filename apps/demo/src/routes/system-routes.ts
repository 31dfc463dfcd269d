import cluster from 'node:cluster';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { CORE_VERSION } from '@mainframe-kb/storage-core';
import { streamSSE } from 'hono/streaming';
import type { AppDeps, AppEnv } from '../app-env.js';
import { json, problems } from '../schemas.js';

const tags = ['system'];

const me = createRoute({
  method: 'get',
  path: '/api/me',
  tags,
  summary: 'Who the token is, and with which role the store acts for it',
  responses: {
    200: json(
      z.object({
        id: z.string(),
        role: z.enum(['viewer', 'editor', 'admin']),
        plugins: z.array(z.object({ id: z.string(), version: z.string(), mvp: z.number() }).passthrough()),
        dialect: z.string(),
        coreVersion: z.string(),
      }),
      'the caller and the store',
    ),
    ...problems(401),
  },
});

const health = createRoute({
  method: 'get',
  path: '/api/health',
  tags,
  summary: "The store's health probes, and the event feed's",
  responses: { 200: json(z.object({ status: z.string() }).passthrough(), 'health'), ...problems(401, 503) },
});

const metrics = createRoute({
  method: 'get',
  path: '/api/metrics',
  tags,
  summary: "The store's metrics: operation latencies, cache, sizes; and the server's subscribers",
  responses: { 200: json(z.object({}).passthrough(), 'metrics'), ...problems(401) },
});

const events = createRoute({
  method: 'get',
  path: '/api/events',
  tags,
  summary: 'Server-Sent Events of every change, resumable from the durable log with Last-Event-ID',
  request: {
    headers: z.object({
      'last-event-id': z
        .string()
        .regex(/^\d{1,15}$/)
        .optional(),
    }),
    query: z.object({
      after: z
        .string()
        .regex(/^\d{1,15}$/)
        .optional(),
    }),
  },
  responses: {
    200: {
      description:
        'an event stream: `id` is the log sequence number, `event` the type, `data` the JSON payload',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...problems(401, 422),
  },
});

export function systemRoutes(app: OpenAPIHono<AppEnv>, { storage, feed }: AppDeps): void {
  app.openapi(me, (c) =>
    c.json(
      {
        ...c.get('actor'),
        plugins: storage.plugins.map((p) => ({ ...p })),
        dialect: storage.dialectName,
        coreVersion: CORE_VERSION,
      },
      200,
    ),
  );

  app.openapi(health, async (c) => {
    const status = await storage.healthCheck();
    const body = { ...status, events: { subscribers: feed.subscribers, error: feed.lastError ?? null } };
    return c.json(body, 200);
  });

  app.openapi(metrics, async (c) => {
    const m = await storage.getMetrics();
    const server = {
      subscribers: feed.subscribers,
      eventHead: feed.head ?? null,
      worker: cluster.worker?.id ?? null,
    };
    return c.json({ ...m, server }, 200);
  });

  app.openapi(events, (c) => {
    const header = c.req.valid('header')['last-event-id'];
    const after = header ?? c.req.valid('query').after;
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ after: after ?? null }), retry: 2000 });
      // Writes are chained so events go out in order; a write to a client that has gone is dropped.
      let queue = Promise.resolve();
      const unsubscribe = feed.subscribe(
        (event) => {
          queue = queue
            .then(() =>
              stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) }),
            )
            .catch(() => undefined);
        },
        after === undefined ? undefined : Number(after),
        c.req.raw.signal,
      );
      // Comments keep proxies from closing an idle stream; the handler ends when the client goes.
      await new Promise<void>((resolve) => {
        const keepAlive = setInterval(() => {
          queue = queue
            .then(async () => {
              await stream.write(': keep-alive\n\n');
            })
            .catch(() => undefined);
        }, 15_000);
        stream.onAbort(() => {
          clearInterval(keepAlive);
          unsubscribe();
          resolve();
        });
      });
    });
  });
}
