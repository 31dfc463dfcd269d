/**
 * The additive counters every series is computed from. A period's counters are sums over the rows whose
 * timestamp falls in it, so an hour's add up to its day and a day's to its week: snapshots keep counters, never
 * finished ratios.
 */

export const COUNTER_NAMES = [
  'opened',
  'resolved',
  'ttrSeconds',
  'kbReused',
  'searches',
  'searchesSucceeded',
  'templateOutcomes',
  'templateSuccesses',
  'autoDecisions',
  'autoApplied',
  'predictionsScored',
  'accuracySum',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

/** What a series can be broken down by. `model` is a prediction's model type. */
export type Dimension = 'component' | 'category' | 'error_code' | 'severity' | 'source' | 'model';
export const DIMENSIONS: readonly Dimension[] = [
  'component',
  'category',
  'error_code',
  'severity',
  'source',
  'model',
];

/** A period's counters: in total, and by each dimension's values (`(none)` for a row without one). */
export interface PeriodCounters {
  total: Counters;
  by: Partial<Record<Dimension, Record<string, Counters>>>;
}

/** The key a row without a value for the dimension is counted under. */
export const NO_VALUE = '(none)';

export function emptyCounters(): Counters {
  const c = {} as Counters;
  for (const name of COUNTER_NAMES) c[name] = 0;
  return c;
}

export function emptyPeriod(): PeriodCounters {
  return { total: emptyCounters(), by: {} };
}

export function addCounters(into: Counters, from: Readonly<Partial<Counters>>): void {
  for (const name of COUNTER_NAMES) {
    const v = from[name];
    if (v) into[name] += v;
  }
}

function counterMap(period: PeriodCounters, dim: Dimension): Record<string, Counters> {
  let map = period.by[dim];
  if (!map) {
    map = {};
    period.by[dim] = map;
  }
  return map;
}

function countersOf(map: Record<string, Counters>, key: string): Counters {
  let c = map[key];
  if (!c) {
    c = emptyCounters();
    map[key] = c;
  }
  return c;
}

/** Adds `delta` to the period's total and, for each given dimension value, to that value's counters. */
export function addTo(
  period: PeriodCounters,
  delta: Readonly<Partial<Counters>>,
  dims: Partial<Record<Dimension, string | null | undefined>>,
  total = true,
): void {
  if (total) addCounters(period.total, delta);
  for (const [dim, raw] of Object.entries(dims) as [Dimension, string | null | undefined][]) {
    const key = raw === null || raw === undefined || raw === '' ? NO_VALUE : raw;
    const byDim = counterMap(period, dim);
    addCounters(countersOf(byDim, key), delta);
  }
}

export function mergePeriod(into: PeriodCounters, from: PeriodCounters): void {
  addCounters(into.total, from.total);
  for (const [dim, values] of Object.entries(from.by) as [Dimension, Record<string, Counters>][]) {
    const byDim = counterMap(into, dim);
    for (const [key, counters] of Object.entries(values)) addCounters(countersOf(byDim, key), counters);
  }
}

/** The period without its zero counters, for storage: a quiet day's snapshot stays a few bytes. */
export function compactPeriod(period: PeriodCounters): unknown {
  const compact = (c: Counters) => {
    const out: Partial<Counters> = {};
    for (const name of COUNTER_NAMES) if (c[name]) out[name] = c[name];
    return out;
  };
  const by: Record<string, Record<string, Partial<Counters>>> = {};
  for (const [dim, values] of Object.entries(period.by)) {
    by[dim] = {};
    for (const [key, counters] of Object.entries(values as Record<string, Counters>))
      by[dim]![key] = compact(counters);
  }
  return { total: compact(period.total), by };
}

/** A stored period back into counters; anything else is refused (a snapshot is never half-trusted). */
export function expandPeriod(json: string): PeriodCounters {
  const raw = JSON.parse(json) as {
    total?: Partial<Counters>;
    by?: Record<string, Record<string, Partial<Counters>>>;
  };
  if (!raw || typeof raw !== 'object' || typeof raw.total !== 'object') throw new TypeError('not a snapshot');
  const period = emptyPeriod();
  addCounters(period.total, raw.total);
  for (const [dim, values] of Object.entries(raw.by ?? {})) {
    if (!DIMENSIONS.includes(dim as Dimension)) throw new TypeError(`unknown dimension '${dim}'`);
    const byDim: Record<string, Counters> = {};
    for (const [key, counters] of Object.entries(values)) {
      const c = emptyCounters();
      addCounters(c, counters);
      byDim[key] = c;
    }
    period.by[dim as Dimension] = byDim;
  }
  return period;
}
