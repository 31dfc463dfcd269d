import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../app-env.js';
import { analyticsRoutes } from './analytics-routes.js';
import { backupRoutes } from './backup-routes.js';
import { codeRoutes } from './code-routes.js';
import { patternsRoutes } from './patterns-routes.js';
import { templatesRoutes } from './templates-routes.js';
import { transferRoutes } from './transfer-routes.js';

/**
 * The routes of the extensions (MVP2–5), backups and export/import. Each is registered whether or not its
 * plugin is enabled on the store: without it, the store answers EXTENSION_NOT_ENABLED (a 501 problem naming
 * the package), which the web app shows on that screen.
 */
export function pluginRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  patternsRoutes(app, deps);
  codeRoutes(app, deps);
  templatesRoutes(app, deps);
  analyticsRoutes(app, deps);
  backupRoutes(app, deps);
  transferRoutes(app, deps);
}
