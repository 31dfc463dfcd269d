import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type AnalyticsApi,
  type analyticsPlugin,
  DIMENSIONS,
  INTERVALS,
  type MetricName,
} from '@mainframe-kb/plugin-analytics';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import { json, jsonBody, problems } from '../schemas.js';
import {
  AccuracyQuerySchema,
  AutoDecideRequestSchema,
  AutoDecisionSchema,
  AutoEntrySchema,
  AutoLogQuerySchema,
  AutoOutcomeRequestSchema,
  AutoReviewRequestSchema,
  AutoVerificationSchema,
  DatasetDetailSchema,
  DatasetFromIncidentsSchema,
  DatasetQuerySchema,
  DatasetRefParamSchema,
  DatasetSchema,
  ForecastQuerySchema,
  ForecastRequestSchema,
  ForecastSchema,
  IdParamSchema,
  MetricsCatalogSchema,
  ModelAccuracySchema,
  ModelListQuerySchema,
  ModelRefParamSchema,
  ModelSchema,
  ModelStageRequestSchema,
  ModelStageResultSchema,
  ModelVerificationSchema,
  PredictionInputSchema,
  PredictionListQuerySchema,
  PredictionOutcomeSchema,
  PredictionSchema,
  RecommendationSchema,
  RecommendRequestSchema,
  RecordRecommendationSchema,
  ScoreResultSchema,
  SeriesQuerySchema,
  SeriesSchema,
  SnapshotRequestSchema,
  SnapshotResultSchema,
} from './analytics-schemas.js';

// Roles are those of plugin-analytics' permission map: analytics.read is the viewer's; analytics.predict,
// .snapshot, .model.write, .dataset.write, .auto.decide and .auto.review the editor's; analytics.delete the
// admin's. A forecast or a recommendation is a read unless it is recorded as predictions: the recorded
// variants are separate routes (POST), so each route has one role.

const tags = ['analytics'];
const DAY_MS = 86_400_000;

const metrics = createRoute({
  method: 'get',
  path: '/api/analytics/metrics',
  tags,
  summary: 'The metrics a series can show: unit, how each is counted, the dimensions it breaks down by',
  responses: { 200: json(MetricsCatalogSchema, 'the catalogue'), ...problems(401, 501) },
});

const series = createRoute({
  method: 'get',
  path: '/api/analytics/series',
  tags,
  summary:
    'Time series for charts: each metric per hour, day or week, every point with the numerator and denominator it was computed from',
  request: { query: SeriesQuerySchema },
  responses: { 200: json(SeriesSchema, 'the series'), ...problems(401, 422, 501) },
});

const snapshot = createRoute({
  method: 'post',
  path: '/api/analytics/snapshot',
  tags,
  summary: 'Store the counters of closed hours and days, so that long series stay cheap (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(SnapshotRequestSchema, false) },
  responses: { 200: json(SnapshotResultSchema, 'what was written'), ...problems(401, 403, 422, 501) },
});

const listPredictions = createRoute({
  method: 'get',
  path: '/api/analytics/predictions',
  tags,
  summary: 'Predictions, newest first',
  request: { query: PredictionListQuerySchema },
  responses: {
    200: json(z.object({ predictions: z.array(PredictionSchema) }), 'the predictions'),
    ...problems(401, 422, 501),
  },
});

const createPrediction = createRoute({
  method: 'post',
  path: '/api/analytics/predictions',
  tags,
  summary: 'Store a prediction (editor): its accuracy is measured when its outcome is recorded',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(PredictionInputSchema) },
  responses: { 201: json(PredictionSchema, 'the stored prediction'), ...problems(401, 403, 413, 422, 501) },
});

const scorePending = createRoute({
  method: 'post',
  path: '/api/analytics/predictions/score',
  tags,
  summary:
    'Score what the store now knows (editor): recommendations whose incident was resolved with a KB entry, forecast days that have closed',
  middleware: [minRole('editor')] as const,
  responses: { 200: json(ScoreResultSchema, 'how many were scored'), ...problems(401, 403, 501) },
});

const readPrediction = createRoute({
  method: 'get',
  path: '/api/analytics/predictions/{id}',
  tags,
  summary: 'One prediction',
  request: { params: IdParamSchema },
  responses: { 200: json(PredictionSchema, 'the prediction'), ...problems(401, 404, 501) },
});

const deletePrediction = createRoute({
  method: 'delete',
  path: '/api/analytics/predictions/{id}',
  tags,
  summary: 'Delete a prediction (admin)',
  middleware: [minRole('admin')] as const,
  request: { params: IdParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404, 501) },
});

