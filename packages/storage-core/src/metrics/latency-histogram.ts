export interface LatencySummary {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** Operations that took at least the slow threshold (`performance.monitoring.slowQueryMs`). */
  slow: number;
}

/**
 * Latency samples of one operation in a fixed ring buffer: percentiles reflect the most recent `capacity`
 * operations, memory stays bounded however long the process runs.
 */
/** The `q` quantile (nearest rank) of ascending `sorted` samples; 0 with none. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export class LatencyHistogram {
  readonly #samples: Float64Array;
  #next = 0;
  #filled = 0;
  #count = 0;
  #errors = 0;
  #slow = 0;
  #max = 0;
  #sum = 0;

  constructor(
    capacity: number,
    private readonly slowMs = Number.POSITIVE_INFINITY,
  ) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number, failed = false): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    this.#filled = Math.min(this.#filled + 1, this.#samples.length);
    this.#count += 1;
    this.#sum += ms;
    if (failed) this.#errors += 1;
    if (ms >= this.slowMs) this.#slow += 1;
    if (ms > this.#max) this.#max = ms;
  }

  summary(): LatencySummary {
    const sorted = this.#samples.slice(0, this.#filled).sort();
    const at = (q: number) => percentile(sorted, q);
    return {
      count: this.#count,
      errors: this.#errors,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: this.#max,
      mean: this.#count === 0 ? 0 : this.#sum / this.#count,
      slow: this.#slow,
    };
  }
}
