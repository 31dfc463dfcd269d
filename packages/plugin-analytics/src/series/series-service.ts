import { createHash } from 'node:crypto';
import type { WriteScope } from '@mainframe-kb/storage-core';
import { insertRows, ValidationError } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import type { AnalyticsDatabase } from '../schema/analytics-database.js';
import { type CollectOptions, collectHours, type HourCounters } from './collect.js';
import {
  compactPeriod,
  type Dimension,
  emptyPeriod,
  expandPeriod,
  mergePeriod,
  type PeriodCounters,
} from './counters.js';
import { METRICS, type MetricName, type MetricPoint, metricPoint } from './metrics.js';
import { bucketLength, bucketOf, bucketStart, bucketsBetween, dayOf, type Interval, iso } from './periods.js';
import { staleSnapshots } from './staleness.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface SeriesRequest {
  from: number;
  to: number;
  interval: Interval;
  metrics: readonly MetricName[];
  /** Break every metric down by this dimension as well. */
  by?: Dimension | undefined;
  /** Read snapshots of closed periods (default true); false computes every bucket from the rows. */
  useSnapshots?: boolean | undefined;
  /**
   * When true (the default), a metric that cannot be broken down by `by` is refused; when false (no metric was
   * named), such a metric comes without `by`.
   */
  strictBy?: boolean | undefined;
}

export interface MetricSeries {
  metric: MetricName;
  unit: 'count' | 'hours' | 'ratio';
  description: string;
  /** The whole range as one bucket. */
  total: MetricPoint;
  points: MetricPoint[];
  /** By the requested dimension's values: each value's points, in the same buckets (absent when the metric has no such dimension). */
  by?: Record<string, MetricPoint[]>;
  /** Why the series is empty when it cannot be computed (its plugin is not enabled). */
  unavailable?: string;
}

export interface SeriesResult {
  /** The range, widened to whole buckets. */
  from: string;
  to: string;
  interval: Interval;
  by: Dimension | null;
  buckets: string[];
  metrics: MetricSeries[];
  /** Where the buckets' counts came from: closed periods read from snapshots, the rest counted from rows. */
  periods: { fromSnapshots: number; computed: number; stale: number };
}

export interface SnapshotResult {
  from: string;
  to: string;
  /** Periods written (hours and days). */
  written: number;
  /** Stale periods found and replaced. */
  replaced: number;
  /** Periods already snapshotted and still valid. */
  kept: number;
  tookMs: number;
}

export interface SeriesContext {
  db: Kysely<AnalyticsDatabase>;
  collect: () => CollectOptions;
  /** When false (no durable event log), snapshots cannot be checked for later changes and are not used. */
  snapshotsTrusted: boolean;
  now: () => number;
}

/** The end of the last closed period of `interval`: later feedback can no longer change what came before. */
export function closedBefore(now: number, graceMs: number, periodMs: number): number {
  return Math.floor((now - graceMs) / periodMs) * periodMs;
}

interface LoadedPeriods {
  periods: Map<string, PeriodCounters>;
  fromSnapshots: number;
  computed: number;
  stale: number;
}

/**
 * Counters for every hour or day in [from, to): from valid snapshots of closed periods, the rest counted from
 * the rows in as few range queries as there are gaps.
 */
async function loadPeriods(
  ctx: SeriesContext,
  from: number,
  to: number,
  kind: 'hour' | 'day',
  useSnapshots: boolean,
): Promise<LoadedPeriods> {
  const labels = bucketsBetween(from, to, kind);
  const periods = new Map<string, PeriodCounters>();
  let stale = 0;
  if (useSnapshots && ctx.snapshotsTrusted && labels.length > 0) {
    const rows = await ctx.db
      .selectFrom('analytics_snapshots')
      .select(['time_period', 'data', 'event_seq', 'audit_seq'])
      .where('snapshot_type', '=', kind)
      .where('time_period', '>=', labels[0]!)
      .where('time_period', '<=', labels[labels.length - 1]!)
      .execute();
    const staleRows = await staleSnapshots(ctx.db, rows);
    stale = staleRows.size;
    for (const r of rows) if (!staleRows.has(r)) periods.set(r.time_period, expandPeriod(r.data));
  }
  const fromSnapshots = periods.size;
  // The gaps, as runs of consecutive missing periods, each counted with one pass of range queries.
  const step = kind === 'hour' ? HOUR_MS : DAY_MS;
  let runStart: number | null = null;
  const runs: [number, number][] = [];
  for (const label of labels) {
    const start = bucketStart(label);
    if (periods.has(label)) {
      if (runStart !== null) runs.push([runStart, start]);
      runStart = null;
    } else if (runStart === null) runStart = start;
  }
  if (runStart !== null) runs.push([runStart, bucketStart(labels[labels.length - 1]!) + step]);
  let computed = 0;
  for (const [a, b] of runs) {
    const hours = await collectHours(ctx.db, a, b, ctx.collect());
    const rolled = rollUp(hours, kind);
    for (const label of bucketsBetween(a, b, kind)) {
      periods.set(label, rolled.get(label) ?? emptyPeriod());
      computed++;
    }
  }
  return { periods, fromSnapshots, computed, stale };
}

