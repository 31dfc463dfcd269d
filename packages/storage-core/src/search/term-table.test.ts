import { describe, expect, it } from 'vitest';
import { TermTable } from './term-table.js';

describe('TermTable', () => {
  // JavaScript's order (UTF-16 code units): an astral character sorts below U+FFxx, unlike UTF-8 bytes.
  const terms = ['', 'a', 'ab', 'abend', 'ação', 'b37', 'sb37', 'zz', '\u{1F600}x', '\uFF21'].sort();

  const table = () => {
    const { bytes, ends } = TermTable.encode(terms);
    return TermTable.view(bytes, ends);
  };

  it('gives back every term, in order, and finds each by binary search', () => {
    const t = table();
    expect(t.length).toBe(terms.length);
    expect(t.all()).toEqual(terms);
    terms.forEach((term, i) => {
      expect(t.at(i)).toBe(term);
      expect(t.indexOf(term)).toBe(i);
    });
    expect(t.indexOf('abe')).toBe(-1);
    expect(t.indexOf('zzz')).toBe(-1);
  });

  it('puts a prefix where its range starts', () => {
    const t = table();
    expect(t.at(t.lowerBound('ab'))).toBe('ab');
    expect(t.at(t.lowerBound('aç'))).toBe('ação');
    expect(t.lowerBound('\uFFFF')).toBe(terms.length);
  });

  it('refuses offsets that do not fit the bytes', () => {
    const { bytes, ends } = TermTable.encode(terms);
    expect(() => TermTable.view(bytes.subarray(1), ends)).toThrow(/do not cover/);
    const swapped = Int32Array.from(ends);
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(() => TermTable.view(bytes, swapped)).toThrow(/out of order/);
  });
});
