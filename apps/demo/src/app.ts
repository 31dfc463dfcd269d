import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Storage } from '@mainframe-kb/storage-core';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps, AppEnv } from './app-env.js';
import { EventFeed, type EventFeedOptions } from './events/event-feed.js';
import { problem, problemOf, sendProblem } from './problem.js';
import type { BackupRouteSettings } from './routes/backup-routes.js';
import { kbRoutes } from './routes/kb-routes.js';
import { pluginRoutes } from './routes/plugin-routes.js';
import { systemRoutes } from './routes/system-routes.js';
import type { TokenTable } from './tokens.js';

export interface DemoAppOptions {
  storage: Storage;
  tokens: TokenTable;
  /** Largest JSON request body (default 1 MiB). */
  maxJsonBytes?: number;
  /** Largest upload (import files; default 64 MiB). */
  maxUploadBytes?: number;
  /** Origins allowed to call the API from a browser; CORS is off (same origin only) unless listed. */
  corsOrigins?: readonly string[];
  /** Where backups go and restores land; default beside the SQLite file (`kb.db.backups`, `kb.db.restores`). */
  backup?: BackupRouteSettings;
  /** The web app's files; without, the API alone is served. */
  uiDir?: string;
  events?: EventFeedOptions;
  /** Where unexpected errors are reported (default: console.error). */
  log?: (message: string, error: unknown) => void;
}

export interface DemoApp {
  app: OpenAPIHono<AppEnv>;
  feed: EventFeed;
  /** Stops the event feed (the store stays open: its owner closes it). */
  close(): Promise<void>;
}

const HTTP_CODES: Record<number, string> = {
  401: 'UNAUTHENTICATED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Paths whose bodies are files (imports): they take the upload limit, every other body the JSON limit. */
const UPLOAD_PATH = /^\/api\/(import|incidents\/import|code\/files|templates\/library)(\/|$)/;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * The HTTP API over an open store, and the web app. Every request under /api but the OpenAPI document needs
 * a bearer token; the store then acts for that token's actor (storage.runAs), so core checks its role and
 * audits under its id. Errors are problem+json carrying core's error codes.
 */
export function createDemoApp(options: DemoAppOptions): DemoApp {
  const { storage, tokens } = options;
  const log = options.log ?? ((message, error) => console.error(message, error));
  const feed = new EventFeed(storage, options.events);
  const deps: AppDeps = {
    storage,
    feed,
    backup: { ...options.backup },
    limits: {
      jsonBytes: options.maxJsonBytes ?? 1024 * 1024,
      uploadBytes: options.maxUploadBytes ?? 64 * 1024 * 1024,
    },
  };

  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const list = issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ');
      return sendProblem(c, problem('VALIDATION', `the request is not valid: ${list}`, { issues }));
    },
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      // Hono's own refusals: a body that is not JSON, a media type a route does not take, a size limit.
      const code = HTTP_CODES[error.status] ?? 'MALFORMED_REQUEST';
      return sendProblem(c, problem(code, error.message || 'the request is malformed'));
    }
    const p = problemOf(error);
    // Every server-side failure goes to the log with its cause; the client gets the problem alone.
    if (p.status >= 500 && p.status !== 503) log(`${c.req.method} ${c.req.path} failed`, error);
    return sendProblem(c, p);
  });

  app.notFound((c) => {
    if (c.req.path.startsWith('/api/') || c.req.path === '/api') {
      return sendProblem(
        c,
        problem('ROUTE_NOT_FOUND', `no route ${c.req.method} ${c.req.path}; see /api/openapi.json`),
      );
    }
    return (
      serveUi(c.req.path, options.uiDir) ??
      sendProblem(c, problem('ROUTE_NOT_FOUND', `no page ${c.req.path}`))
    );
  });

  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    app.use(
      '/api/*',
      cors({
        origin: [...options.corsOrigins],
        allowHeaders: ['authorization', 'content-type', 'last-event-id'],
        exposeHeaders: ['content-disposition', 'location', 'x-export-records'],
        allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
        maxAge: 600,
      }),
    );
  }

  const tooLarge =
    (limit: number) => (c: Parameters<Parameters<typeof bodyLimit>[0]['onError'] & object>[0]) =>
      sendProblem(
        c,
        problem(
          'PAYLOAD_TOO_LARGE',
          `the request body is larger than ${limit} bytes, the limit of this route`,
        ),
      );
  const jsonLimit = bodyLimit({ maxSize: deps.limits.jsonBytes, onError: tooLarge(deps.limits.jsonBytes) });
  const uploadLimit = bodyLimit({
    maxSize: deps.limits.uploadBytes,
    onError: tooLarge(deps.limits.uploadBytes),
  });
  app.use('/api/*', (c, next) => (UPLOAD_PATH.test(c.req.path) ? uploadLimit(c, next) : jsonLimit(c, next)));

  app.use('/api/*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  // Authentication, then every handler inside the caller's runAs scope.
  app.use('/api/*', async (c, next) => {
    if (c.req.path === '/api/openapi.json') return next();
    const actor = tokens.actorOf(c.req.header('authorization'));
    if (actor === undefined) {
      const given = c.req.header('authorization') !== undefined;
      return sendProblem(
        c,
        problem(
          'UNAUTHENTICATED',
          given ? 'the bearer token is not valid' : 'send Authorization: Bearer <token>',
        ),
      );
    }
    c.set('actor', actor);
    await storage.runAs(actor, () => next());
  });

  systemRoutes(app, deps);
  kbRoutes(app, deps);
  pluginRoutes(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Mainframe KB storage API',
      version: '1.0.0',
      description:
        'The knowledge base and its extensions over HTTP. Bearer tokens map to core roles (viewer, editor, admin); errors are application/problem+json with `code` set to the store error code.',
    },
    security: [{ bearer: [] }],
  });

  feed.start();
  return { app, feed, close: () => feed.close() };
}

/** A file of the web app, or index.html for an app route; undefined when there is no web app. */
function serveUi(path: string, dir: string | undefined): Response | undefined {
  if (dir === undefined) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const relative = normalize(decoded).replace(/^([/\\])+/, '');
  const file = join(dir, relative);
  const inside = file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  const type = MIME[extname(file)];
  const headers = {
    'x-content-type-options': 'nosniff',
    'content-security-policy':
      "default-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
  };
  if (inside && type !== undefined && existsSync(file)) {
    return new Response(readFileSync(file), { headers: { ...headers, 'content-type': type } });
  }
  if (extname(relative) !== '') return undefined;
  const index = join(dir, 'index.html');
  return existsSync(index)
    ? new Response(readFileSync(index), { headers: { ...headers, 'content-type': MIME['.html'] as string } })
    : undefined;
}
