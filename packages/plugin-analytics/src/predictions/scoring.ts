/**
 * How an outcome scores a prediction. Every score is in [0, 1], higher is better:
 * - a recommendation (`metadata.candidates`, best first): 1 when the actual entry is the first candidate, else 0;
 *   the rank it had (or none) is kept for top-k accuracy;
 * - a numeric prediction (`predictedValue` set): 1 − |predicted − observed| / max(|predicted|, |observed|, 1);
 * - a yes/no prediction: 1 when the side the probability favoured (≥ 0.5 means yes) happened, else 0.
 */

export interface Scored {
  actualOutcome: string;
  observedValue: number | null;
  accuracyScore: number;
  /** For a recommendation: the actual entry's 1-based rank among the candidates, or null when absent. */
  hitRank?: number | null;
  /** For a yes/no or numeric prediction: whether the event happened (observed ≥ 1 for a count). */
  happened?: boolean;
}

export interface ScorablePrediction {
  probability: number;
  predictedValue: number | null;
  metadata: Record<string, unknown>;
}

export class OutcomeError extends Error {}

const YES = new Set(['true', 'yes', '1', 'y']);
const NO = new Set(['false', 'no', '0', 'n']);

export function candidatesOf(metadata: Record<string, unknown>): string[] | null {
  const list = metadata.candidates;
  if (!Array.isArray(list)) return null;
  return list.map((c) =>
    typeof c === 'string' ? c : c && typeof c === 'object' ? String((c as { id?: unknown }).id ?? '') : '',
  );
}

export function scoreOutcome(p: ScorablePrediction, outcome: boolean | number | string): Scored {
  const candidates = candidatesOf(p.metadata);
  if (candidates) {
    const actual = String(outcome);
    const index = candidates.indexOf(actual);
    return {
      actualOutcome: actual,
      observedValue: null,
      accuracyScore: index === 0 ? 1 : 0,
      hitRank: index < 0 ? null : index + 1,
    };
  }
  if (p.predictedValue !== null) {
    const observed = typeof outcome === 'number' ? outcome : Number(outcome);
    if (typeof outcome === 'boolean' || !Number.isFinite(observed)) {
      throw new OutcomeError(`a numeric prediction needs a number as its outcome, not '${String(outcome)}'`);
    }
    const scale = Math.max(Math.abs(p.predictedValue), Math.abs(observed), 1);
    return {
      actualOutcome: String(observed),
      observedValue: observed,
      accuracyScore: 1 - Math.min(1, Math.abs(p.predictedValue - observed) / scale),
      happened: observed >= 1,
    };
  }
  let happened: boolean;
  if (typeof outcome === 'boolean') happened = outcome;
  else {
    const text = String(outcome).trim().toLowerCase();
    if (YES.has(text)) happened = true;
    else if (NO.has(text)) happened = false;
    else
      throw new OutcomeError(
        `a yes/no prediction needs true or false as its outcome, not '${String(outcome)}'`,
      );
  }
  return {
    actualOutcome: String(happened),
    observedValue: happened ? 1 : 0,
    accuracyScore: p.probability >= 0.5 === happened ? 1 : 0,
    happened,
  };
}
