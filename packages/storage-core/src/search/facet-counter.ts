import type { FacetCount, SearchFacets } from './search-types.js';

/** Tags listed in a response's facets (the most frequent ones). */
export const MAX_TAG_FACETS = 20;

/** Counts category, severity and tag values over a set of entries. */
export class FacetCounter {
  readonly #category = new Map<string, number>();
  readonly #severity = new Map<string, number>();
  readonly #tags = new Map<string, number>();
  #entries = 0;

  get entries(): number {
    return this.#entries;
  }

  add(category: string, severity: string, tags: readonly string[], weight = 1): void {
    this.#entries += weight;
    this.#category.set(category, (this.#category.get(category) ?? 0) + weight);
    this.#severity.set(severity, (this.#severity.get(severity) ?? 0) + weight);
    for (const tag of new Set(tags)) this.#tags.set(tag, (this.#tags.get(tag) ?? 0) + weight);
  }

  /** Exact counts, most frequent first (ties by value). */
  facets(): SearchFacets {
    return {
      category: sorted(this.#category),
      severity: sorted(this.#severity),
      tags: sorted(this.#tags).slice(0, MAX_TAG_FACETS),
    };
  }

  /**
   * Counts scaled from a sample to `total` entries. Category and severity counts are rounded by largest
   * remainder so that each facet still sums to `total`, as exact facets do.
   */
  scaledFacets(total: number): SearchFacets {
    const factor = this.#entries === 0 ? 0 : total / this.#entries;
    return {
      category: apportion(this.#category, factor, total),
      severity: apportion(this.#severity, factor, total),
      tags: sorted(new Map([...this.#tags].map(([k, v]) => [k, Math.min(total, Math.round(v * factor))])))
        .filter((c) => c.count > 0)
        .slice(0, MAX_TAG_FACETS),
    };
  }
}

function sorted(counts: Map<string, number>): FacetCount[] {
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

function apportion(counts: Map<string, number>, factor: number, total: number): FacetCount[] {
  const exact = [...counts].map(([value, n]) => ({ value, raw: n * factor }));
  const floors = exact.map((e) => ({
    value: e.value,
    count: Math.floor(e.raw),
    rest: e.raw - Math.floor(e.raw),
  }));
  let missing = total - floors.reduce((n, f) => n + f.count, 0);
  for (const f of [...floors].sort((a, b) => b.rest - a.rest)) {
    if (missing <= 0) break;
    f.count += 1;
    missing -= 1;
  }
  return sorted(new Map(floors.filter((f) => f.count > 0).map((f) => [f.value, f.count])));
}
