import { describe, expect, it } from 'vitest';
import { parseQuery } from './query-parser.js';
import { renderQuery } from './query-types.js';
import type { SearchCorrection } from './search-types.js';
import {
  applyCorrection,
  correctionConfidence,
  editCost,
  maxEdits,
  nextKeys,
  SpellCorrector,
  slipCost,
  slipLimit,
  uncorrectedQuery,
} from './spell-corrector.js';

const vocabulary: [string, number][] = [
  ['vsam', 900],
  ['abend', 1200],
  ['abends', 300],
  ['and', 40_000],
  ['dataset', 2_000],
  ['datasets', 150],
  ['catalog', 700],
  ['status', 3_000],
  ['allocation', 500],
  ['tablespace', 200],
  ['deadlock', 120],
  ['ief212i', 40],
  ['ief213i', 30],
  ['s0c4', 500],
  ['s0c7', 600],
  ['contratacao', 4],
];

describe('editCost', () => {
  it('counts an adjacent transposition as one (cheap) edit', () => {
    expect(editCost('vasm', 'vsam', 1)).toBeCloseTo(0.6);
    expect(editCost('abnd', 'abend', 1)).toBeCloseTo(0.7);
    expect(editCost('abnd', 'and', 1)).toBeCloseTo(1.0);
    expect(editCost('dataset', 'dataset', 1)).toBe(0);
    expect(editCost('vsam', 'xyz', 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('allows two edits for long words only', () => {
    expect(maxEdits(7)).toBe(1);
    expect(maxEdits(8)).toBe(2);
    expect(editCost('alocaton', 'allocation', 2)).toBeCloseTo(1.4);
    expect(editCost('alocaton', 'allocation', 1)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('SpellCorrector', () => {
  const corrector = new SpellCorrector(vocabulary);

  it.each([
    ['vasm', 'vsam'],
    ['abnd', 'abend'],
    ['datset', 'dataset'],
    ['catalgo', 'catalog'],
    ['statsu', 'status'],
    ['alocaton', 'allocation'],
    ['tablespcae', 'tablespace'],
    ['deadlok', 'deadlock'],
    ['contratcao', 'contratacao'],
  ])('corrects %s to %s', (typo, word) => {
    expect(corrector.best(typo)?.term).toBe(word);
  });

  it('never corrects or offers terms with digits', () => {
    expect(corrector.best('ief214i')).toBeUndefined();
    expect(corrector.best('s0c9')).toBeUndefined();
    // A digit-free typo near a code gets no code either.
    expect(corrector.candidates('sock').map((c) => c.term)).not.toContain('s0c4');
  });

  it('leaves very short words and unknown shapes alone', () => {
    expect(corrector.best('ab')).toBeUndefined();
    expect(corrector.best('zzzzzz')).toBeUndefined();
  });

  it('grows with new terms and knows their frequency', () => {
    const c = new SpellCorrector(vocabulary);
    expect(c.best('zowee')).toBeUndefined();
    c.add('zowe', 3);
    expect(c.best('zowee')?.term).toBe('zowe');
    expect(c.df('zowe')).toBe(3);
    c.add('zowe', 2);
    expect(c.df('zowe')).toBe(5);
    expect(c.df('s0c7')).toBe(0);
  });

  it('finds the word among a large vocabulary of near-identical shapes', () => {
    const big = new SpellCorrector(
      Array.from(
        { length: 200_000 },
        (_, i) => [`w${i.toString(36)}x`.replace(/[0-9]/g, 'q'), 1] as [string, number],
      ),
    );
    big.add('dataset', 5000);
    expect(big.best('datset')?.term).toBe('dataset');
  });
});

describe('slipCost: what counts as a typing slip', () => {
  it('keeps the first letter', () => {
    expect(slipCost('bsam', 'vsam')).toBe(Number.POSITIVE_INFINITY);
    expect(slipCost('near', 'year')).toBe(Number.POSITIVE_INFINITY);
    expect(slipCost('unclosed', 'closed')).toBe(Number.POSITIVE_INFINITY);
    expect(slipCost('bend', 'abend')).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps the last letter unless the last two are swapped', () => {
    expect(slipCost('abens', 'abend')).toBe(Number.POSITIVE_INFINITY);
    expect(slipCost('adjusts', 'adjust')).toBe(Number.POSITIVE_INFINITY);
    expect(slipCost('vsma', 'vsam')).toBeCloseTo(0.6);
    expect(slipCost('statsu', 'status')).toBeCloseTo(0.6);
  });

  it('takes a wrong letter only from a neighbouring key', () => {
    // w is next to s; q is not.
    expect(slipCost('datawet', 'dataset')).toBeCloseTo(1.0);
    expect(slipCost('dataqet', 'dataset')).toBe(Number.POSITIVE_INFINITY);
    expect(editCost('dataqet', 'dataset', 1)).toBeCloseTo(1.0);
    expect(nextKeys('s'.charCodeAt(0), 'w'.charCodeAt(0))).toBe(true);
    expect(nextKeys('s'.charCodeAt(0), 'z'.charCodeAt(0))).toBe(true);
    expect(nextKeys('k'.charCodeAt(0), 's'.charCodeAt(0))).toBe(false);
  });

  it('allows two cheap slips from 8 letters, one slip below', () => {
    expect(slipLimit(7)).toBeCloseTo(1.0);
    expect(slipLimit(8)).toBeCloseTo(1.4);
    expect(slipCost('alocaton', 'allocation')).toBeCloseTo(1.4);
    expect(slipCost('tablespqce', 'tablespace')).toBeCloseTo(1.0);
    // Two wrong letters are two full edits: within the edit budget, not a slip.
    expect(editCost('tqblespqce', 'tablespace', 2)).toBeCloseTo(2.0);
    expect(slipCost('tqblespqce', 'tablespace')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('correctionConfidence', () => {
  it('grows with the part of the word left intact and with the entries holding the correction', () => {
    expect(correctionConfidence('vasm', 'vsam', 9)).toBeCloseTo((1 - 0.6 / 4) * 0.9, 3);
    expect(correctionConfidence('vasm', 'vsam', 1)).toBeCloseTo((1 - 0.6 / 4) * 0.5, 3);
    expect(correctionConfidence('deadlok', 'deadlock', 3)).toBeGreaterThan(
      correctionConfidence('deadlok', 'deadlock', 1),
    );
    expect(correctionConfidence('tablespcae', 'tablespace', 5)).toBeGreaterThan(
      correctionConfidence('vasm', 'vsam', 5),
    );
    for (const [typed, word] of [
      ['abnd', 'abend'],
      ['alocaton', 'allocation'],
      ['vsma', 'vsam'],
    ] as const) {
      const c = correctionConfidence(typed, word, 1_000_000);
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThanOrEqual(1);
    }
  });

  it('is 0 when the typed word is no slip of the correction', () => {
    expect(correctionConfidence('near', 'year', 50)).toBe(0);
    expect(correctionConfidence('vasm', 'vsam', 0)).toBe(0);
  });
});

describe('SpellCorrector.best: when a word is corrected', () => {
  const corrector = new SpellCorrector([
    ...vocabulary,
    ['closed', 40],
    ['year', 30],
    ['could', 200],
    ['from', 500],
    ['base', 60],
    ['zowe', 3],
  ]);

  it('does not rewrite a different word into a vocabulary word', () => {
    // A derived word, a changed first letter, keys far apart, a different ending.
    expect(corrector.best('unclosed')).toBeUndefined();
    expect(corrector.best('bsam')).toBeUndefined();
    expect(corrector.best('bame')).toBeUndefined();
    expect(corrector.candidates('bame').map((c) => c.term)).toContain('base');
    expect(corrector.best('catalogs')).toBeUndefined();
  });

  it('never corrects a common English word, however close', () => {
    // `near` → `year` also changes the first letter; `cold` → `could` and `form` → `from` are clean slips.
    for (const word of ['near', 'cold', 'form']) {
      expect(corrector.candidates(word).length, word).toBeGreaterThan(0);
      expect(corrector.best(word), word).toBeUndefined();
    }
  });

  it('gives the correction its confidence', () => {
    const vasm = corrector.best('vasm')!;
    expect(vasm).toMatchObject({ term: 'vsam', df: 900 });
    expect(vasm.confidence).toBe(correctionConfidence('vasm', 'vsam', 900));
    expect(corrector.best('zowee')).toMatchObject({
      term: 'zowe',
      confidence: correctionConfidence('zowee', 'zowe', 3),
    });
  });
});

describe('applyCorrection', () => {
  function atomOf(query: string) {
    const parsed = parseQuery(query);
    return { parsed, clause: parsed.clauses[0]!, atom: parsed.clauses[0]!.atoms[0]! };
  }

  it('replaces a word no entry holds and records the correction as applied, with its confidence', () => {
    const { parsed, clause, atom } = atomOf('VASM');
    const corrections: SearchCorrection[] = [];
    applyCorrection(clause, atom, 0, 0, 'vsam', 9, corrections);
    expect(corrections).toEqual([
      { from: 'VASM', to: 'vsam', confidence: correctionConfidence('vasm', 'vsam', 9), applied: true },
    ]);
    expect(renderQuery(parsed)).toBe('vsam');
    // The typed query is a copy: the corrected one is unchanged.
    expect(renderQuery(uncorrectedQuery(parsed))).toBe('vasm');
    expect(renderQuery(parsed)).toBe('vsam');
  });

  it('leaves a word the store holds alone, however rare, and a word that is no slip of the correction', () => {
    const corrections: SearchCorrection[] = [];
    const held = atomOf('abnd');
    applyCorrection(held.clause, held.atom, 0, 1, 'abend', 5_000, corrections);
    expect(held.parsed.clauses).toHaveLength(1);
    expect(held.clause.atoms).toHaveLength(1);
    expect(renderQuery(held.parsed)).toBe('abnd');
    const other = atomOf('near');
    applyCorrection(other.clause, other.atom, 0, 0, 'year', 50, corrections);
    expect(renderQuery(other.parsed)).toBe('near');
    expect(corrections).toEqual([]);
  });
});

describe('SpellCorrector.deferred', () => {
  it('reads its vocabulary on the first lookup, as the source has it then', () => {
    const vocabulary = new Map<string, number>([['abend', 40]]);
    let reads = 0;
    const corrector = SpellCorrector.deferred(() => {
      reads++;
      return vocabulary.entries();
    });
    // Terms the source will hold anyway: not counted twice.
    corrector.add('abend', 1);
    vocabulary.set('dataset', 12);
    expect(reads).toBe(0);
    expect(corrector.best('abnd')?.term).toBe('abend');
    expect(corrector.df('abend')).toBe(40);
    expect(corrector.best('datset')?.term).toBe('dataset');
    expect(reads).toBe(1);
    corrector.add('dataset', 1);
    expect(corrector.df('dataset')).toBe(13);
  });
});