const predictionOutcome = createRoute({
  method: 'post',
  path: '/api/analytics/predictions/{id}/outcome',
  tags,
  summary: 'Record what happened, once, and score the prediction (editor); a second outcome is a 409',
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema, body: jsonBody(PredictionOutcomeSchema) },
  responses: {
    200: json(PredictionSchema, 'the scored prediction'),
    ...problems(401, 403, 404, 409, 422, 501),
  },
});

const accuracy = createRoute({
  method: 'get',
  path: '/api/analytics/accuracy',
  tags,
  summary:
    'Accuracy per model version: scored / pending / expired, mean score, top-1 and top-3, Brier score and calibration, MAE against the naive forecast',
  request: { query: AccuracyQuerySchema },
  responses: {
    200: json(z.object({ models: z.array(ModelAccuracySchema) }), 'the report'),
    ...problems(401, 422, 501),
  },
});

const forecast = createRoute({
  method: 'get',
  path: '/api/analytics/forecast',
  tags,
  summary: 'Forecast incidents opened per day, overall or for one component (not recorded)',
  request: { query: ForecastQuerySchema },
  responses: { 200: json(ForecastSchema, 'the forecast'), ...problems(401, 422, 501) },
});

const recordForecast = createRoute({
  method: 'post',
  path: '/api/analytics/forecast',
  tags,
  summary: 'Forecast and record each day as a prediction, scored once the day has closed (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(ForecastRequestSchema, false) },
  responses: {
    200: json(ForecastSchema, 'the forecast, with its prediction ids'),
    ...problems(401, 403, 422, 501),
  },
});

const recommend = createRoute({
  method: 'post',
  path: '/api/analytics/recommend',
  tags,
  summary: "KB entries recommended for an incident's text, or for a stored incident (not recorded)",
  request: { body: jsonBody(RecommendRequestSchema) },
  responses: {
    200: json(RecommendationSchema, 'the ranked candidates'),
    ...problems(401, 404, 413, 422, 501),
  },
});

const recordRecommendation = createRoute({
  method: 'post',
  path: '/api/analytics/incidents/{id}/recommendations',
  tags,
  summary:
    'Recommend KB entries for a stored incident and record it as a prediction, scored when the incident is resolved (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema, body: jsonBody(RecordRecommendationSchema, false) },
  responses: {
    201: json(RecommendationSchema, 'the candidates and the prediction id'),
    ...problems(401, 403, 404, 422, 501),
  },
});

const listModels = createRoute({
  method: 'get',
  path: '/api/analytics/models',
  tags,
  summary: 'Stored model files: type, version, stage, size, sha256',
  request: { query: ModelListQuerySchema },
  responses: {
    200: json(z.object({ models: z.array(ModelSchema) }), 'the models'),
    ...problems(401, 422, 501),
  },
});

const readModel = createRoute({
  method: 'get',
  path: '/api/analytics/models/{ref}',
  tags,
  summary: 'One model (by id or type@version)',
  request: { params: ModelRefParamSchema },
  responses: { 200: json(ModelSchema, 'the model'), ...problems(401, 404, 501) },
});

const verifyModel = createRoute({
  method: 'post',
  path: '/api/analytics/models/{ref}/verify',
  tags,
  summary: "Read the model's chunks and check each, and the whole file, against their sha256",
  request: { params: ModelRefParamSchema },
  responses: { 200: json(ModelVerificationSchema, 'the verification'), ...problems(401, 404, 501) },
});

const stageModel = createRoute({
  method: 'post',
  path: '/api/analytics/models/{ref}/stage',
  tags,
  summary: "Move a model to a stage (editor); promoting to production retires the type's previous one",
  middleware: [minRole('editor')] as const,
  request: { params: ModelRefParamSchema, body: jsonBody(ModelStageRequestSchema) },
  responses: {
    200: json(ModelStageResultSchema, 'the model after it'),
    ...problems(401, 403, 404, 422, 501),
  },
});

const deleteModel = createRoute({
  method: 'delete',
  path: '/api/analytics/models/{ref}',
  tags,
  summary: 'Delete a model and its file (admin)',
  middleware: [minRole('admin')] as const,
  request: { params: ModelRefParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404, 501) },
});

const listDatasets = createRoute({
  method: 'get',
  path: '/api/analytics/datasets',
  tags,
  summary: 'Training datasets (frozen memberships)',
  responses: {
    200: json(z.object({ datasets: z.array(DatasetSchema) }), 'the datasets'),
    ...problems(401, 501),
  },
});

