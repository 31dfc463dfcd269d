import type { KBEntryInput } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import {
  chunked,
  generateCorpus,
  generateCorpusArray,
  generateCorpusRecords,
  generateSkewedCorpus,
  SKEWED_BOILERPLATE,
  SKEWED_CODE_SKEW,
  SKEWED_FILLER_TERMS,
} from './corpus-generator.js';
import { MAINFRAME_CODES } from './mainframe-vocabulary.js';
import { containsTokenSequence, entryContains, tokenize } from './text-match.js';

describe('generateCorpus', () => {
  it('is deterministic: same seed same entries, other seed other entries, and re-iterable', () => {
    const a = generateCorpusArray({ count: 300, seed: 42 });
    const b = generateCorpusArray({ count: 300, seed: 42 });
    const c = generateCorpusArray({ count: 300, seed: 43 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const lazy = generateCorpus({ count: 50, seed: 42 });
    expect([...lazy]).toEqual([...lazy]);
    expect([...lazy]).toEqual(a.slice(0, 50));
  });

  it('produces entries the store accepts: non-empty fields within limits, normalised tags, known severities', () => {
    for (const entry of generateCorpus({ count: 2_000, seed: 'limits' })) {
      expect(entry.title.length).toBeGreaterThan(0);
      expect(entry.title.length).toBeLessThanOrEqual(255);
      expect(entry.problem.length).toBeGreaterThan(20);
      expect(entry.solution).toMatch(/^1\. /);
      expect(['critical', 'high', 'medium', 'low']).toContain(entry.severity);
      expect(entry.tags!.length).toBeGreaterThan(0);
      expect(entry.tags!.length).toBeLessThanOrEqual(32);
      for (const tag of entry.tags!) expect(tag).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(new Set(entry.tags).size).toBe(entry.tags!.length);
    }
  });

  it('writes each entry one or two codes, and its text contains exactly those', () => {
    let two = 0;
    for (const record of generateCorpusRecords({ count: 2_000, seed: 9 })) {
      expect(record.codes.length === 1 || record.codes.length === 2).toBe(true);
      if (record.codes.length === 2) two += 1;
      // Exactly the recorded codes and no others, so a code's relevant entries are those meant to carry it.
      const present = MAINFRAME_CODES.map((c) => c.code).filter((code) => entryContains(record.input, code));
      expect(present.sort(), record.input.title).toEqual([...record.codes].sort());
      expect(record.input.title).toContain(record.codes[0]!);
    }
    expect(two).toBeGreaterThan(400);
    expect(two).toBeLessThan(1_200);
  });

  it('skews code frequencies: the most common main code is far more frequent than the median one', () => {
    const counts = new Map<string, number>();
    for (const record of generateCorpusRecords({ count: 20_000, seed: 'zipf' })) {
      const main = record.codes[0]!;
      counts.set(main, (counts.get(main) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(sorted[0]! / median).toBeGreaterThan(10);
    expect(counts.size).toBeGreaterThan(MAINFRAME_CODES.length * 0.9);
  });

  it('puts common words in most entries (the slow tail of phrase queries)', () => {
    const entries = generateCorpusArray({ count: 2_000, seed: 'common' });
    const share = (word: string) => entries.filter((e) => entryContains(e, word)).length / entries.length;
    expect(share('job')).toBeGreaterThan(0.7);
    expect(share('abend')).toBeGreaterThan(0.4);
    expect(share('data set')).toBeGreaterThan(0.3);
  });

  it('includes near-duplicates that restate a recent entry with the same codes', () => {
    const records = [...generateCorpusRecords({ count: 2_000, seed: 'dups' })];
    const dups = records.filter((r) => r.duplicateOf !== undefined);
    expect(dups.length).toBeGreaterThan(50);
    expect(dups.length).toBeLessThan(200);
    for (const d of dups) {
      const original = records[d.duplicateOf!]!;
      expect(d.duplicateOf!).toBeLessThan(d.index);
      expect(d.index - d.duplicateOf!).toBeLessThanOrEqual(64);
      expect(d.codes).toEqual(original.codes);
      expect(d.input.solution).toBe(original.input.solution);
      expect(d.input.title).toContain(original.input.title.slice(0, 10));
      expect(d.input.title).not.toBe(original.input.title);
    }
  });

  it('assigns ids on request and validates its options', () => {
    const [first, second] = generateCorpusArray({ count: 2, seed: 1, idPrefix: 'syn-' });
    expect(first!.id).toBe('syn-0');
    expect(second!.id).toBe('syn-1');
    expect(generateCorpusArray({ count: 1, seed: 1 })[0]!.id).toBeUndefined();
    expect(() => generateCorpusArray({ count: -1, seed: 1 })).toThrow(RangeError);
    expect(() => generateCorpusArray({ count: 1, seed: 1, duplicateRate: 2 })).toThrow(RangeError);
    expect(generateCorpusArray({ count: 0, seed: 1 })).toEqual([]);
  });

  it('streams a large corpus lazily: taking the first entries does not generate the rest', () => {
    // Generating ten million entries would take minutes and outlast the test timeout; a thousand take
    // milliseconds. So finishing at all shows the iterable is lazy.
    let taken = 0;
    for (const _ of generateCorpus({ count: 10_000_000, seed: 'lazy' })) {
      taken += 1;
      if (taken === 1_000) break;
    }
    expect(taken).toBe(1_000);
  });

  it('chunked() splits into batches of the given size', () => {
    expect([...chunked([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...chunked([], 3)]).toEqual([]);
    expect(() => [...chunked([1], 0)]).toThrow(RangeError);
  });

  it('every companion code named in the vocabulary exists', () => {
    const known = new Set(MAINFRAME_CODES.map((c) => c.code));
    for (const code of MAINFRAME_CODES)
      for (const companion of code.companions ?? []) expect(known).toContain(companion);
    expect(known.size).toBe(MAINFRAME_CODES.length);
  });
});

/** Main-code counts of the fresh (not near-duplicate) entries, most frequent first. */
function mainCodeCounts(profile: 'testkit' | 'skewed', count: number, seed: string): number[] {
  const counts = new Map<string, number>();
  for (const record of generateCorpusRecords({ count, seed, profile })) {
    if (record.duplicateOf !== undefined) continue;
    counts.set(record.codes[0]!, (counts.get(record.codes[0]!) ?? 0) + 1);
  }
  return [...counts.values()].sort((a, b) => b - a);
}

/** Least-squares slope of log(count) against log(rank) over the first `ranks` ranks: -s for Zipf(s). */
function zipfSlope(sorted: readonly number[], ranks: number): number {
  const xs = sorted.slice(0, ranks).map((_, i) => Math.log(i + 1));
  const ys = sorted.slice(0, ranks).map((c) => Math.log(c));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

describe('generateCorpus, skewed profile', () => {
  const skewed = generateCorpusArray({ count: 3_000, seed: 'skewed', profile: 'skewed' });
  const share = (entries: readonly KBEntryInput[], word: string) =>
    entries.filter((e) => entryContains(e, word)).length / entries.length;

  it('puts every filler term in more than 90% of entries, unlike the testkit corpus', () => {
    expect(SKEWED_FILLER_TERMS.length).toBeGreaterThanOrEqual(5);
    expect(SKEWED_FILLER_TERMS.length).toBeLessThanOrEqual(8);
    for (const word of SKEWED_FILLER_TERMS) expect(share(skewed, word), word).toBeGreaterThan(0.9);
    // The property is the profile's doing: in the testkit corpus most of these words are far rarer.
    const testkit = generateCorpusArray({ count: 3_000, seed: 'skewed' });
    const rare = SKEWED_FILLER_TERMS.filter((word) => share(testkit, word) < 0.9);
    expect(rare.length).toBeGreaterThanOrEqual(4);
  });

  it('writes every filler term in each boilerplate sentence, and nothing that looks like a code', () => {
    for (const sentence of SKEWED_BOILERPLATE) {
      const tokens = tokenize(sentence);
      for (const word of SKEWED_FILLER_TERMS)
        expect(containsTokenSequence(tokens, [word]), `${word} in ${sentence}`).toBe(true);
    }
  });

  it('draws codes on a steeper Zipf curve than the testkit corpus', () => {
    const steep = mainCodeCounts('skewed', 20_000, 'zipf');
    const flat = mainCodeCounts('testkit', 20_000, 'zipf');
    const total = steep.reduce((a, b) => a + b, 0);
    // Zipf(1.5) over the 64 codes gives the top code ~42% of entries, Zipf(1) ~21%.
    expect(steep[0]! / total).toBeGreaterThan(0.35);
    expect(steep[0]! / total).toBeLessThan(0.5);
    const slope = zipfSlope(steep, 16);
    expect(slope).toBeGreaterThan(-SKEWED_CODE_SKEW - 0.25);
    expect(slope).toBeLessThan(-SKEWED_CODE_SKEW + 0.25);
    expect(zipfSlope(flat, 16)).toBeGreaterThan(slope + 0.3);
    // The tail is still there: rare codes are what make code queries on this corpus hard.
    expect(steep.length).toBeGreaterThan(MAINFRAME_CODES.length * 0.75);
  });

  it('keeps the entries realistic: one or two codes, exactly those in the text, valid fields', () => {
    for (const record of generateCorpusRecords({ count: 2_000, seed: 'skewed-valid', profile: 'skewed' })) {
      const present = MAINFRAME_CODES.map((c) => c.code).filter((code) => entryContains(record.input, code));
      expect(present.sort(), record.input.title).toEqual([...record.codes].sort());
      expect(record.input.title.length).toBeLessThanOrEqual(255);
      expect(record.input.solution).toMatch(/^1\. /);
      const numbers = record.input.solution.split('\n').map((line) => Number(line.split('.')[0]));
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      // The code-naming sentence stays first: the boilerplate comes after it.
      expect(record.input.problem.split(/(?<=\.) /)[0]).toContain(record.codes[0]!);
    }
  });

  it('is deterministic, leaves the testkit profile as it was, and validates the profile', () => {
    expect(generateCorpusArray({ count: 300, seed: 42, profile: 'skewed' })).toEqual(
      Array.from(generateSkewedCorpus({ count: 300, seed: 42 })),
    );
    expect(generateCorpusArray({ count: 300, seed: 42, profile: 'testkit' })).toEqual(
      generateCorpusArray({ count: 300, seed: 42 }),
    );
    expect(generateCorpusArray({ count: 300, seed: 42, profile: 'skewed' })).not.toEqual(
      generateCorpusArray({ count: 300, seed: 42 }),
    );
    expect(() => generateCorpusArray({ count: 1, seed: 1, profile: 'other' as 'skewed' })).toThrow(
      RangeError,
    );
  });
});
