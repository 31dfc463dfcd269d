import type { Severity } from '@mainframe-kb/storage-core';
import type { DetectionIncident } from './detection-types.js';

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The highest severity among the incidents, or null when none has one. */
export function highestSeverity(incidents: readonly DetectionIncident[]): Severity | null {
  let best: Severity | null = null;
  for (const i of incidents) {
    if (i.severity && (best === null || SEVERITY_RANK[i.severity] > SEVERITY_RANK[best])) best = i.severity;
  }
  return best;
}

/** Counts of a key, most frequent first, ties by key. */
export function ranked(values: Iterable<string | null>): [string, number][] {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The component most incidents share when it covers at least half of them. */
export function dominantComponent(incidents: readonly DetectionIncident[]): string | null {
  const [top] = ranked(incidents.map((i) => i.component));
  return top && top[1] * 2 >= incidents.length ? top[0] : null;
}

/** Confidence that grows with the number of incidents: 0.49 for 3, 0.74 for 5, 0.95 for 10. */
export function sizeConfidence(n: number): number {
  return 1 - Math.exp(-(n - 1) / 3);
}

export const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

export const iso = (ms: number): string => new Date(ms).toISOString();

/** Orders incidents by time, then id: the order every detector works in. */
export function byTime(a: DetectionIncident, b: DetectionIncident): number {
  return a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
