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

/** Timed runs per query; the fastest counts. */
const RUNS = 5;
/** Untimed passes over every query first: the first searches of a process also time its warming up. */
const WARM_UP_PASSES = 2;

/**
 * A fixed piece of CPU work, timed beside every pass of searches: how fast this machine is right now. Under
 * other work the searches and this slow down together, so their ratio measures the store, not the machine.
 */
const REFERENCE_INPUT: readonly string[] = Array.from({ length: 4_096 }, (_, i) =>
  (Math.imul(i + 1, 2_654_435_761) >>> 0).toString(36),
);
function timeReference(): number {
  const start = performance.now();
  // A sort of strings: allocation, comparisons and memory, as a search has.
  [...REFERENCE_INPUT].sort();
  return performance.now() - start;
}

/** The fixed queries and words from the titles of up to three of the store's own entries. */
export async function benchmarkQueries(storage: Storage): Promise<string[]> {
  const { entries } = await storage.listEntries({ limit: 3 });
  const own = entries
    .map((e) => (e.title.match(/[A-Za-z0-9]{2,}/g) ?? []).slice(0, 3).join(' '))
    .filter((q) => q.length > 0);
  return [...new Set([...FIXED_QUERIES, ...own])];
}

export interface SearchTiming {
  /** Sum over the queries of each one's fastest time. */
  readonly totalMs: number;
  readonly fastest: Readonly<Record<string, number>>;
  /** The fastest time of the reference work timed beside the searches. */
  readonly referenceMs: number;
}

/**
 * Times `queries` as `kb search` runs them, without recording them in the store's search history (a
 * benchmark is not a user's search). The store should be opened with the result cache off.
 *
 * Each query counts with its fastest of {@link RUNS} runs: the search's own cost, the least disturbed by
 * whatever else the machine does. The reference work runs before every pass, so a machine that became
 * busier between two timings shows in the reference as much as in the searches.
 */
export async function timeSearches(storage: Storage, queries: readonly string[]): Promise<SearchTiming> {
  const search = (query: string) => storage.search(query, { recordHistory: false });
  for (let pass = 0; pass < WARM_UP_PASSES; pass += 1) {
    timeReference();
    for (const query of queries) await search(query);
  }
  const times = new Map<string, number>(queries.map((q) => [q, Number.POSITIVE_INFINITY]));
  let referenceMs = Number.POSITIVE_INFINITY;
  // Pass by pass rather than query by query, so a hiccup of the machine spreads over the queries.
  for (let run = 0; run < RUNS; run += 1) {
    referenceMs = Math.min(referenceMs, timeReference());
    for (const query of queries) {
      const start = performance.now();
      await search(query);
      times.set(query, Math.min(times.get(query)!, performance.now() - start));
    }
  }
  const fastest: Record<string, number> = {};
  let totalMs = 0;
  for (const [query, ms] of times) {
    fastest[query] = ms;
    totalMs += ms;
  }
  return { totalMs, fastest, referenceMs: Math.max(referenceMs, 1e-3) };
}

/** What {@link judgeSlowdown} compares: the searches' time and the reference work's, from one timing. */
export type TimedRun = Pick<SearchTiming, 'totalMs' | 'referenceMs'>;

export interface SlowdownVerdict {
  readonly ok: boolean;
  /** After / before. */
  readonly ratio: number;
  readonly detail: string;
}

/**
 * The performance check: it fails when the searches take more than `maxSlowdown` times as long as before,
 * and at least `floorMs` more in total. The time after is first scaled by how much faster or slower the
 * reference work ran than it did before, so a machine that is busier now than it was does not fail an
 * upgrade that changed nothing.
 */
export function judgeSlowdown(
  before: TimedRun,
  after: TimedRun,
  maxSlowdown: number,
  floorMs: number = SLOWDOWN_FLOOR_MS,
): SlowdownVerdict {
  const machine = after.referenceMs / before.referenceMs;
  const beforeMs = before.totalMs;
  const afterMs = after.totalMs / machine;
  const ratio = afterMs / Math.max(beforeMs, 1e-3);
  const ok = ratio <= maxSlowdown || afterMs - beforeMs < floorMs;
  const scaled =
    Math.abs(machine - 1) < 0.05
      ? ''
      : ` (${after.totalMs.toFixed(2)} ms measured; the machine ran ${machine.toFixed(2)}× as slow as before)`;
  const times = `${beforeMs.toFixed(2)} ms before, ${afterMs.toFixed(2)} ms after${scaled}, ${ratio.toFixed(2)}×`;
  return {
    ok,
    ratio,
    detail: ok
      ? `searches took ${times}; limit ${maxSlowdown}× (and +${floorMs} ms)`
      : `searches are slower than allowed: ${times}, limit ${maxSlowdown}× and +${floorMs} ms`,
  };
}
