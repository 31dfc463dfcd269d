import { z } from '@hono/zod-openapi';
import { DIMENSIONS, INTERVALS, METRIC_NAMES } from '@mainframe-kb/plugin-analytics';
import { boolParam } from '../schemas.js';

/**
 * The schemas of MVP5's routes (plugin-analytics). Requests are checked for shape here; the store checks
 * again (dates that do not exist, a dimension a metric does not have …) and names the field it refuses.
 */

const metricName = z.enum(METRIC_NAMES);
const dimension = z.enum(DIMENSIONS);
const interval = z.enum(INTERVALS);
const modelStage = z.enum(['candidate', 'production', 'retired']);
const when = z
  .string()
  .min(1)
  .max(40)
  .openapi({ description: 'YYYY-MM-DD or an ISO-8601 timestamp with its zone (UTC buckets)' });

export const MetricDefinitionSchema = z
  .object({
    name: metricName,
    description: z.string(),
    unit: z.enum(['count', 'hours', 'ratio']),
    numerator: z.string(),
    denominator: z.string().optional(),
    scale: z.number().optional(),
    dimensions: z.array(z.string()),
    source: z.string().optional().openapi({ description: 'the plugin whose rows the metric reads' }),
  })
  .openapi('AnalyticsMetric');

export const MetricsCatalogSchema = z
  .object({
    metrics: z.array(MetricDefinitionSchema),
    intervals: z.array(z.string()),
    dimensions: z.array(z.string()),
  })
  .openapi('AnalyticsMetrics');

export const SeriesQuerySchema = z.object({
  from: when.optional().openapi({ description: 'default: 30 days before `to`' }),
  to: when.optional().openapi({ description: 'exclusive; default: now' }),
  interval: interval.optional().openapi({ description: 'hour, day (default) or week (ISO, Monday)' }),
  metrics: z
    .string()
    .max(500)
    .optional()
    .openapi({ description: `comma-separated; default every metric: ${METRIC_NAMES.join(', ')}` }),
  by: dimension.optional().openapi({ description: 'break every metric down by this dimension too' }),
  snapshots: boolParam.openapi({ description: 'read snapshots of closed periods (default true)' }),
});

const MetricPointSchema = z
  .object({
    bucket: z.string().openapi({ description: 'YYYY-MM-DDTHH for hours, YYYY-MM-DD for days and weeks' }),
    value: z.number().nullable().openapi({ description: 'null for a ratio or mean over nothing' }),
    numerator: z.number(),
    denominator: z.number().optional().openapi({ description: 'for ratios and means' }),
  })
  .openapi('AnalyticsPoint');

export const SeriesSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    interval: interval,
    by: dimension.nullable(),
    buckets: z.array(z.string()),
    metrics: z.array(
      z.object({
        metric: metricName,
        unit: z.enum(['count', 'hours', 'ratio']),
        description: z.string(),
        total: MetricPointSchema,
        points: z.array(MetricPointSchema),
        by: z.record(z.string(), z.array(MetricPointSchema)).optional().openapi({
          description: "each value of the dimension ('(none)' for rows without one): its points",
        }),
        unavailable: z.string().optional().openapi({ description: 'why the series is empty' }),
      }),
    ),
    periods: z.object({
      fromSnapshots: z.number().int(),
      computed: z.number().int(),
      stale: z.number().int(),
    }),
  })
  .openapi('AnalyticsSeries');

export const SnapshotRequestSchema = z
  .strictObject({ from: when.optional(), to: when.optional() })
  .openapi('AnalyticsSnapshotRequest');

export const SnapshotResultSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    written: z.number().int(),
    replaced: z.number().int(),
    kept: z.number().int(),
    tookMs: z.number(),
  })
  .openapi('AnalyticsSnapshot');

export const PredictionSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    targetEntity: z.string(),
    targetId: z.string(),
    probability: z.number(),
    predictedValue: z.number().nullable(),
    predictedAt: z.string(),
    expiresAt: z.string().nullable(),
    actualOutcome: z.string().nullable(),
    observedValue: z.number().nullable(),
    accuracyScore: z
      .number()
      .nullable()
      .openapi({ description: 'in [0, 1], set when the outcome is recorded' }),
    outcomeAt: z.string().nullable(),
    modelType: z.string(),
    modelVersion: z.string(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .openapi('Prediction');

const label = (max: number) => z.string().min(1).max(max);

export const PredictionInputSchema = z
  .strictObject({
    type: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "-" and "_"')
      .openapi({ example: 'abend-risk' }),
    targetEntity: label(64).openapi({ example: 'job' }),
    targetId: label(128).openapi({ example: 'PAYJ100' }),
    probability: z.number().min(0).max(1),
    predictedValue: z.number().nullable().optional().openapi({ description: 'for a numeric prediction' }),
    expiresAt: z.string().max(40).nullable().optional().openapi({ description: 'an ISO-8601 timestamp' }),
    modelType: label(64).optional().openapi({ description: "default 'manual'" }),
    modelVersion: label(64).optional().openapi({ description: "default '1'" }),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: '`candidates` (ranked KB entry ids) makes it a recommendation' }),
  })
  .openapi('PredictionInput');

