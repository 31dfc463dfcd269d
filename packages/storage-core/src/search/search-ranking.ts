/**
 * How usage and feedback blend into relevance. The text score (BM25) is divided by the best text score of
 * the response, so it lies in (0, 1]; popularity lies in [0, 1]; the final score is
 *
 *   (1 − usageWeight) · text + usageWeight · popularity
 *
 * with `usageWeight` from `performance.indexing.usageWeight` (0.15 by default): popularity reorders entries
 * whose text relevance is close and can never lift a weak text match over a strong one.
 *
 * Popularity is the mean of two parts:
 * - use: log(1 + uses) / log(1 + 1000), capped at 1 — the thousandth view adds as much as the first few;
 * - success: a Bayesian average (successes + m·μ) / (successes + failures + m) with prior μ = 0.5 and weight
 *   m = 4, so an entry nobody has rated yet scores 0.5 — neither punished for being new nor ranked above an
 *   entry with a proven record — and one failure does not sink an entry.
 */

export interface UsageCounts {
  usageCount: number;
  successCount: number;
  failureCount: number;
}

const USE_SATURATION = Math.log1p(1000);
export const SUCCESS_PRIOR = { mean: 0.5, weight: 4 } as const;

export function usageScore(uses: number): number {
  return Math.min(1, Math.log1p(Math.max(0, uses)) / USE_SATURATION);
}

export function successScore(successes: number, failures: number): number {
  const s = Math.max(0, successes);
  const f = Math.max(0, failures);
  return (s + SUCCESS_PRIOR.weight * SUCCESS_PRIOR.mean) / (s + f + SUCCESS_PRIOR.weight);
}

export function popularityScore(counts: UsageCounts): number {
  return 0.5 * usageScore(counts.usageCount) + 0.5 * successScore(counts.successCount, counts.failureCount);
}

/** `text` already normalised to (0, 1]. */
export function blendScore(text: number, popularity: number, usageWeight: number): number {
  return (1 - usageWeight) * text + usageWeight * popularity;
}

export type SortBy = 'relevance' | 'usage' | 'recent' | 'success';

/** A match with what ranking needs; `final` is filled in by `rankRows`. */
export interface ScoredRow extends UsageCounts {
  seq: number;
  /** Text relevance (BM25, larger is better); 0 for filter-only listings. */
  text: number;
  updatedAt: string;
  final: number;
}

/**
 * Computes each row's final score and sorts: by final score for relevance, else by the asked-for key with
 * the final score breaking ties. The entry key breaks remaining ties, so pages never overlap.
 */
export function rankRows(rows: ScoredRow[], sortBy: SortBy, usageWeight: number): void {
  let best = 0;
  for (const r of rows) if (r.text > best) best = r.text;
  // Filter-only listings have no text score: popularity alone orders them.
  const weight = best > 0 ? usageWeight : 1;
  for (const r of rows) r.final = blendScore(best > 0 ? r.text / best : 0, popularityScore(r), weight);
  const tie = (a: ScoredRow, b: ScoredRow) => b.final - a.final || a.seq - b.seq;
  const key: Record<SortBy, (a: ScoredRow, b: ScoredRow) => number> = {
    relevance: tie,
    usage: (a, b) => b.usageCount - a.usageCount || tie(a, b),
    recent: (a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : tie(a, b)),
    success: (a, b) =>
      successScore(b.successCount, b.failureCount) - successScore(a.successCount, a.failureCount) ||
      tie(a, b),
  };
  rows.sort(key[sortBy]);
}

/**
 * An upper bound of any entry's popularity from the largest use count (read from its index): the success
 * part is bounded by 1, which the Bayesian average never reaches. The usage blend uses it to stop reading
 * counters once nothing further down can reach the page.
 */
export function popularityCeiling(maxUses: number | null): number {
  return maxUses === null ? 1 : 0.5 * usageScore(Number(maxUses)) + 0.5;
}
