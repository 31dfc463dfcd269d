import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

export interface CacheStats {
  hits: number;
  misses: number;
  hitRate: number;
  size: number;
}

/** Per-operation latency and counts, plus named counters that plugins may add to. */
export class MetricsRegistry {
  readonly #histograms = new Map<string, LatencyHistogram>();
  readonly #counters = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly options: { slowMs?: number; enabled?: boolean } = {},
  ) {}

  record(operation: string, ms: number, failed = false): void {
    if (this.options.enabled === false) return;
    let histogram = this.#histograms.get(operation);
    if (!histogram) {
      histogram = new LatencyHistogram(this.capacity, this.options.slowMs);
      this.#histograms.set(operation, histogram);
    }
    histogram.record(ms, failed);
  }

  increment(counter: string, by = 1): void {
    this.#counters.set(counter, (this.#counters.get(counter) ?? 0) + by);
  }

  operations(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [name, histogram] of [...this.#histograms].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = histogram.summary();
    }
    return out;
  }

  counters(): Record<string, number> {
    return Object.fromEntries([...this.#counters].sort(([a], [b]) => a.localeCompare(b)));
  }
}
