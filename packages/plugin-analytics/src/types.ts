import { z } from 'zod';
import type { Dimension } from './series/counters.js';
import type { MetricName } from './series/metrics.js';
import type { Interval } from './series/periods.js';
import { calendarDateValid } from './util/dates.js';
import { noControl } from './util/text.js';

const name = (max: number) =>
  z.string().trim().min(1).max(max).refine(noControl, 'must not contain control characters');
const isoTimestamp = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
    'expected an ISO-8601 timestamp',
  )
  .refine((s) => calendarDateValid(s) && Number.isFinite(Date.parse(s)), 'not a valid time')
  .transform((s) => new Date(Date.parse(s)).toISOString());

/** A prediction as the seed interface's `storePrediction` takes it. */
export const predictionInputSchema = z.strictObject({
  /** `kb-recommendation`, `incident-count`, or a type of your own (lower-case, digits, `.`, `-`, `_`). */
  type: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "-" and "_"'),
  targetEntity: name(64),
  targetId: name(128),
  /** The probability that the prediction holds, 0–1. */
  probability: z.number().min(0).max(1),
  /** For a numeric prediction: the value predicted. */
  predictedValue: z.number().finite().nullable().optional(),
  expiresAt: isoTimestamp.nullable().optional(),
  modelType: name(64).default('manual'),
  modelVersion: name(64).default('1'),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export type PredictionData = z.input<typeof predictionInputSchema>;

export interface Prediction {
  id: string;
  type: string;
  targetEntity: string;
  targetId: string;
  probability: number;
  predictedValue: number | null;
  predictedAt: string;
  expiresAt: string | null;
  actualOutcome: string | null;
  observedValue: number | null;
  accuracyScore: number | null;
  outcomeAt: string | null;
  modelType: string;
  modelVersion: string;
  metadata: Record<string, unknown>;
}

export const outcomeInputSchema = z.strictObject({
  /** What happened: `true`/`false` for a yes/no prediction, the KB entry id for a recommendation, a number. */
  outcome: z.union([z.boolean(), z.number().finite(), name(4000)]),
  /** Defaults to now. */
  at: isoTimestamp.optional(),
});

export type OutcomeInput = z.input<typeof outcomeInputSchema>;

export interface PredictionQuery {
  type?: string | undefined;
  targetEntity?: string | undefined;
  targetId?: string | undefined;
  modelType?: string | undefined;
  modelVersion?: string | undefined;
  /** `pending` (no outcome yet), `scored`, or both (default). */
  state?: 'pending' | 'scored' | undefined;
  limit?: number | undefined;
}

/** The seed interface's time range for `getAnalytics`. */
export interface TimeRange {
  /** `YYYY-MM-DD` or an ISO-8601 timestamp; widened to the start of its bucket. */
  from: string;
  /** Exclusive; widened to the end of its bucket. */
  to: string;
  /** Default `day`. */
  interval?: Interval | undefined;
  /** Break every metric down by this dimension too. */
  by?: Dimension | undefined;
}

export type { Dimension, Interval, MetricName };