const datasetFromIncidents = createRoute({
  method: 'post',
  path: '/api/analytics/datasets/from-incidents',
  tags,
  summary:
    'Freeze a dataset of the incidents resolved with a KB entry, labelled with it and split by a hash of each id (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(DatasetFromIncidentsSchema) },
  responses: { 201: json(DatasetSchema, 'the dataset'), ...problems(401, 403, 404, 409, 422, 501) },
});

const readDataset = createRoute({
  method: 'get',
  path: '/api/analytics/datasets/{ref}',
  tags,
  summary: 'One dataset, whether its members still match their checksum, and its members when asked',
  request: { params: DatasetRefParamSchema, query: DatasetQuerySchema },
  responses: { 200: json(DatasetDetailSchema, 'the dataset'), ...problems(401, 404, 422, 501) },
});

const deleteDataset = createRoute({
  method: 'delete',
  path: '/api/analytics/datasets/{ref}',
  tags,
  summary: 'Delete a dataset no model was trained on (admin)',
  middleware: [minRole('admin')] as const,
  request: { params: DatasetRefParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404, 409, 501) },
});

const autoLog = createRoute({
  method: 'get',
  path: '/api/analytics/auto/log',
  tags,
  summary: 'The automatic-resolution log, newest first: decisions, reviews and outcomes, each hash-chained',
  request: { query: AutoLogQuerySchema },
  responses: {
    200: json(z.object({ entries: z.array(AutoEntrySchema) }), 'the log'),
    ...problems(401, 422, 501),
  },
});

const autoVerify = createRoute({
  method: 'post',
  path: '/api/analytics/auto/verify',
  tags,
  summary: "Recompute the log's hash chain and check its head names the last row",
  responses: { 200: json(AutoVerificationSchema, 'the verification'), ...problems(401, 501) },
});

const autoDecide = createRoute({
  method: 'post',
  path: '/api/analytics/auto/decide',
  tags,
  summary:
    'Decide on an open incident (editor): the recommender proposes an entry; it is applied only when automatic resolution is on and the confidence reaches the threshold, else held',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(AutoDecideRequestSchema) },
  responses: {
    201: json(AutoDecisionSchema, 'the decision as logged'),
    ...problems(401, 403, 404, 409, 422, 501),
  },
});

const autoReview = createRoute({
  method: 'post',
  path: '/api/analytics/auto/{id}/review',
  tags,
  summary: "A person's review of a decision, as a new row of the log (editor)",
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema, body: jsonBody(AutoReviewRequestSchema) },
  responses: { 201: json(AutoEntrySchema, 'the row'), ...problems(401, 403, 404, 422, 501) },
});

const autoOutcome = createRoute({
  method: 'post',
  path: '/api/analytics/auto/{id}/outcome',
  tags,
  summary: 'What an applied fix did, as a new row of the log (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: IdParamSchema, body: jsonBody(AutoOutcomeRequestSchema) },
  responses: { 201: json(AutoEntrySchema, 'the row'), ...problems(401, 403, 404, 422, 501) },
});

const notFound = (what: string, id: string) =>
  new StorageError(StorageErrorCode.NOT_FOUND, `${what} '${id}' not found`, { details: { id } });