function rollUp(hours: HourCounters, kind: 'hour' | 'day'): Map<string, PeriodCounters> {
  if (kind === 'hour') return hours;
  const days = new Map<string, PeriodCounters>();
  for (const [hour, counters] of hours) {
    const day = dayOf(hour);
    let p = days.get(day);
    if (!p) {
      p = emptyPeriod();
      days.set(day, p);
    }
    mergePeriod(p, counters);
  }
  return days;
}

export async function computeSeries(ctx: SeriesContext, request: SeriesRequest): Promise<SeriesResult> {
  const { interval } = request;
  for (const name of request.metrics) {
    const def = METRICS[name];
    if (request.by && request.strictBy !== false && !def.dimensions.includes(request.by)) {
      throw new ValidationError(
        `metric '${name}' cannot be broken down by ${request.by}; it can by ${def.dimensions.join(', ')}`,
        [{ path: 'by', message: `not a dimension of ${name}` }],
      );
    }
  }
  const buckets = bucketsBetween(request.from, request.to, interval);
  if (buckets.length === 0) {
    throw new ValidationError('invalid range: from must be before to', [
      { path: 'to', message: 'not after from' },
    ]);
  }
  if (buckets.length > 10_000) {
    throw new ValidationError(
      `invalid range: ${buckets.length} ${interval} buckets; at most 10,000 (use a longer interval)`,
      [{ path: 'interval', message: 'too many buckets' }],
    );
  }
  const from = bucketStart(buckets[0]!);
  const to = bucketStart(buckets[buckets.length - 1]!) + bucketLength(interval);
  const kind = interval === 'hour' ? 'hour' : 'day';
  const loaded = await loadPeriods(ctx, from, to, kind, request.useSnapshots ?? true);
  const inBucket = new Map<string, PeriodCounters>();
  const whole = emptyPeriod();
  for (const [label, counters] of loaded.periods) {
    const bucket = interval === 'week' ? bucketOf(label, 'week') : label;
    let p = inBucket.get(bucket);
    if (!p) {
      p = emptyPeriod();
      inBucket.set(bucket, p);
    }
    mergePeriod(p, counters);
    mergePeriod(whole, counters);
  }
  const sources = ctx.collect().sources;
  const metrics: MetricSeries[] = request.metrics.map((name) => {
    const def = METRICS[name];
    const series: MetricSeries = {
      metric: name,
      unit: def.unit,
      description: def.description,
      total: metricPoint(def, iso(from), whole.total),
      points: buckets.map((b) => metricPoint(def, b, (inBucket.get(b) ?? emptyPeriod()).total)),
    };
    if (def.source && !sources[def.source]) {
      series.unavailable =
        def.source === 'incidents'
          ? 'incidents are kept by plugin-patterns, which is not enabled on this store'
          : 'template outcomes are kept by plugin-templates, which is not enabled on this store';
    }
    if (request.by && def.dimensions.includes(request.by)) {
      const dim = request.by;
      // The dimension's values this metric counted something for (the counters of a value are shared by metrics).
      const keys = new Set<string>();
      for (const p of inBucket.values()) {
        for (const [k, c] of Object.entries(p.by[dim] ?? {})) {
          if (c[def.numerator] !== 0 || (def.denominator !== undefined && c[def.denominator] !== 0))
            keys.add(k);
        }
      }
      const by: Record<string, MetricPoint[]> = {};
      for (const key of [...keys].sort()) {
        by[key] = buckets.map((b) => {
          const c = inBucket.get(b)?.by[dim]?.[key];
          return metricPoint(def, b, c ?? emptyPeriod().total);
        });
      }
      series.by = by;
    }
    return series;
  });
  return {
    from: iso(from),
    to: iso(to),
    interval,
    by: request.by ?? null,
    buckets,
    metrics,
    periods: { fromSnapshots: loaded.fromSnapshots, computed: loaded.computed, stale: loaded.stale },
  };
}

function snapshotId(kind: string, period: string): string {
  return createHash('sha256').update(`${kind}\0${period}`).digest('hex').slice(0, 32);
}

