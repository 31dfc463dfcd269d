import { ValidationError, validateInput } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { naiveForecast, selectedForecast } from '../models/forecast.js';
import {
  type IncidentText,
  RECOMMENDER_MODEL,
  RECOMMENDER_VERSION,
  type Recommendation,
  recommend,
} from '../models/recommender.js';
import { type AccuracyFilter, accuracyReport, type ModelAccuracy } from '../predictions/accuracy-report.js';
import {
  applyOutcome,
  findPrediction,
  insertPrediction,
  type NewPrediction,
  toPrediction,
} from '../predictions/prediction-store.js';
import type { PredictionRow } from '../schema/analytics-database.js';
import { dayOf, iso } from '../series/periods.js';
import { closedBefore, computeSeries } from '../series/series-service.js';
import {
  type OutcomeInput,
  outcomeInputSchema,
  type Prediction,
  type PredictionData,
  type PredictionQuery,
  predictionInputSchema,
} from '../types.js';
import type { ApiContext } from './api-context.js';
import { incidentsOf } from './incidents-port.js';

const DAY_MS = 86_400_000;
export const FORECAST_MODEL = 'incident-forecast';
export const RECOMMENDATION_TYPE = 'kb-recommendation';
export const FORECAST_TYPE = 'incident-count';

export interface RecommendOptions {
  /** Candidates returned (default 3, at most 20). */
  limit?: number | undefined;
  /** Store the recommendation as a prediction, scored when the incident is resolved (default true for an incident id). */
  record?: boolean | undefined;
}

export interface RecommendResult {
  /** The stored prediction, when recorded. */
  predictionId: string | null;
  incidentId: string | null;
  candidates: Recommendation[];
  modelType: string;
  modelVersion: string;
}

export interface ForecastOptions {
  /** One component's incidents; all incidents when absent. */
  component?: string | undefined;
  /** Days ahead (default 7, at most 90). */
  days?: number | undefined;
  /** Closed days of history the model is fitted on (default 56, at least 7). */
  history?: number | undefined;
  /** Store each day's forecast as a prediction, scored once the day has closed (default true). */
  record?: boolean | undefined;
}

export interface ForecastDay {
  day: string;
  /** The model's forecast of incidents opened that day. */
  value: number;
  /** The naive forecast beside it (the last day's count): what the model must beat. */
  naive: number;
  /** P(at least one incident), from a Poisson with the forecast as its mean. */
  probability: number;
  predictionId: string | null;
}

export interface ForecastResult {
  component: string | null;
  /** The model chosen for this series: the one that forecast its last four weeks better. */
  model: string;
  /** Each candidate's MAE over the last four weeks' origins. */
  candidates: { model: string; mae: number | null }[];
  modelType: string;
  modelVersion: string;
  /** The history used, oldest first, and its first day. */
  historyFrom: string;
  history: number[];
  days: ForecastDay[];
}

export interface ScoreResult {
  /** Recommendations scored because their incident was resolved with a KB entry. */
  recommendations: number;
  /** Forecast days scored because the day has closed. */
  forecasts: number;
}

const recommendOptions = z.strictObject({
  limit: z.number().int().min(1).max(20).default(3),
  record: z.boolean().optional(),
});
const incidentText = z.strictObject({
  title: z.string().trim().min(1).max(10_000),
  description: z.string().max(100_000).optional(),
  errorCodes: z.array(z.string().max(64)).max(64).optional(),
});
const forecastOptions = z.strictObject({
  component: z.string().trim().min(1).max(128).optional(),
  days: z.number().int().min(1).max(90).default(7),
  history: z.number().int().min(7).max(3660).default(56),
  record: z.boolean().default(true),
});
const predictionQuery = z.strictObject({
  type: z.string().max(64).optional(),
  targetEntity: z.string().max(64).optional(),
  targetId: z.string().max(128).optional(),
  modelType: z.string().max(64).optional(),
  modelVersion: z.string().max(64).optional(),
  state: z.enum(['pending', 'scored']).optional(),
  limit: z.number().int().min(1).max(10_000).default(100),
});
const idArg = z.string().min(1).max(64);

/** The prediction a recommendation for an incident is recorded as, scored when the incident is resolved. */
export function recommendationPrediction(
  incidentId: string,
  candidates: readonly Recommendation[],
  metadata: Record<string, unknown> = {},
): NewPrediction {
  return {
    type: RECOMMENDATION_TYPE,
    targetEntity: 'incident',
    targetId: incidentId,
    probability: candidates[0]!.probability,
    modelType: RECOMMENDER_MODEL,
    modelVersion: RECOMMENDER_VERSION,
    metadata: {
      candidates: candidates.map((c) => ({ id: c.entryId, probability: c.probability })),
      ...metadata,
    },
  };
}

