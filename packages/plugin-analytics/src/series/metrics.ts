import type { Sources } from './collect.js';
import type { CounterName, Counters, Dimension } from './counters.js';

/** How a metric's value is made from a bucket's counters. */
export interface MetricDefinition {
  readonly name: MetricName;
  readonly description: string;
  readonly unit: 'count' | 'hours' | 'ratio';
  /** The counter summed into the value (a count) or the numerator (a ratio or mean). */
  readonly numerator: CounterName;
  /** For a ratio or a mean: the counter it is divided by; the value is null when that is 0. */
  readonly denominator?: CounterName;
  /** Applied to numerator / denominator (seconds → hours). */
  readonly scale?: number;
  readonly dimensions: readonly Dimension[];
  /** The plugin whose tables the metric reads, when it is not core's or this plugin's. */
  readonly source?: keyof Sources;
}

export const METRIC_NAMES = [
  'incidents.opened',
  'incidents.resolved',
  'incidents.mttr',
  'kb.reuse',
  'search.success',
  'templates.success',
  'auto.rate',
  'predictions.accuracy',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

const INCIDENT_DIMENSIONS: readonly Dimension[] = ['component', 'error_code', 'severity', 'source'];

export const METRICS: Readonly<Record<MetricName, MetricDefinition>> = {
  'incidents.opened': {
    name: 'incidents.opened',
    description: 'incidents opened (by their created time)',
    unit: 'count',
    numerator: 'opened',
    dimensions: INCIDENT_DIMENSIONS,
    source: 'incidents',
  },
  'incidents.resolved': {
    name: 'incidents.resolved',
    description: 'incidents resolved (by their resolved time)',
    unit: 'count',
    numerator: 'resolved',
    dimensions: INCIDENT_DIMENSIONS,
    source: 'incidents',
  },
  'incidents.mttr': {
    name: 'incidents.mttr',
    description: 'mean time to resolve, in hours, of the incidents resolved in the bucket',
    unit: 'hours',
    numerator: 'ttrSeconds',
    denominator: 'resolved',
    scale: 1 / 3600,
    dimensions: INCIDENT_DIMENSIONS,
    source: 'incidents',
  },
  'kb.reuse': {
    name: 'kb.reuse',
    description: 'share of the incidents resolved in the bucket whose KB entry existed before the resolution',
    unit: 'ratio',
    numerator: 'kbReused',
    denominator: 'resolved',
    dimensions: INCIDENT_DIMENSIONS,
    source: 'incidents',
  },
  'search.success': {
    name: 'search.success',
    description:
      'share of searches followed, within the feedback window, by positive feedback on their top result (by the same user when both are known)',
    unit: 'ratio',
    numerator: 'searchesSucceeded',
    denominator: 'searches',
    dimensions: ['category'],
  },
  'templates.success': {
    name: 'templates.success',
    description: 'share of recorded template outcomes that worked',
    unit: 'ratio',
    numerator: 'templateSuccesses',
    denominator: 'templateOutcomes',
    dimensions: ['category'],
    source: 'templates',
  },
  'auto.rate': {
    name: 'auto.rate',
    description:
      'share of automatic-resolution decisions that applied a fix (the rest were held for a person)',
    unit: 'ratio',
    numerator: 'autoApplied',
    denominator: 'autoDecisions',
    dimensions: ['component'],
  },
  'predictions.accuracy': {
    name: 'predictions.accuracy',
    description: 'mean accuracy score of the predictions whose outcome arrived in the bucket',
    unit: 'ratio',
    numerator: 'accuracySum',
    denominator: 'predictionsScored',
    dimensions: ['model'],
  },
};

/** One bucket of a metric: the value and the counts it was computed from. */
export interface MetricPoint {
  /** The bucket's first instant: `YYYY-MM-DDTHH` for hours, `YYYY-MM-DD` for days and weeks (the Monday). */
  bucket: string;
  value: number | null;
  numerator: number;
  denominator?: number;
}

export function metricPoint(def: MetricDefinition, bucket: string, c: Counters): MetricPoint {
  const numerator = c[def.numerator];
  if (!def.denominator) return { bucket, value: numerator, numerator };
  const denominator = c[def.denominator];
  const value = denominator === 0 ? null : (numerator / denominator) * (def.scale ?? 1);
  return { bucket, value, numerator, denominator };
}
