import type { PluginContext, Storage } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import type { AnalyticsDatabase } from '../schema/analytics-database.js';
import type { Sources } from '../series/collect.js';
import type { SeriesContext } from '../series/series-service.js';
import type { AnalyticsOptions } from './analytics-options.js';

export type AnalyticsContext = PluginContext<AnalyticsDatabase, AnalyticsOptions>;

/** What every part of the API shares. */
export interface ApiContext {
  ctx: AnalyticsContext;
  db: Kysely<AnalyticsDatabase>;
  options: AnalyticsOptions;
  /** Which other plugins are enabled on this store. */
  sources(): Sources;
  series: SeriesContext;
  /** The store (for core's search and the other plugins' APIs); never used inside `ctx.write`. */
  storage(): Storage;
  /** Milliseconds since the epoch; a test can move it. */
  now(): number;
  /** The grace after a period's end before it counts as closed (the feedback window, at least an hour). */
  graceMs: number;
}

export function createApiContext(ctx: AnalyticsContext, now: () => number = Date.now): ApiContext {
  const options = ctx.options;
  const sources = (): Sources => {
    const ids = new Set(ctx.plugins().map((p) => p.id));
    return { incidents: ids.has('patterns'), templates: ids.has('templates') };
  };
  const feedbackWindowMs = options.feedbackWindowMinutes * 60_000;
  return {
    ctx,
    db: ctx.db,
    options,
    sources,
    series: {
      db: ctx.db,
      collect: () => ({ sources: sources(), feedbackWindowMs }),
      snapshotsTrusted: ctx.config.integrations.eventBus.durableLog,
      now,
    },
    storage: () => ctx.storage(),
    now,
    graceMs: Math.max(feedbackWindowMs, 3_600_000),
  };
}
