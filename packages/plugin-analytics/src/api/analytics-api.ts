import { validateInput } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { DIMENSIONS } from '../series/counters.js';
import { METRIC_NAMES, METRICS, type MetricDefinition, type MetricName } from '../series/metrics.js';
import { INTERVALS, parseInstant } from '../series/periods.js';
import {
  buildSnapshots,
  computeSeries,
  type SeriesResult,
  type SnapshotResult,
} from '../series/series-service.js';
import type { TimeRange } from '../types.js';
import type { AnalyticsContext } from './api-context.js';
import { createApiContext } from './api-context.js';
import { autoApi } from './auto-api.js';
import { modelsApi } from './models-api.js';
import { predictionsApi } from './predictions-api.js';

/** What `getAnalytics` returns: every metric asked for, as a series over the range, with its counts. */
export type AnalyticsData = SeriesResult;

const rangeSchema = z.strictObject({
  from: z.string().min(1).max(40),
  to: z.string().min(1).max(40),
  interval: z.enum(INTERVALS).default('day'),
  by: z.enum(DIMENSIONS).optional(),
});
const metricsSchema = z
  .array(
    z.string().refine((m) => (METRIC_NAMES as readonly string[]).includes(m), {
      message: `unknown metric; known: ${METRIC_NAMES.join(', ')}`,
    }),
  )
  .max(METRIC_NAMES.length)
  .optional();

export interface SeriesOptions extends TimeRange {
  /** Default: every metric. */
  metrics?: readonly string[] | undefined;
  /** Read snapshots of closed periods (default true). */
  useSnapshots?: boolean | undefined;
}

export function createAnalyticsApi(ctx: AnalyticsContext, now?: () => number) {
  const api = createApiContext(ctx, now);

  async function series(options: SeriesOptions): Promise<SeriesResult> {
    const { metrics, useSnapshots, ...range } = options ?? ({} as SeriesOptions);
    const valid = validateInput(rangeSchema, range, 'timeRange');
    const names = (validateInput(metricsSchema, metrics, 'metrics') ?? METRIC_NAMES) as readonly MetricName[];
    const from = parseInstant(valid.from, 'timeRange.from');
    const to = parseInstant(valid.to, 'timeRange.to');
    // Searches of this process are written in batches: count the ones still pending too.
    await api.storage().flushSearchHistory();
    return ctx.read('analytics.read', () =>
      computeSeries(api.series, {
        from,
        to,
        interval: valid.interval,
        metrics: [...new Set(names)],
        by: valid.by,
        useSnapshots: useSnapshots !== false,
        strictBy: metrics !== undefined,
      }),
    );
  }

  return {
    /** Every metric the plugin computes, with its unit, how it is made and what it can be broken down by. */
    metrics(): MetricDefinition[] {
      return METRIC_NAMES.map((n) => METRICS[n]);
    },

    series,

    /** The seed interface's `getAnalytics(timeRange, metrics)`: the series of each metric (all when none is named). */
    async getAnalytics(timeRange: TimeRange, metrics?: readonly string[]): Promise<AnalyticsData> {
      return series({ ...timeRange, metrics });
    },

    /**
     * Stores the counts of every closed hour and day in the range (default: the whole history) that has no valid
     * snapshot, so later series over them read a row per period instead of the rows they count.
     */
    async snapshot(range: { from?: string; to?: string } = {}): Promise<SnapshotResult> {
      const valid = validateInput(
        z.strictObject({ from: z.string().max(40).optional(), to: z.string().max(40).optional() }),
        range,
        'range',
      );
      ctx.authorize('analytics.snapshot');
      return buildSnapshots(
        api.series,
        {
          from: valid.from ? parseInstant(valid.from, 'from') : undefined,
          to: valid.to ? parseInstant(valid.to, 'to') : undefined,
          graceMs: api.graceMs,
        },
        (fn) => ctx.write('analytics.snapshot', fn),
      );
    },

    ...predictionsApi(api),
    ...modelsApi(api),
    ...autoApi(api),
  };
}

export type AnalyticsApi = ReturnType<typeof createAnalyticsApi>;
