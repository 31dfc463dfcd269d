import type { Storage } from '@mainframe-kb/storage-core';

/** Searches every store is timed with: the mainframe codes support analysts look up most. */
export const FIXED_QUERIES: readonly string[] = [
  'S0C7',
  'VSAM status 35',
  'SQLCODE',
  'abend dump',
  'JCL error',
];

export const DEFAULT_MAX_SLOWDOWN = 2;

/**
 * A slowdown smaller than this in total is not judged: on a small store every search takes well under a
 * millisecond, and a ratio of such times measures the machine's noise, not the upgrade.
 */
export const SLOWDOWN_FLOOR_MS = 10;

/** Timed runs per query; the median counts. */
const RUNS = 5;
/** Untimed passes over every query first: the first searches of a process also time its warming up. */
const WARM_UP_PASSES = 2;

/** The fixed queries and words from the titles of up to three of the store's own entries. */
export async function benchmarkQueries(storage: Storage): Promise<string[]> {
  const { entries } = await storage.listEntries({ limit: 3 });
  const own = entries
    .map((e) => (e.title.match(/[A-Za-z0-9]{2,}/g) ?? []).slice(0, 3).join(' '))
    .filter((q) => q.length > 0);
  return [...new Set([...FIXED_QUERIES, ...own])];
}

export interface SearchTiming {
  /** Sum over the queries of each one's median time. */
  readonly totalMs: number;
  readonly medians: Readonly<Record<string, number>>;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times `queries` as `kb search` runs them, without recording them in the store's search history (a
 * benchmark is not a user's search). The store should be opened with the result cache off.
 */
export async function timeSearches(storage: Storage, queries: readonly string[]): Promise<SearchTiming> {
  const search = (query: string) => storage.search(query, { recordHistory: false });
  for (let pass = 0; pass < WARM_UP_PASSES; pass += 1) for (const query of queries) await search(query);
  const times = new Map<string, number[]>(queries.map((q) => [q, []]));
  // Pass by pass rather than query by query, so a hiccup of the machine spreads over the queries.
  for (let run = 0; run < RUNS; run += 1) {
    for (const query of queries) {
      const start = performance.now();
      await search(query);
      times.get(query)!.push(performance.now() - start);
    }
  }
  const medians: Record<string, number> = {};
  let totalMs = 0;
  for (const [query, list] of times) {
    medians[query] = median(list);
    totalMs += medians[query];
  }
  return { totalMs, medians };
}

export interface SlowdownVerdict {
  readonly ok: boolean;
  /** After / before. */
  readonly ratio: number;
  readonly detail: string;
}

/**
 * The performance check: it fails when the searches take more than `maxSlowdown` times as long as before,
 * and at least `floorMs` more in total.
 */
export function judgeSlowdown(
  beforeMs: number,
  afterMs: number,
  maxSlowdown: number,
  floorMs: number = SLOWDOWN_FLOOR_MS,
): SlowdownVerdict {
  const ratio = afterMs / Math.max(beforeMs, 1e-3);
  const ok = ratio <= maxSlowdown || afterMs - beforeMs < floorMs;
  const times = `${beforeMs.toFixed(2)} ms before, ${afterMs.toFixed(2)} ms after (${ratio.toFixed(2)}×)`;
  return {
    ok,
    ratio,
    detail: ok
      ? `searches took ${times}; limit ${maxSlowdown}× (and +${floorMs} ms)`
      : `searches are slower than allowed: ${times}, limit ${maxSlowdown}× and +${floorMs} ms`,
  };
}
