/**
 * Pure accuracy statistics for predictions. No I/O, no store access.
 */

export interface RankedPrediction {
  /** Candidates, best first. */
  ranked: readonly string[];
  /** What actually happened; `null` when not (yet) known. */
  actual: string | null;
}

export interface TopKResult {
  hits: number;
  total: number;
  /** `hits / total`, or `null` when no prediction has a known actual. */
  accuracy: number | null;
}

export interface ProbabilityOutcome {
  probability: number;
  outcome: 0 | 1;
}

export interface CalibrationBin {
  from: number;
  to: number;
  count: number;
  meanPredicted: number | null;
  observedRate: number | null;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

function assertPairs(pairs: readonly ProbabilityOutcome[]): void {
  pairs.forEach((pair, index) => {
    const p = pair.probability;
    if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) {
      throw new RangeError(`probability at index ${index} must be within [0, 1], got ${p}`);
    }
    if (pair.outcome !== 0 && pair.outcome !== 1) {
      throw new RangeError(`outcome at index ${index} must be 0 or 1, got ${String(pair.outcome)}`);
    }
  });
}

/** Share of predictions whose actual is among the first `k` ranked candidates. */
export function topKAccuracy(predictions: readonly RankedPrediction[], k: number): TopKResult {
  assertPositiveInteger('k', k);
  let hits = 0;
  let total = 0;
  for (const prediction of predictions) {
    if (prediction.actual === null) continue;
    total += 1;
    if (prediction.ranked.slice(0, k).includes(prediction.actual)) hits += 1;
  }
  return { hits, total, accuracy: total === 0 ? null : hits / total };
}

/** Mean squared error between probability and 0/1 outcome; `null` for no pairs. */
export function brierScore(pairs: readonly ProbabilityOutcome[]): number | null {
  assertPairs(pairs);
  if (pairs.length === 0) return null;
  let sum = 0;
  for (const { probability, outcome } of pairs) sum += (probability - outcome) ** 2;
  return sum / pairs.length;
}

/**
 * Reliability table over `bins` equal-width bins of [0, 1]. Bin `i` covers
 * `[i/bins, (i+1)/bins)`; a probability of exactly 1 falls in the last bin.
 */
export function calibration(pairs: readonly ProbabilityOutcome[], bins = 10): CalibrationBin[] {
  assertPositiveInteger('bins', bins);
  assertPairs(pairs);
  const counts = new Array<number>(bins).fill(0);
  const predicted = new Array<number>(bins).fill(0);
  const observed = new Array<number>(bins).fill(0);
  for (const { probability, outcome } of pairs) {
    const index = Math.min(Math.floor(probability * bins), bins - 1);
    counts[index] = (counts[index] ?? 0) + 1;
    predicted[index] = (predicted[index] ?? 0) + probability;
    observed[index] = (observed[index] ?? 0) + outcome;
  }
  return counts.map((count, i) => ({
    from: i / bins,
    to: (i + 1) / bins,
    count,
    meanPredicted: count === 0 ? null : (predicted[i] ?? 0) / count,
    observedRate: count === 0 ? null : (observed[i] ?? 0) / count,
  }));
}

/** Mean absolute error; refuses mismatched lengths, empty input and non-finite values. */
export function meanAbsoluteError(forecast: readonly number[], actual: readonly number[]): number {
  if (forecast.length !== actual.length) {
    throw new RangeError(`length mismatch: ${forecast.length} forecasts vs ${actual.length} actuals`);
  }
  if (forecast.length === 0) throw new RangeError('meanAbsoluteError needs at least one point');
  let sum = 0;
  for (let i = 0; i < forecast.length; i++) {
    const f = forecast[i] as number;
    const a = actual[i] as number;
    if (!Number.isFinite(f) || !Number.isFinite(a)) {
      throw new RangeError(`non-finite value at index ${i}`);
    }
    sum += Math.abs(f - a);
  }
  return sum / forecast.length;
}