/** The earliest timestamp any series reads, or null on an empty store. */
async function earliest(ctx: SeriesContext): Promise<number | null> {
  const sources = ctx.collect().sources;
  const firsts: (string | null | undefined)[] = [];
  const min = async (table: 'search_history' | 'incidents' | 'auto_resolutions', column: string) => {
    const row = await ctx.db
      .selectFrom(table)
      .select((eb) => eb.fn.min(column as never).as('t'))
      .executeTakeFirst();
    firsts.push((row as { t?: string | null } | undefined)?.t);
  };
  await min('search_history', 'created_at');
  await min('auto_resolutions', 'created_at');
  if (sources.incidents) await min('incidents', 'created_at');
  const times = firsts.filter((t): t is string => typeof t === 'string').map((t) => Date.parse(t));
  return times.length === 0 ? null : Math.min(...times);
}

/**
 * Writes snapshots of every closed hour and day in [from, to) (default: from the store's first row to the last
 * closed day) that has none or a stale one, a month of rows at a time. `write` runs each month's rows in one
 * write transaction.
 */
export async function buildSnapshots(
  ctx: SeriesContext,
  range: { from?: number | undefined; to?: number | undefined; graceMs: number },
  write: (fn: (scope: WriteScope<AnalyticsDatabase>) => Promise<void>) => Promise<void>,
): Promise<SnapshotResult> {
  const started = performance.now();
  if (!ctx.snapshotsTrusted) {
    throw new ValidationError(
      'snapshots need the durable event log (integrations.eventBus.durableLog): without it a later change to a closed period could not be seen',
      [{ path: 'integrations.eventBus.durableLog', message: 'is false' }],
    );
  }
  const lastClosed = closedBefore(ctx.now(), range.graceMs, DAY_MS);
  const to = Math.min(range.to ?? lastClosed, lastClosed);
  const first = range.from ?? (await earliest(ctx));
  const from = first === null ? to : Math.floor(first / DAY_MS) * DAY_MS;
  const result: SnapshotResult = {
    from: iso(from),
    to: iso(Math.max(from, to)),
    written: 0,
    replaced: 0,
    kept: 0,
    tookMs: 0,
  };
  if (from >= to) {
    result.tookMs = performance.now() - started;
    return result;
  }
  // Watermarks first: a change that lands while counting is after them, so it marks the snapshot stale.
  const marks = async () => {
    const e = await ctx.db
      .selectFrom('kb_events')
      .select((eb) => eb.fn.max('seq').as('s'))
      .executeTakeFirst();
    const a = await ctx.db
      .selectFrom('kb_audit')
      .select((eb) => eb.fn.max('seq').as('s'))
      .executeTakeFirst();
    return { event: Number(e?.s ?? 0), audit: Number(a?.s ?? 0) };
  };
  const WINDOW = 31 * DAY_MS;
  for (let a = from; a < to; a += WINDOW) {
    const b = Math.min(a + WINDOW, to);
    const existing = await ctx.db
      .selectFrom('analytics_snapshots')
      .select(['snapshot_type', 'time_period', 'event_seq', 'audit_seq'])
      .where('time_period', '>=', dayOf(iso(a)))
      .where('time_period', '<', dayOf(iso(b)))
      .execute();
    const staleRows = await staleSnapshots(ctx.db, existing);
    const staleHere = staleRows.size;
    const valid = new Set(
      existing.filter((r) => !staleRows.has(r)).map((r) => `${r.snapshot_type}:${r.time_period}`),
    );
    const hoursWanted = bucketsBetween(a, b, 'hour').filter((h) => !valid.has(`hour:${h}`));
    const daysWanted = bucketsBetween(a, b, 'day').filter((d) => !valid.has(`day:${d}`));
    result.kept += valid.size;
    if (hoursWanted.length === 0 && daysWanted.length === 0) continue;
    const mark = await marks();
    const hours = await collectHours(ctx.db, a, b, ctx.collect());
    const days = rollUp(hours, 'day');
    const rows = [
      ...hoursWanted.map((h) => ({ kind: 'hour', period: h, counters: hours.get(h) ?? emptyPeriod() })),
      ...daysWanted.map((d) => ({ kind: 'day', period: d, counters: days.get(d) ?? emptyPeriod() })),
    ];
    await write(async (scope) => {
      const ids = rows.map((r) => snapshotId(r.kind, r.period));
      for (let i = 0; i < ids.length; i += 500) {
        await scope.trx
          .deleteFrom('analytics_snapshots')
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
      }
      await insertRows(
        scope.trx,
        'analytics_snapshots',
        rows.map((r) => ({
          id: snapshotId(r.kind, r.period),
          snapshot_type: r.kind,
          time_period: r.period,
          data: JSON.stringify(compactPeriod(r.counters)),
          event_seq: mark.event,
          audit_seq: mark.audit,
          created_at: scope.now,
        })),
        500,
      );
    });
    result.written += rows.length;
    result.replaced += staleHere;
  }
  result.tookMs = performance.now() - started;
  return result;
}
