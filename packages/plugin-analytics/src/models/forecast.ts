/**
 * Simple, honest forecasters for daily incident counts. Pure functions.
 *
 * All forecasters refuse an empty or non-finite history and a horizon that is
 * not a non-negative integer (RangeError).
 */
import { meanAbsoluteError } from './accuracy.js';

/** Default smoothing constants for {@link seasonalForecast}. */
export const DEFAULT_SMOOTHING = Object.freeze({ alpha: 0.3, beta: 0.05, gamma: 0.2 });

export interface SeasonalOptions {
  period?: number;
  /** Level smoothing in [0, 1]; default 0.3. */
  alpha?: number;
  /** Trend smoothing in [0, 1]; default 0.05. */
  beta?: number;
  /** Seasonal smoothing in [0, 1]; default 0.2. */
  gamma?: number;
}

export type ForecastModel = 'holt-winters' | 'seasonal-naive' | 'naive';

export interface SeasonalForecastResult {
  values: number[];
  model: ForecastModel;
}

export interface BacktestOptions extends SeasonalOptions {
  /** Steps forecast from each origin; default 1. */
  horizon?: number;
  /** First origin: observations used for the first fit; default `2 * period`. */
  from?: number;
}

export interface BacktestResult {
  /** Number of (origin, step) points compared. */
  points: number;
  seasonalMae: number;
  naiveMae: number;
  /** `seasonalMae / naiveMae`; `null` when the naive MAE is 0. */
  ratio: number | null;
}

function assertHistory(history: readonly number[]): void {
  if (history.length === 0) throw new RangeError('history must not be empty');
  history.forEach((value, index) => {
    if (!Number.isFinite(value)) throw new RangeError(`history value at index ${index} is not finite`);
  });
}

function assertHorizon(horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 0) {
    throw new RangeError(`horizon must be a non-negative integer, got ${horizon}`);
  }
}

function assertPeriod(period: number): void {
  if (!Number.isInteger(period) || period < 1) {
    throw new RangeError(`period must be a positive integer, got ${period}`);
  }
}

function assertUnit(name: string, value: number): void {
  if (Number.isNaN(value) || value < 0 || value > 1) {
    throw new RangeError(`${name} must be within [0, 1], got ${value}`);
  }
}

const at = (values: readonly number[], index: number): number => values[index] as number;

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Tomorrow = today: the last observed value repeated `horizon` times. */
export function naiveForecast(history: readonly number[], horizon: number): number[] {
  assertHistory(history);
  assertHorizon(horizon);
  return new Array<number>(horizon).fill(at(history, history.length - 1));
}

/** Each step repeats the value observed one `period` earlier. Needs at least one full period. */
export function seasonalNaiveForecast(history: readonly number[], horizon: number, period = 7): number[] {
  assertHistory(history);
  assertHorizon(horizon);
  assertPeriod(period);
  if (history.length < period) {
    throw new RangeError(`seasonal-naive needs at least ${period} values, got ${history.length}`);
  }
  const start = history.length - period;
  return Array.from({ length: horizon }, (_, h) => at(history, start + (h % period)));
}

/**
 * Additive Holt-Winters (level, trend, seasonal), forecasts clamped at >= 0.
 *
 * Initialisation from the first two periods (p = period, m1/m2 = their means):
 *   trend  T = (m2 - m1) / p
 *   level  L = m1 + T * (p - 1) / 2          (level at the end of period one)
 *   season s[i] = x[i] - (m1 + T * (i - (p - 1) / 2))   for i in 0..p-1
 * then, for t = p .. n-1 (s indexed by t mod p):
 *   L' = alpha (x[t] - s) + (1 - alpha)(L + T)
 *   T' = beta (L' - L) + (1 - beta) T
 *   s' = gamma (x[t] - L') + (1 - gamma) s
 * and forecast h steps ahead = L + h T + s[(n - 1 + h) mod p].
 *
 * With fewer than two periods of history it falls back to seasonal-naive
 * (at least one period) or naive, and says so in `model`.
 */
export function seasonalForecast(
  history: readonly number[],
  horizon: number,
  options: SeasonalOptions = {},
): SeasonalForecastResult {
  const period = options.period ?? 7;
  const alpha = options.alpha ?? DEFAULT_SMOOTHING.alpha;
  const beta = options.beta ?? DEFAULT_SMOOTHING.beta;
  const gamma = options.gamma ?? DEFAULT_SMOOTHING.gamma;
  assertHistory(history);
  assertHorizon(horizon);
  assertPeriod(period);
  assertUnit('alpha', alpha);
  assertUnit('beta', beta);
  assertUnit('gamma', gamma);
  const clamp = (values: number[]): number[] => values.map((v) => Math.max(0, v));

  const n = history.length;
  if (n < 2 * period) {
    if (n >= period)
      return { values: clamp(seasonalNaiveForecast(history, horizon, period)), model: 'seasonal-naive' };
    return { values: clamp(naiveForecast(history, horizon)), model: 'naive' };
  }

  const m1 = mean(history.slice(0, period));
  const m2 = mean(history.slice(period, 2 * period));
  let trend = (m2 - m1) / period;
  const centre = (period - 1) / 2;
  let level = m1 + trend * centre;
  const season = Array.from({ length: period }, (_, i) => at(history, i) - (m1 + trend * (i - centre)));

  for (let t = period; t < n; t++) {
    const x = at(history, t);
    const j = t % period;
    const s = at(season, j);
    const previousLevel = level;
    level = alpha * (x - s) + (1 - alpha) * (level + trend);
    trend = beta * (level - previousLevel) + (1 - beta) * trend;
    season[j] = gamma * (x - level) + (1 - gamma) * s;
  }

  const values = Array.from(
    { length: horizon },
    (_, i) => level + (i + 1) * trend + at(season, (n + i) % period),
  );
  return { values: clamp(values), model: 'holt-winters' };
}

