import type { Kysely } from 'kysely';
import { brierScore, type CalibrationBin, calibration, meanAbsoluteError } from '../models/accuracy.js';
import type { AnalyticsDatabase } from '../schema/analytics-database.js';
import { candidatesOf } from './scoring.js';

/** Accuracy of one model version, from its stored predictions and their outcomes. */
export interface ModelAccuracy {
  modelType: string;
  modelVersion: string;
  predictionTypes: string[];
  predictions: number;
  scored: number;
  /** No outcome yet and not expired. */
  pending: number;
  /** No outcome and past `expiresAt`. */
  expired: number;
  /** Mean accuracy score of the scored predictions. */
  meanScore: number | null;
  /** Recommendations: share whose actual entry was first / among the first three candidates. */
  top1: number | null;
  top3: number | null;
  /** Probabilities against what happened (a recommendation's first candidate being right; a yes/no; a count ≥ 1). */
  brier: number | null;
  calibration: CalibrationBin[];
  /** Numeric predictions: mean absolute error, and the naive forecast's (the value recorded beside each). */
  mae: number | null;
  naiveMae: number | null;
  /** `mae / naiveMae`: below 1 means the model beats the naive forecast. */
  maeRatio: number | null;
}

export interface AccuracyFilter {
  modelType?: string | undefined;
  modelVersion?: string | undefined;
  type?: string | undefined;
}

export async function accuracyReport(
  db: Kysely<AnalyticsDatabase>,
  filter: AccuracyFilter,
  now: string,
): Promise<ModelAccuracy[]> {
  let query = db
    .selectFrom('predictions')
    .select([
      'prediction_type',
      'model_type',
      'model_version',
      'probability',
      'predicted_value',
      'observed_value',
      'accuracy_score',
      'outcome_at',
      'expires_at',
      'metadata',
    ])
    .orderBy('model_type')
    .orderBy('model_version');
  if (filter.modelType) query = query.where('model_type', '=', filter.modelType);
  if (filter.modelVersion) query = query.where('model_version', '=', filter.modelVersion);
  if (filter.type) query = query.where('prediction_type', '=', filter.type);
  const rows = await query.execute();
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.model_type}\0${r.model_version}`;
    const list = groups.get(key);
    if (list) list.push(r);
    else groups.set(key, [r]);
  }
  const reports: ModelAccuracy[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    let scored = 0;
    let pending = 0;
    let expired = 0;
    let scoreSum = 0;
    let ranked = 0;
    let hit1 = 0;
    let hit3 = 0;
    const pairs: { probability: number; outcome: 0 | 1 }[] = [];
    const forecast: number[] = [];
    const naive: number[] = [];
    const actual: number[] = [];
    const actualWithNaive: number[] = [];
    const forecastWithNaive: number[] = [];
    for (const r of list) {
      if (r.outcome_at === null) {
        if (r.expires_at !== null && r.expires_at < now) expired++;
        else pending++;
        continue;
      }
      scored++;
      scoreSum += Number(r.accuracy_score ?? 0);
      const metadata = JSON.parse(r.metadata) as Record<string, unknown>;
      if (candidatesOf(metadata)) {
        ranked++;
        const rank = typeof metadata.hitRank === 'number' ? metadata.hitRank : null;
        if (rank === 1) hit1++;
        if (rank !== null && rank <= 3) hit3++;
        pairs.push({ probability: Number(r.probability), outcome: rank === 1 ? 1 : 0 });
      } else {
        if (typeof metadata.happened === 'boolean') {
          pairs.push({ probability: Number(r.probability), outcome: metadata.happened ? 1 : 0 });
        }
        if (r.predicted_value !== null && r.observed_value !== null) {
          forecast.push(Number(r.predicted_value));
          actual.push(Number(r.observed_value));
          if (typeof metadata.naive === 'number') {
            naive.push(metadata.naive);
            actualWithNaive.push(Number(r.observed_value));
            forecastWithNaive.push(Number(r.predicted_value));
          }
        }
      }
    }
    const mae = forecast.length > 0 ? meanAbsoluteError(forecast, actual) : null;
    // Both errors over the same predictions: those that recorded a naive value beside them.
    const modelMaeOnNaive = naive.length > 0 ? meanAbsoluteError(forecastWithNaive, actualWithNaive) : null;
    const naiveMae = naive.length > 0 ? meanAbsoluteError(naive, actualWithNaive) : null;
    reports.push({
      modelType: first.model_type,
      modelVersion: first.model_version,
      predictionTypes: [...new Set(list.map((r) => r.prediction_type))].sort(),
      predictions: list.length,
      scored,
      pending,
      expired,
      meanScore: scored > 0 ? scoreSum / scored : null,
      top1: ranked > 0 ? hit1 / ranked : null,
      top3: ranked > 0 ? hit3 / ranked : null,
      brier: pairs.length > 0 ? brierScore(pairs) : null,
      calibration: pairs.length > 0 ? calibration(pairs, 10).filter((b) => b.count > 0) : [],
      mae,
      naiveMae,
      maeRatio:
        modelMaeOnNaive !== null && naiveMae !== null && naiveMae > 0 ? modelMaeOnNaive / naiveMae : null,
    });
  }
  return reports;
}
