import { describe, expect, it } from 'vitest';
import { blendTop, type EntryCounters, type TextScored } from './champion-plan.js';
import { popularityCeiling, rankRows, type ScoredRow } from './search-ranking.js';

interface Row {
  seq: number;
  text: number;
  uses: number;
}

const counters = (r: Row): EntryCounters => ({
  usageCount: r.uses,
  successCount: 0,
  failureCount: 0,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** 300 read rows whose text scores differ by little (common words), popularity spread over them. */
function rows(): Row[] {
  return Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, text: 1 - i * 1e-4, uses: (i * 37) % 101 }));
}

describe('blendTop', () => {
  it('rescoring each read row once while it widens, it ranks as ranking every row would', async () => {
    const all = rows();
    const sorted: TextScored<Row>[] = all.map((r) => ({ seq: r.seq, text: r.text, row: r }));
    const calls = new Map<number, number>();
    const { ranked } = await blendTop(sorted, 10, {
      ceiling: popularityCeiling(100),
      usageWeight: 0.3,
      counters: () => new Map(),
      countersOf: counters,
      rescore: (r) => {
        calls.set(r.seq, (calls.get(r.seq) ?? 0) + 1);
        return r.text;
      },
    });
    // Nearly equal text scores: the popularity ceiling keeps the page open until every row was taken.
    expect(calls.size).toBe(all.length);
    expect(Math.max(...calls.values())).toBe(1);

    const every: ScoredRow[] = all.map((r) => ({ seq: r.seq, text: r.text, ...counters(r), final: 0 }));
    rankRows(every, 'relevance', 0.3);
    expect(ranked.slice(0, 10).map((r) => r.seq)).toEqual(every.slice(0, 10).map((r) => r.seq));
  });

  it('drops a row whose rescore says it no longer matches, on every widening', async () => {
    const all = rows();
    const sorted: TextScored<Row>[] = all.map((r) => ({ seq: r.seq, text: r.text, row: r }));
    const { ranked } = await blendTop(sorted, 10, {
      ceiling: popularityCeiling(100),
      usageWeight: 0.3,
      counters: () => new Map(),
      countersOf: counters,
      rescore: (r) => (r.seq % 2 === 0 ? null : r.text),
    });
    expect(ranked.length).toBeGreaterThanOrEqual(10);
    expect(ranked.every((r) => r.seq % 2 === 1)).toBe(true);
  });
});
