import type { DetectedPattern, DetectionIncident, DetectionSettings } from './detection-types.js';
import { highestSeverity, iso, round4 } from './pattern-summary.js';
import { poissonTail } from './poisson.js';
import { stableId } from './stable-id.js';

const HOUR = 3_600_000;

/** A series the burst detector watches: one component, one error code, or one code on one component. */
export interface BurstSeries {
  key: string;
  component: string | null;
  errorCode: string | null;
  /** Time-ordered. */
  incidents: readonly DetectionIncident[];
}

export interface BurstContext {
  /** Span of the whole incident history, ms: the baseline rate of a series is its count over this span. */
  spanMs: number;
  settings: DetectionSettings;
}

/** The series every incident belongs to; more specific series first. */
export function seriesOf(sorted: readonly DetectionIncident[]): BurstSeries[] {
  const map = new Map<string, BurstSeries & { incidents: DetectionIncident[] }>();
  const add = (key: string, component: string | null, errorCode: string | null, i: DetectionIncident) => {
    let s = map.get(key);
    if (!s) {
      s = { key, component, errorCode, incidents: [] };
      map.set(key, s);
    }
    s.incidents.push(i);
  };
  for (const i of sorted) {
    if (i.component !== null) {
      for (const code of i.codes) add(`component:${i.component}|code:${code}`, i.component, code, i);
      add(`component:${i.component}`, i.component, null, i);
    }
    for (const code of i.codes) add(`code:${code}`, null, code, i);
  }
  return [...map.values()];
}

/**
 * The probability of a window holding `count` of the series' `total` incidents if the others arrived at
 * the series' long-run rate: the baseline leaves the window's own incidents out, so a burst does not raise
 * the rate it is measured against.
 */
export function burstPValue(count: number, total: number, windowMs: number, spanMs: number): number {
  const outside = Math.max(total - count, 1);
  const mu = (outside * windowMs) / Math.max(spanMs - windowMs, windowMs);
  return poissonTail(count, mu);
}

/**
 * Slides a window of `burstWindowHours` over each series; windows whose count is significant (Poisson
 * tail below `burstAlpha`) and holds at least `minIncidents` incidents merge into one burst episode.
 * With less history than three windows there is no baseline, and nothing is reported.
 */
export function detectBursts(series: BurstSeries, context: BurstContext): DetectedPattern[] {
  const { settings, spanMs } = context;
  const windowMs = settings.burstWindowHours * HOUR;
  const items = series.incidents;
  const n = items.length;
  if (n < settings.minIncidents || spanMs < 3 * windowMs) return [];
  const episodes: { start: number; end: number; p: number }[] = [];
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (j < i) j = i;
    const limit = items[i]!.time + windowMs;
    while (j < n && items[j]!.time < limit) j++;
    const count = j - i;
    if (count < settings.minIncidents) continue;
    const p = burstPValue(count, n, windowMs, spanMs);
    if (p >= settings.burstAlpha) continue;
    const open = episodes[episodes.length - 1];
    if (open && i < open.end) {
      open.end = Math.max(open.end, j);
      open.p = Math.min(open.p, p);
    } else {
      episodes.push({ start: i, end: j, p });
    }
  }
  return episodes.map(({ start, end, p }) => {
    const members = items.slice(start, end);
    const first = members[0]!;
    const last = members[members.length - 1]!;
    const hours = Math.max(1, Math.round((last.time - first.time) / HOUR));
    const what =
      series.errorCode && series.component
        ? `${series.errorCode} on ${series.component}`
        : (series.errorCode ?? series.component ?? series.key);
    return {
      id: stableId('pat', 'temporal', series.key, iso(first.time)),
      type: 'temporal' as const,
      description: `burst of ${members.length} incidents (${what}) within ${hours} h, against a baseline of ${(((n - members.length) / spanMs) * 24 * HOUR).toFixed(2)} a day`,
      confidence: round4(Math.min(1, -Math.log10(Math.max(p, 1e-300)) / 10)),
      severity: highestSeverity(members),
      component: series.component,
      errorCode: series.errorCode,
      firstSeen: iso(first.time),
      lastSeen: iso(last.time),
      metadata: {
        detector: 'poisson-burst',
        series: series.key,
        pValue: p,
        windowHours: settings.burstWindowHours,
      },
      members: members.map((m) => ({ incidentId: m.id, correlationScore: 1 })),
    };
  });
}