/** MVP5 over HTTP: series, predictions and their accuracy, forecasts, recommendations, models, datasets, the auto log. */
export function analyticsRoutes(app: OpenAPIHono<AppEnv>, { storage }: AppDeps): void {
  // Throws EXTENSION_NOT_ENABLED (501) when the store runs without plugin-analytics.
  const analytics = (): AnalyticsApi => storage.plugin<typeof analyticsPlugin>('analytics');

  app.openapi(metrics, async (c) =>
    c.json(
      {
        metrics: analytics()
          .metrics()
          .map((m) => ({ ...m, dimensions: [...m.dimensions] })),
        intervals: [...INTERVALS],
        dimensions: [...DIMENSIONS],
      },
      200,
    ),
  );

  app.openapi(series, async (c) => {
    const q = c.req.valid('query');
    const api = analytics();
    const to = q.to ?? new Date().toISOString();
    const from = q.from ?? new Date((Date.parse(to) || Date.now()) - 30 * DAY_MS).toISOString();
    const names = q.metrics
      ?.split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    const result = await api.series({
      from,
      to,
      interval: q.interval ?? 'day',
      by: q.by,
      metrics: names && names.length > 0 ? (names as MetricName[]) : undefined,
      useSnapshots: q.snapshots ?? true,
    });
    return c.json(result, 200);
  });

  app.openapi(snapshot, async (c) => {
    // An optional body: absent, it is {} (the whole history).
    return c.json(await analytics().snapshot(c.req.valid('json')), 200);
  });

  app.openapi(listPredictions, async (c) =>
    c.json({ predictions: await analytics().listPredictions(c.req.valid('query')) }, 200),
  );

  app.openapi(createPrediction, async (c) => {
    const api = analytics();
    const id = await api.storePrediction(c.req.valid('json'));
    c.header('location', `/api/analytics/predictions/${encodeURIComponent(id)}`);
    return c.json(await api.getPrediction(id), 201);
  });

  app.openapi(scorePending, async (c) => c.json(await analytics().scorePending(), 200));

  app.openapi(readPrediction, async (c) =>
    c.json(await analytics().getPrediction(c.req.valid('param').id), 200),
  );

  app.openapi(deletePrediction, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await analytics().deletePrediction(id))) throw notFound('prediction', id);
    return c.body(null, 204);
  });

  app.openapi(predictionOutcome, async (c) =>
    c.json(await analytics().recordOutcome(c.req.valid('param').id, c.req.valid('json')), 200),
  );

  app.openapi(accuracy, async (c) =>
    c.json({ models: await analytics().accuracy(c.req.valid('query')) }, 200),
  );

  app.openapi(forecast, async (c) =>
    c.json(await analytics().forecast({ ...c.req.valid('query'), record: false }), 200),
  );

  app.openapi(recordForecast, async (c) => {
    return c.json(await analytics().forecast({ ...c.req.valid('json'), record: true }), 200);
  });

  app.openapi(recommend, async (c) => {
    const { incidentId, limit, ...text } = c.req.valid('json');
    const api = analytics();
    const result =
      incidentId !== undefined
        ? await api.recommend(incidentId, { limit, record: false })
        : await api.recommend({ ...text, title: text.title as string }, { limit });
    return c.json(result, 200);
  });

  app.openapi(recordRecommendation, async (c) => {
    const { id } = c.req.valid('param');
    const { limit } = c.req.valid('json');
    return c.json(await analytics().recommend(id, { limit, record: true }), 201);
  });

  app.openapi(listModels, async (c) =>
    c.json({ models: await analytics().listModels(c.req.valid('query')) }, 200),
  );

  app.openapi(readModel, async (c) => c.json(await analytics().getModel(c.req.valid('param').ref), 200));

  app.openapi(verifyModel, async (c) => c.json(await analytics().verifyModel(c.req.valid('param').ref), 200));

  app.openapi(stageModel, async (c) =>
    c.json(await analytics().setModelStage(c.req.valid('param').ref, c.req.valid('json').stage), 200),
  );

  app.openapi(deleteModel, async (c) => {
    const { ref } = c.req.valid('param');
    if (!(await analytics().deleteModel(ref))) throw notFound('model', ref);
    return c.body(null, 204);
  });

  app.openapi(listDatasets, async (c) => c.json({ datasets: await analytics().listDatasets() }, 200));

  app.openapi(datasetFromIncidents, async (c) => {
    const dataset = await analytics().datasetFromIncidents(c.req.valid('json'));
    c.header('location', `/api/analytics/datasets/${encodeURIComponent(dataset.id)}`);
    return c.json(dataset, 201);
  });

  app.openapi(readDataset, async (c) => {
    const { ref } = c.req.valid('param');
    return c.json(await analytics().getDataset(ref, { members: c.req.valid('query').members ?? false }), 200);
  });

  app.openapi(deleteDataset, async (c) => {
    const { ref } = c.req.valid('param');
    if (!(await analytics().deleteDataset(ref))) throw notFound('training dataset', ref);
    return c.body(null, 204);
  });

  app.openapi(autoLog, async (c) =>
    c.json({ entries: await analytics().autoLog(c.req.valid('query')) }, 200),
  );

  app.openapi(autoVerify, async (c) => c.json(await analytics().verifyAutoLog(), 200));

  app.openapi(autoDecide, async (c) => c.json(await analytics().decide(c.req.valid('json').incidentId), 201));

  app.openapi(autoReview, async (c) => {
    const { verdict, note } = c.req.valid('json');
    return c.json(await analytics().review(c.req.valid('param').id, verdict, note), 201);
  });

  app.openapi(autoOutcome, async (c) => {
    const { outcome, note } = c.req.valid('json');
    return c.json(await analytics().recordAutoOutcome(c.req.valid('param').id, outcome, note), 201);
  });
}
