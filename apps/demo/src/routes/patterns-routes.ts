import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../app-env.js';

export function patternsRoutes(_app: OpenAPIHono<AppEnv>, _deps: AppDeps): void {}
