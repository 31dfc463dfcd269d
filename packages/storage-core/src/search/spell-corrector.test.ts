import { describe, expect, it } from 'vitest';
import { editCost, maxEdits, SpellCorrector } from './spell-corrector.js';

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