export function predictionsApi(api: ApiContext) {
  const { ctx, db } = api;

  async function storeOne(data: PredictionData): Promise<string> {
    const valid = validateInput(predictionInputSchema, data, 'prediction');
    return ctx.write('analytics.predict', async (scope) => {
      const row = await insertPrediction(scope, valid);
      scope.audit({
        action: 'create',
        entity: 'prediction',
        entityId: row.id,
        detail: { type: row.prediction_type, model: `${row.model_type}@${row.model_version}` },
      });
      return row.id;
    });
  }

  async function recommendFor(
    incident: string | IncidentText,
    options: RecommendOptions = {},
  ): Promise<RecommendResult> {
    const opts = validateInput(recommendOptions, options, 'options');
    let text: IncidentText;
    let incidentId: string | null = null;
    if (typeof incident === 'string') {
      ctx.authorize('analytics.read');
      const found = await incidentsOf(api.storage()).getIncident(validateInput(idArg, incident, 'incident'));
      incidentId = found.id;
      text = { title: found.title, description: found.description, errorCodes: found.errorCodes };
    } else {
      ctx.authorize('analytics.read');
      text = validateInput(incidentText, incident, 'incident');
    }
    const candidates = await recommend(api.storage(), text, opts.limit);
    const record = opts.record ?? incidentId !== null;
    let predictionId: string | null = null;
    if (record) {
      if (incidentId === null) {
        throw new ValidationError(
          'a recommendation for text, not an incident, cannot be recorded: nothing would score it',
          [{ path: 'options.record', message: 'needs an incident id' }],
        );
      }
      if (candidates.length > 0) {
        predictionId = await ctx.write('analytics.predict', async (scope) => {
          const row = await insertPrediction(scope, recommendationPrediction(incidentId!, candidates));
          scope.audit({
            action: 'create',
            entity: 'prediction',
            entityId: row.id,
            detail: { type: row.prediction_type },
          });
          return row.id;
        });
      }
    }
    return {
      predictionId,
      incidentId,
      candidates,
      modelType: RECOMMENDER_MODEL,
      modelVersion: RECOMMENDER_VERSION,
    };
  }

  async function forecast(options: ForecastOptions = {}): Promise<ForecastResult> {
    const opts = validateInput(forecastOptions, options, 'options');
    ctx.authorize(opts.record ? 'analytics.predict' : 'analytics.read');
    if (!api.sources().incidents) incidentsOf(api.storage());
    const to = closedBefore(api.now(), api.graceMs, DAY_MS);
    const from = to - opts.history * DAY_MS;
    const series = await computeSeries(api.series, {
      from,
      to,
      interval: 'day',
      metrics: ['incidents.opened'],
      by: opts.component ? 'component' : undefined,
    });
    const metric = series.metrics[0]!;
    const points = opts.component ? (metric.by?.[opts.component] ?? null) : metric.points;
    const history = (points ?? metric.points.map((p) => ({ ...p, value: 0 }))).map((p) =>
      Number(p.value ?? 0),
    );
    const fitted = selectedForecast(history, opts.days, { period: 7 });
    const naive = naiveForecast(history, opts.days);
    const modelVersion = `${fitted.model}-1`;
    const days: ForecastDay[] = fitted.values.map((value, i) => ({
      day: dayOf(iso(to + i * DAY_MS)),
      value,
      naive: naive[i]!,
      probability: 1 - Math.exp(-value),
      predictionId: null,
    }));
    if (opts.record) {
      await ctx.write('analytics.predict', async (scope) => {
        for (const d of days) {
          const row = await insertPrediction(scope, {
            type: FORECAST_TYPE,
            targetEntity: 'component',
            targetId: opts.component ?? '*',
            probability: d.probability,
            predictedValue: d.value,
            // Scored once the day has closed; unscored a week after, it expires.
            expiresAt: iso(Date.parse(`${d.day}T00:00:00.000Z`) + 8 * DAY_MS),
            modelType: FORECAST_MODEL,
            modelVersion,
            metadata: {
              day: d.day,
              component: opts.component ?? null,
              naive: d.naive,
              history: opts.history,
              // Not `candidates`: that key marks a recommendation's ranked entries.
              selection: fitted.candidates,
            },
          });
          d.predictionId = row.id;
        }
        scope.audit({
          action: 'create',
          entity: 'prediction',
          entityId: null,
          detail: { type: FORECAST_TYPE, days: days.length, component: opts.component ?? '*' },
        });
      });
    }
    return {
      component: opts.component ?? null,
      model: fitted.model,
      candidates: fitted.candidates,
      modelType: FORECAST_MODEL,
      modelVersion,
      historyFrom: dayOf(iso(from)),
      history,
      days,
    };
  }

  /**
   * Scores every prediction whose outcome the store now knows: a recommendation whose incident was resolved with a
   * KB entry, a forecast whose day has closed. Idempotent; run it before reading accuracy.
   */
  async function scorePending(): Promise<ScoreResult> {
    ctx.authorize('analytics.predict');
    const result: ScoreResult = { recommendations: 0, forecasts: 0 };
    if (!api.sources().incidents) return result;
    const resolved = await db
      .selectFrom('predictions as p')
      .innerJoin('incidents as i', 'i.id', 'p.target_id')
      .select(['p.id', 'i.kb_entry_id'])
      .where('p.prediction_type', '=', RECOMMENDATION_TYPE)
      .where('p.target_entity', '=', 'incident')
      .where('p.outcome_at', 'is', null)
      .where('i.resolved_at', 'is not', null)
      .where('i.kb_entry_id', 'is not', null)
      .execute();
    for (let i = 0; i < resolved.length; i += 500) {
      const batch = resolved.slice(i, i + 500);
      await ctx.write('analytics.predict', async (scope) => {
        for (const r of batch) await applyOutcome(scope, r.id, r.kb_entry_id!, scope.now);
      });
      result.recommendations += batch.length;
    }
    const closedTo = dayOf(iso(closedBefore(api.now(), api.graceMs, DAY_MS)));
    const forecasts = await db
      .selectFrom('predictions')
      .select(['id', 'target_id', 'metadata'])
      .where('prediction_type', '=', FORECAST_TYPE)
      .where('outcome_at', 'is', null)
      .execute();
    const byDay = new Map<string, { id: string; component: string }[]>();
    for (const f of forecasts) {
      const day = (JSON.parse(f.metadata) as { day?: unknown }).day;
      if (typeof day !== 'string' || day >= closedTo) continue;
      const list = byDay.get(day) ?? [];
      list.push({ id: f.id, component: f.target_id });
      byDay.set(day, list);
    }
    for (const [day, list] of byDay) {
      const start = `${day}T00:00:00.000Z`;
      const end = iso(Date.parse(start) + DAY_MS);
      const counts = await db
        .selectFrom('incidents')
        .select(['component'])
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('created_at', '>=', start)
        .where('created_at', '<', end)
        .groupBy('component')
        .execute();
      const byComponent = new Map(counts.map((c) => [c.component ?? '', Number(c.n)]));
      const all = counts.reduce((s, c) => s + Number(c.n), 0);
      await ctx.write('analytics.predict', async (scope) => {
        for (const f of list) {
          const observed = f.component === '*' ? all : (byComponent.get(f.component) ?? 0);
          await applyOutcome(scope, f.id, observed, scope.now);
        }
      });
      result.forecasts += list.length;
    }
    return result;
  }

  return {
    storePrediction: storeOne,

    async getPrediction(id: string): Promise<Prediction> {
      const valid = validateInput(idArg, id, 'id');
      return ctx.read('analytics.read', async () => toPrediction(await findPrediction(db, valid)));
    },

    async listPredictions(query: PredictionQuery = {}): Promise<Prediction[]> {
      const q = validateInput(predictionQuery, query, 'query');
      return ctx.read('analytics.read', async () => {
        let sel = db
          .selectFrom('predictions')
          .selectAll()
          .orderBy('predicted_at', 'desc')
          .orderBy('id')
          .limit(q.limit);
        if (q.type) sel = sel.where('prediction_type', '=', q.type);
        if (q.targetEntity) sel = sel.where('target_entity', '=', q.targetEntity);
        if (q.targetId) sel = sel.where('target_id', '=', q.targetId);
        if (q.modelType) sel = sel.where('model_type', '=', q.modelType);
        if (q.modelVersion) sel = sel.where('model_version', '=', q.modelVersion);
        if (q.state === 'pending') sel = sel.where('outcome_at', 'is', null);
        if (q.state === 'scored') sel = sel.where('outcome_at', 'is not', null);
        return (await sel.execute()).map((r: PredictionRow) => toPrediction(r));
      });
    },

    async recordOutcome(id: string, input: OutcomeInput): Promise<Prediction> {
      const validId = validateInput(idArg, id, 'id');
      const valid = validateInput(outcomeInputSchema, input, 'outcome');
      return ctx.write('analytics.predict', async (scope) => {
        const { row } = await applyOutcome(scope, validId, valid.outcome, valid.at ?? scope.now);
        return toPrediction(row);
      });
    },

    async deletePrediction(id: string): Promise<boolean> {
      const validId = validateInput(idArg, id, 'id');
      return ctx.write('analytics.delete', async (scope) => {
        const res = await scope.trx.deleteFrom('predictions').where('id', '=', validId).executeTakeFirst();
        const deleted = Number(res.numDeletedRows) > 0;
        if (deleted) scope.audit({ action: 'delete', entity: 'prediction', entityId: validId });
        return deleted;
      });
    },

    recommend: recommendFor,
    forecast,
    scorePending,

    async accuracy(filter: AccuracyFilter = {}): Promise<ModelAccuracy[]> {
      const valid = validateInput(
        z.strictObject({
          modelType: z.string().max(64).optional(),
          modelVersion: z.string().max(64).optional(),
          type: z.string().max(64).optional(),
        }),
        filter,
        'filter',
      );
      return ctx.read('analytics.read', () => accuracyReport(db, valid, iso(api.now())));
    },
  };
}

export type PredictionsApi = ReturnType<typeof predictionsApi>;