/**
 * Rolling-origin evaluation. For every origin o in [from, n - horizon], both
 * models are fitted on history[0..o) and their `horizon` forecasts compared
 * with history[o .. o + horizon); MAE is taken over all those points.
 */
export function backtest(history: readonly number[], options: BacktestOptions = {}): BacktestResult {
  const period = options.period ?? 7;
  const horizon = options.horizon ?? 1;
  const from = options.from ?? 2 * period;
  assertHistory(history);
  assertPeriod(period);
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new RangeError(`horizon must be a positive integer, got ${horizon}`);
  }
  if (!Number.isInteger(from) || from < 1 || from + horizon > history.length) {
    throw new RangeError(
      `from must be an integer in [1, ${history.length - horizon}] for ${history.length} values and horizon ${horizon}, got ${from}`,
    );
  }
  const actual: number[] = [];
  const seasonal: number[] = [];
  const naive: number[] = [];
  for (let origin = from; origin + horizon <= history.length; origin++) {
    const train = history.slice(0, origin);
    actual.push(...history.slice(origin, origin + horizon));
    seasonal.push(
      ...seasonalForecast(train, horizon, {
        period,
        alpha: options.alpha,
        beta: options.beta,
        gamma: options.gamma,
      }).values,
    );
    naive.push(...naiveForecast(train, horizon));
  }
  const seasonalMae = meanAbsoluteError(seasonal, actual);
  const naiveMae = meanAbsoluteError(naive, actual);
  return {
    points: actual.length,
    seasonalMae,
    naiveMae,
    ratio: naiveMae === 0 ? null : seasonalMae / naiveMae,
  };
}

export interface SelectedForecast {
  values: number[];
  /** The model that made `values`. */
  model: ForecastModel;
  /** Each candidate's MAE over the recent origins it was judged on (null when the history was too short). */
  candidates: { model: ForecastModel; mae: number | null }[];
}

/**
 * Holt-Winters or seasonal-naive, whichever forecast the last `judge` origins better (rolling origin, the same
 * horizon, MAE over the points it can check); seasonal-naive on a tie. With under two periods of history plus a
 * horizon to judge on, it is `seasonalForecast`'s own choice. A smoothed model wins on noisy series; last week's
 * value wins on a steady shape, and the selection measures which this series is instead of assuming it.
 */
export function selectedForecast(
  history: readonly number[],
  horizon: number,
  options: SeasonalOptions & { judge?: number } = {},
): SelectedForecast {
  assertHistory(history);
  assertHorizon(horizon);
  const period = options.period ?? 7;
  assertPeriod(period);
  const judge = options.judge ?? 4 * period;
  const step = Math.max(1, horizon);
  const first = Math.max(2 * period, history.length - judge - step + 1);
  if (horizon === 0 || first + step > history.length) {
    const fitted = seasonalForecast(history, horizon, options);
    return { ...fitted, candidates: [{ model: fitted.model, mae: null }] };
  }
  const errors = { 'holt-winters': 0, 'seasonal-naive': 0 };
  let points = 0;
  for (let origin = first; origin + step <= history.length; origin++) {
    const train = history.slice(0, origin);
    const hw = seasonalForecast(train, step, options).values;
    const sn = seasonalNaiveForecast(train, step, period);
    for (let h = 0; h < step; h++) {
      const actual = at(history, origin + h);
      errors['holt-winters'] += Math.abs(at(hw, h) - actual);
      errors['seasonal-naive'] += Math.abs(Math.max(0, at(sn, h)) - actual);
      points++;
    }
  }
  const hwMae = errors['holt-winters'] / points;
  const snMae = errors['seasonal-naive'] / points;
  const model: ForecastModel = hwMae < snMae ? 'holt-winters' : 'seasonal-naive';
  const values =
    model === 'holt-winters'
      ? seasonalForecast(history, horizon, options).values
      : seasonalNaiveForecast(history, horizon, period).map((v) => Math.max(0, v));
  return {
    values,
    model,
    candidates: [
      { model: 'holt-winters', mae: hwMae },
      { model: 'seasonal-naive', mae: snMae },
    ],
  };
}
