import type { SearchResponse, Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableTestStores, generateQueries, loadSeedAnchorEntries } from '../src/index.js';

/**
 * The same queries give the same results on every dialect: the seed-anchor entries are loaded into a store
 * of each dialect this run reaches, and every query's first results must agree (as ordered groups of equal
 * score, so that ties may fall either way), as must totals, corrections and snippets.
 */

const targets = availableTestStores();
const reachable = targets.filter((t) => t.stores);
const skipped = targets.filter((t) => t.skipped);

const HAND_WRITTEN = [
  'S0C7',
  'S0C4 protection exception',
  'VSAM status 35',
  '"status 35"',
  'IEF212I',
  'SQLCODE -911',
  '-911',
  'U4038',
  'VASM',
  'abnd',
  'dataset not found',
  'abe*',
  'JCL -cobol',
  'db2 deadlock OR timeout',
  'category:VSAM open',
  'severity:critical',
  'tag:s0c7',
  'CICS transaction abend',
  'sort WER',
  'packed decimal',
];

/** Results as groups of ids with equal scores (rounded), in order; only the first `n` results count. */
function groups(response: SearchResponse, n: number): string[][] {
  const out: { score: string; ids: string[] }[] = [];
  for (const r of response.results.slice(0, n)) {
    const score = r.score.toFixed(9);
    const last = out[out.length - 1];
    if (last && last.score === score) last.ids.push(r.entry.id);
    else out.push({ score, ids: [r.entry.id] });
  }
  // The last group may be cut by `n`; compare only groups that are complete on every dialect.
  return out.map((g) => g.ids.sort());
}

describe(`search agrees across dialects (${reachable.map((t) => t.dialect).join(', ')}${
  skipped.length > 0 ? `; ${skipped.map((t) => `${t.dialect} ${t.skipped}`).join('; ')}` : ''
})`, () => {
  const stores = new Map<string, Storage>();
  const entries = loadSeedAnchorEntries().map((e, i) => ({ ...e, id: `seed-${String(i).padStart(4, '0')}` }));
  const queries = [
    ...HAND_WRITTEN,
    ...generateQueries({ corpus: entries, count: 60, seed: 7 }).map((q) => q.query),
  ];

  beforeAll(async () => {
    for (const t of reachable) {
      const store = await t.stores!.open();
      await store.createEntries(entries);
      stores.set(t.dialect, store);
    }
  }, 120_000);

  afterAll(async () => {
    for (const t of reachable) await t.stores!.cleanup();
  });

  it('loads the same entries everywhere', async () => {
    const hashes = new Set<string>();
    for (const store of stores.values()) {
      hashes.add(
        (
          await store.contentHash({
            tables: ['kb_entries', 'kb_tags'],
            ignoreColumns: { kb_entries: ['seq', 'created_at', 'updated_at'] },
          })
        ).hash,
      );
    }
    expect(hashes.size).toBe(1);
  });

  it.skipIf(reachable.length < 2)(
    'gives the same top results, totals, corrections and snippets',
    async () => {
      const [reference, ...others] = [...stores.entries()];
      const disagreements: string[] = [];
      let answered = 0;
      for (const query of queries) {
        const options = { limit: 10, recordHistory: false } as const;
        const expected = await reference![1].search(query, options);
        if (expected.results.length > 0) answered++;
        for (const [dialect, store] of others) {
          const actual = await store.search(query, options);
          const a = groups(expected, 10);
          const b = groups(actual, 10);
          // Groups before the last (which `limit` may cut differently) must be equal.
          const complete = Math.min(a.length, b.length) - 1;
          if (JSON.stringify(a.slice(0, complete)) !== JSON.stringify(b.slice(0, complete)))
            disagreements.push(
              `${dialect} '${query}': ${JSON.stringify(b.slice(0, 3))} vs ${reference![0]} ${JSON.stringify(a.slice(0, 3))}`,
            );
          else if (!expected.approximate && !actual.approximate && expected.total !== actual.total)
            disagreements.push(`${dialect} '${query}': total ${actual.total} vs ${expected.total}`);
          else if (JSON.stringify(actual.corrections) !== JSON.stringify(expected.corrections))
            disagreements.push(
              `${dialect} '${query}': corrections ${JSON.stringify(actual.corrections)} vs ${JSON.stringify(expected.corrections)}`,
            );
          else if (
            actual.results[0]?.snippet !== expected.results[0]?.snippet &&
            actual.results[0]?.entry.id === expected.results[0]?.entry.id
          )
            disagreements.push(`${dialect} '${query}': snippet differs`);
        }
      }
      expect(disagreements).toEqual([]);
      // The comparison means something only if the queries find entries.
      expect(answered).toBeGreaterThan(queries.length * 0.8);
    },
    120_000,
  );
});
