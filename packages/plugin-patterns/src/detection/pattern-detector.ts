import { detectBursts, seriesOf } from './burst-detector.js';
import { detectClusters } from './cluster-detector.js';
import type { DetectedPattern, DetectionIncident, DetectionSettings } from './detection-types.js';
import { detectErrorPatterns } from './error-detector.js';
import { byTime } from './pattern-summary.js';

const TYPE_ORDER = { error: 0, temporal: 1, correlation: 2, component: 3 } as const;

/** Bursts of several series can be the same incidents (five S0C7s on PAYROLL are a burst of PAYROLL, of
 * S0C7 and of S0C7 on PAYROLL): the most specific series keeps them. */
function withoutDuplicateBursts(bursts: DetectedPattern[]): DetectedPattern[] {
  const specificity = (p: DetectedPattern) => (p.component ? 1 : 0) + (p.errorCode ? 1 : 0);
  const seen = new Set<string>();
  const kept: DetectedPattern[] = [];
  for (const burst of [...bursts].sort((a, b) => specificity(b) - specificity(a) || (a.id < b.id ? -1 : 1))) {
    const key = burst.members.map((m) => m.incidentId).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(burst);
  }
  return kept;
}

/**
 * Every pattern in a set of incidents: recurring error codes, bursts against each series' own baseline,
 * and clusters of similar descriptions. A pure function of its input: the same incidents in any order give
 * the same patterns, with the same ids, in the same order.
 */
export function detectPatternsIn(
  incidents: readonly DetectionIncident[],
  settings: DetectionSettings,
): DetectedPattern[] {
  const sorted = [...incidents].sort(byTime);
  if (sorted.length === 0) return [];
  const spanMs = sorted[sorted.length - 1]!.time - sorted[0]!.time;
  const bursts = seriesOf(sorted).flatMap((s) => detectBursts(s, { spanMs, settings }));
  const patterns = [
    ...detectErrorPatterns(sorted, settings),
    ...withoutDuplicateBursts(bursts),
    ...detectClusters(sorted, settings),
  ];
  return patterns.sort(
    (a, b) =>
      TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
      (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0) ||
      (a.id < b.id ? -1 : 1),
  );
}