export const PredictionOutcomeSchema = z
  .strictObject({
    outcome: z.union([z.boolean(), z.number(), z.string().min(1).max(4000)]).openapi({
      description: 'true/false for a yes/no prediction, a number, or the KB entry id that was right',
    }),
    at: z.string().max(40).optional().openapi({ description: 'when it happened (default now)' }),
  })
  .openapi('PredictionOutcome');

export const PredictionListQuerySchema = z.object({
  type: z.string().max(64).optional(),
  targetEntity: z.string().max(64).optional(),
  targetId: z.string().max(128).optional(),
  modelType: z.string().max(64).optional(),
  modelVersion: z.string().max(64).optional(),
  state: z.enum(['pending', 'scored']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const IdParamSchema = z.object({ id: z.string().min(1).max(64) });

export const ScoreResultSchema = z
  .object({ recommendations: z.number().int(), forecasts: z.number().int() })
  .openapi('AnalyticsScored');

export const AccuracyQuerySchema = z.object({
  modelType: z.string().max(64).optional(),
  modelVersion: z.string().max(64).optional(),
  type: z.string().max(64).optional(),
});

export const ModelAccuracySchema = z
  .object({
    modelType: z.string(),
    modelVersion: z.string(),
    predictionTypes: z.array(z.string()),
    predictions: z.number().int(),
    scored: z.number().int(),
    pending: z.number().int(),
    expired: z.number().int(),
    meanScore: z.number().nullable(),
    top1: z.number().nullable(),
    top3: z.number().nullable(),
    brier: z.number().nullable(),
    calibration: z.array(
      z.object({
        from: z.number(),
        to: z.number(),
        count: z.number().int(),
        meanPredicted: z.number().nullable(),
        observedRate: z.number().nullable(),
      }),
    ),
    mae: z.number().nullable(),
    naiveMae: z.number().nullable(),
    maeRatio: z.number().nullable().openapi({ description: 'below 1: the model beats the naive forecast' }),
  })
  .openapi('ModelAccuracy');

const forecastFields = {
  component: z.string().min(1).max(128).optional().openapi({ description: 'default: every incident' }),
  days: z.coerce.number().int().min(1).max(90).optional().openapi({ description: 'days ahead (default 7)' }),
  history: z.coerce
    .number()
    .int()
    .min(7)
    .max(3660)
    .optional()
    .openapi({ description: 'closed days fitted on (default 56)' }),
};

export const ForecastQuerySchema = z.object(forecastFields);
export const ForecastRequestSchema = z
  .strictObject({
    component: forecastFields.component,
    days: z.number().int().min(1).max(90).optional(),
    history: z.number().int().min(7).max(3660).optional(),
  })
  .openapi('ForecastRequest');

export const ForecastSchema = z
  .object({
    component: z.string().nullable(),
    model: z.string(),
    candidates: z.array(z.object({ model: z.string(), mae: z.number().nullable() })),
    modelType: z.string(),
    modelVersion: z.string(),
    historyFrom: z.string(),
    history: z.array(z.number()).openapi({ description: 'incidents opened per closed day, oldest first' }),
    days: z.array(
      z.object({
        day: z.string(),
        value: z.number(),
        naive: z.number(),
        probability: z.number(),
        predictionId: z.string().nullable(),
      }),
    ),
  })
  .openapi('Forecast');

export const RecommendRequestSchema = z
  .strictObject({
    incidentId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({ description: 'an incident of plugin-patterns' }),
    title: z.string().min(1).max(10_000).optional().openapi({ description: "the incident's text, instead" }),
    description: z.string().max(100_000).optional(),
    errorCodes: z.array(z.string().max(64)).max(64).optional(),
    limit: z.number().int().min(1).max(20).optional().openapi({ description: 'candidates (default 3)' }),
  })
  .superRefine((r, ctx) => {
    if ((r.incidentId === undefined) === (r.title === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['title'], message: 'give either incidentId or title' });
    }
  })
  .openapi('RecommendRequest');

export const RecordRecommendationSchema = z
  .strictObject({ limit: z.number().int().min(1).max(20).optional() })
  .openapi('RecordRecommendation');

export const RecommendationSchema = z
  .object({
    predictionId: z.string().nullable().openapi({ description: 'the stored prediction, when recorded' }),
    incidentId: z.string().nullable(),
    candidates: z.array(
      z.object({
        entryId: z.string(),
        title: z.string(),
        category: z.string(),
        score: z.number(),
        probability: z.number(),
      }),
    ),
    modelType: z.string(),
    modelVersion: z.string(),
  })
  .openapi('Recommendation');

export const ModelSchema = z
  .object({
    id: z.string(),
    modelType: z.string(),
    version: z.string(),
    stage: modelStage,
    checksum: z.string().openapi({ description: 'sha256 of the file' }),
    sizeBytes: z.number().int(),
    chunkCount: z.number().int(),
    mediaType: z.string(),
    trainingMetadata: z.record(z.string(), z.unknown()),
    performanceMetrics: z.record(z.string(), z.unknown()),
    datasetId: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Model');

export const ModelListQuerySchema = z.object({
  modelType: z.string().max(64).optional(),
  stage: modelStage.optional(),
});

export const ModelRefParamSchema = z.object({
  ref: z.string().min(1).max(140).openapi({ description: 'the model id, or type@version' }),
});

export const ModelVerificationSchema = z
  .object({
    ok: z.boolean(),
    id: z.string(),
    modelType: z.string(),
    version: z.string(),
    sizeBytes: z.number().int(),
    checksum: z.string(),
    problem: z.string().optional(),
  })
  .openapi('ModelVerification');

export const ModelStageRequestSchema = z.strictObject({ stage: modelStage }).openapi('ModelStageRequest');

export const ModelStageResultSchema = z
  .object({
    model: ModelSchema,
    retired: z.array(z.string()).openapi({ description: 'ids of the production models this retired' }),
  })
  .openapi('ModelStageResult');

export const DatasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    entity: z.string(),
    memberCount: z.number().int(),
    checksum: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('Dataset');

export const DatasetDetailSchema = DatasetSchema.extend({
  intact: z.boolean().openapi({ description: 'the members still match the frozen checksum' }),
  members: z
    .array(
      z.object({
        id: z.string(),
        split: z.enum(['train', 'test', 'validation']),
        label: z.string().nullable(),
      }),
    )
    .optional(),
}).openapi('DatasetDetail');

export const DatasetRefParamSchema = z.object({
  ref: z.string().min(1).max(128).openapi({ description: 'the dataset id or name' }),
});

export const DatasetQuerySchema = z.object({ members: boolParam });

export const DatasetFromIncidentsSchema = z
  .strictObject({
    name: z.string().min(1).max(128),
    description: z.string().max(10_000).optional(),
    from: when.optional(),
    to: when.optional(),
    testShare: z.number().min(0).max(1).optional().openapi({ description: 'default 0.2' }),
  })
  .openapi('DatasetFromIncidents');

export const AutoEntrySchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    kind: z.enum(['decision', 'review', 'outcome']),
    decisionId: z.string(),
    incidentId: z.string(),
    component: z.string().nullable(),
    proposalKind: z.string().nullable(),
    proposalId: z.string().nullable(),
    confidence: z.number().nullable(),
    threshold: z.number().nullable(),
    decision: z.string(),
    decidedBy: z.string(),
    appliedSolution: z.string().nullable(),
    inputs: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    hash: z.string(),
  })
  .openapi('AutoResolutionEntry');

export const AutoLogQuerySchema = z.object({
  incidentId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const AutoVerificationSchema = z
  .object({
    ok: z.boolean(),
    rows: z.number().int(),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    problems: z.array(
      z.object({ seq: z.number().int().nullable(), id: z.string().nullable(), problem: z.string() }),
    ),
  })
  .openapi('AutoResolutionVerification');

export const AutoDecideRequestSchema = z
  .strictObject({ incidentId: z.string().min(1).max(64) })
  .openapi('AutoDecideRequest');

export const AutoDecisionSchema = z
  .object({
    decision: AutoEntrySchema,
    reason: z.string(),
    applyError: z.string().optional(),
    predictionId: z.string().nullable(),
  })
  .openapi('AutoDecision');

export const AutoReviewRequestSchema = z
  .strictObject({ verdict: z.enum(['accepted', 'rejected']), note: z.string().max(4000).optional() })
  .openapi('AutoReviewRequest');

export const AutoOutcomeRequestSchema = z
  .strictObject({
    outcome: z.enum(['resolved', 'failed', 'reverted']),
    note: z.string().max(4000).optional(),
  })
  .openapi('AutoOutcomeRequest');
