import type { KBEntryInput } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import { generateCorpus, generateCorpusArray, SKEWED_FILLER_TERMS } from './corpus-generator.js';
import {
  type BenchmarkQuery,
  generateQueries,
  misspellings,
  SKEWED_COMMON_QUERIES,
  scoreQuery,
  skewedQueryOptions,
  summarizeScores,
} from './query-generator.js';
import { entryContains, tokenize } from './text-match.js';

const corpus = generateCorpusArray({ count: 3_000, seed: 'queries' });
const queries = generateQueries({ corpus, seed: 'queries' });

describe('generateQueries', () => {
  it('returns 200 queries by default in a fixed mix, deterministic for a seed', () => {
    expect(queries).toHaveLength(200);
    const kinds: Record<string, number> = {};
    for (const q of queries) kinds[q.kind] = (kinds[q.kind] ?? 0) + 1;
    expect(kinds).toEqual({ code: 70, phrase: 40, prefix: 30, typo: 60 });
    expect(generateQueries({ corpus, seed: 'queries' })).toEqual(queries);
    expect(generateQueries({ corpus, seed: 'other' })).not.toEqual(queries);
    expect(generateQueries({ corpus, seed: 1, count: 500 })).toHaveLength(500);
  });

  it('streams a lazy corpus and gives the same queries as for the array', () => {
    const lazy = generateCorpus({ count: 3_000, seed: 'queries' });
    expect(generateQueries({ corpus: lazy, seed: 'queries' })).toEqual(queries);
  });

  it('counts relevant entries exactly as a brute-force scan does', () => {
    const brute = (text: string) => corpus.filter((e) => entryContains(e, text)).length;
    for (const q of queries.slice(0, 60)) {
      if (q.kind === 'code') expect(q.relevantCount, q.query).toBe(brute(q.code));
      if (q.kind === 'typo') expect(q.relevantCount, q.query).toBe(brute(q.intended));
      if (q.kind === 'phrase') expect(q.matchCount, q.query).toBe(brute(q.phrase));
      if (q.kind === 'prefix') {
        const n = corpus.filter((e) =>
          tokenize(`${e.title} ${e.problem} ${e.solution} ${e.category} ${(e.tags ?? []).join(' ')}`).some(
            (t) => t.startsWith(q.prefix),
          ),
        ).length;
        expect(q.matchCount, q.query).toBe(n);
      }
    }
  });

  it('only asks for codes and words the corpus has, and typos no entry contains', () => {
    for (const q of queries) {
      if (q.kind === 'code' || q.kind === 'typo') expect(q.relevantCount).toBeGreaterThan(0);
      if (q.kind === 'typo') {
        expect(
          corpus.some((e) => entryContains(e, q.query)),
          q.query,
        ).toBe(false);
        expect(q.query.toLowerCase()).not.toBe(q.intended.toLowerCase());
      }
      if (q.kind === 'prefix') expect(q.query).toBe(`${q.prefix}*`);
    }
  });

  it('includes the named misspellings and all three kinds of edit', () => {
    const typos = queries.filter((q): q is Extract<BenchmarkQuery, { kind: 'typo' }> => q.kind === 'typo');
    const asked = typos.map((q) => q.query);
    expect(asked).toEqual(expect.arrayContaining(['VASM', 'abnd', 'datset']));
    expect(new Set(typos.map((q) => q.edit))).toEqual(new Set(['transposition', 'deletion', 'substitution']));
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('works on any corpus, e.g. a tiny hand-written one', () => {
    const tiny: KBEntryInput[] = [
      {
        title: 'S0C7 in PAYROLL',
        problem: 'The job abended with S0C7.',
        solution: 'Check the data set.',
        category: 'COBOL',
      },
      {
        title: 'VSAM status 35',
        problem: 'VSAM file not found on open.',
        solution: 'Define the cluster.',
        category: 'VSAM',
      },
      // Non-ASCII text takes the other scanning path; it must count the same way.
      {
        title: 'Ficheiro não encontrado',
        problem: 'Erro VSAM status 35 na abertura.',
        solution: 'Definir.',
        category: 'VSAM',
      },
    ];
    const q = generateQueries({ corpus: tiny, seed: 1, count: 20 });
    expect(q).toHaveLength(20);
    const codes = new Set(q.filter((x) => x.kind === 'code').map((x) => (x as { code: string }).code));
    expect(codes).toEqual(new Set(['S0C7', 'VSAM status 35']));
    const vsam = q.find((x) => x.kind === 'code' && x.code === 'VSAM status 35') as { relevantCount: number };
    expect(vsam.relevantCount).toBe(2);
  });
});

describe('generateQueries on the skewed corpus', () => {
  const skewed = generateCorpusArray({ count: 3_000, seed: 'queries', profile: 'skewed' });
  const asked = generateQueries({ corpus: skewed, seed: 'queries', ...skewedQueryOptions() });

  it('adds common-word queries to the mix, made only of filler words, counted as a scan counts them', () => {
    const kinds: Record<string, number> = {};
    for (const q of asked) kinds[q.kind] = (kinds[q.kind] ?? 0) + 1;
    expect(kinds).toEqual({ code: 60, phrase: 30, prefix: 20, typo: 50, common: 40 });
    const commons = asked.filter((q) => q.kind === 'common');
    // Every phrase of the pool is asked before any is repeated.
    expect(new Set(commons.map((q) => q.query)).size).toBe(SKEWED_COMMON_QUERIES.length);
    for (const q of commons) {
      expect(
        q.terms.every((t) => SKEWED_FILLER_TERMS.includes(t)),
        q.query,
      ).toBe(true);
      for (const [i, t] of q.terms.entries()) {
        const brute = skewed.filter((e) => entryContains(e, t)).length;
        expect(q.termCounts[i], t).toBe(brute);
        expect(brute / skewed.length, t).toBeGreaterThan(0.9);
      }
    }
    expect(generateQueries({ corpus: skewed, seed: 'queries', ...skewedQueryOptions() })).toEqual(asked);
  });

  it('misspells filler words too, and every typo is still no word of the corpus', () => {
    const typos = asked.filter((q) => q.kind === 'typo');
    const filler = typos.filter((q) => SKEWED_FILLER_TERMS.includes(q.intended));
    expect(filler.length).toBeGreaterThanOrEqual(5);
    for (const q of typos)
      expect(
        skewed.some((e) => entryContains(e, q.query)),
        q.query,
      ).toBe(false);
    // Misspelt filler words have nearly every entry to find: recall is over a full first page.
    for (const q of filler) expect(q.relevantCount).toBeGreaterThan(2_700);
  });

  it('leaves the default mix without common-word queries even when a pool is given', () => {
    const plain = generateQueries({ corpus, seed: 'queries', commonQueries: SKEWED_COMMON_QUERIES });
    expect(plain).toEqual(queries);
    expect(scoreQuery(asked.find((q) => q.kind === 'common')!, [])).toBeNull();
  });
});

describe('misspellings', () => {
  it('makes single edits keeping the first and last letters and the word case', () => {
    const m = misspellings('VSAM');
    expect(m).toContainEqual({ typo: 'VASM', edit: 'transposition' });
    expect(m).toContainEqual({ typo: 'VSM', edit: 'deletion' });
    for (const { typo } of m) {
      expect(typo[0]).toBe('V');
      expect(typo.at(-1)).toBe('M');
      expect(typo).not.toBe('VSAM');
    }
    expect(misspellings('abend')).toContainEqual({ typo: 'abnd', edit: 'deletion' });
    expect(misspellings('dataset')).toContainEqual({ typo: 'datset', edit: 'deletion' });
  });
});

describe('scoreQuery', () => {
  const code = { kind: 'code', query: 'S0C7', code: 'S0C7', relevantCount: 3 } as const;
  const e = (title: string) => ({ title, problem: 'p', solution: 's' });

  it('code precision@10 counts top-10 entries with the code over min(10, relevant)', () => {
    expect(scoreQuery(code, [e('S0C7 a'), e('S0C7 b'), e('S0C7 c')])).toBe(1);
    expect(scoreQuery(code, [e('S0C7 a'), e('S0C4 b'), e('S0C7 c')])).toBeCloseTo(2 / 3);
    // Returning fewer entries than exist is penalised, not excused.
    expect(scoreQuery(code, [e('S0C7 a')])).toBeCloseTo(1 / 3);
    expect(scoreQuery(code, [])).toBe(0);
    // Whole tokens only: S0C77 does not contain S0C7.
    expect(scoreQuery(code, [e('S0C77'), e('xS0C7'), e('s0c7!')])).toBeCloseTo(1 / 3);
    const many = { ...code, relevantCount: 50 };
    expect(
      scoreQuery(
        many,
        Array.from({ length: 12 }, () => e('S0C7')),
      ),
    ).toBe(1);
  });

  it('typo recall@10 checks the intended word, and phrase/prefix queries are unscored', () => {
    const typo = {
      kind: 'typo',
      query: 'VASM',
      intended: 'VSAM',
      edit: 'transposition',
      relevantCount: 2,
    } as const;
    expect(scoreQuery(typo, [e('vsam status 35'), e('VSAM cluster')])).toBe(1);
    expect(scoreQuery(typo, [e('VASM'), e('other')])).toBe(0);
    expect(
      scoreQuery({ kind: 'prefix', query: 'ab*', prefix: 'ab', matchCount: 3 }, [e('abend')]),
    ).toBeNull();
  });

  it('summarizeScores averages per metric', () => {
    const typo = {
      kind: 'typo',
      query: 'abnd',
      intended: 'abend',
      edit: 'deletion',
      relevantCount: 1,
    } as const;
    const s = summarizeScores([
      { query: code, results: [e('S0C7'), e('S0C7'), e('S0C7')] },
      { query: code, results: [] },
      { query: typo, results: [e('abend')] },
    ]);
    expect(s).toEqual({ codePrecisionAt10: 0.5, typoRecallAt10: 1, codeQueries: 2, typoQueries: 1 });
  });
});
