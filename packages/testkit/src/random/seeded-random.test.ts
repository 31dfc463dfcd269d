import { describe, expect, it } from 'vitest';
import { SeededRandom, zipfWeights } from './seeded-random.js';

describe('SeededRandom', () => {
  it('replays the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: number | string) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 20 }, () => r.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw('abc')).toEqual(draw('abc'));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7)).not.toEqual(draw('7'));
  });

  it('int() stays within inclusive bounds and reaches both ends', () => {
    const r = new SeededRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const n = r.int(-3, 3);
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(3);
      seen.add(n);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    expect(() => r.int(2, 1)).toThrow(RangeError);
  });

  it('next() is roughly uniform (each decile within 20% of its expected share)', () => {
    const r = new SeededRandom('uniform');
    const buckets = new Array(10).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) buckets[Math.floor(r.next() * 10)] += 1;
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 / 5);
  });

  it('shuffle() permutes without losing items; shuffled() leaves the input alone', () => {
    const r = new SeededRandom(3);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const copy = r.shuffled(items);
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...copy].sort((a, b) => a - b)).toEqual(items);
    expect(copy).not.toEqual(items);
  });

  it('weighted picks follow the weights, and a zero weight is never picked', () => {
    const r = new SeededRandom(11);
    const picker = r.weightedPicker(['a', 'b', 'c'], [6, 3, 0]);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 9_000; i++) counts[picker.pick(r)]! += 1;
    expect(counts.c).toBe(0);
    expect(counts.a! / counts.b!).toBeGreaterThan(1.7);
    expect(counts.a! / counts.b!).toBeLessThan(2.3);
    expect(() => r.weightedPicker(['a'], [0])).toThrow(RangeError);
    expect(() => r.weightedPicker(['a', 'b'], [1])).toThrow(RangeError);
  });

  it('fork() gives independent, reproducible streams', () => {
    const a = new SeededRandom(5).fork('titles');
    const b = new SeededRandom(5).fork('titles');
    const c = new SeededRandom(5).fork('bodies');
    const seq = (r: SeededRandom) => [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    const sa = seq(a);
    expect(sa).toEqual(seq(b));
    expect(sa).not.toEqual(seq(c));
  });

  it('zipfWeights decrease as 1/rank^s', () => {
    expect(zipfWeights(4, 1)).toEqual([1, 1 / 2, 1 / 3, 1 / 4]);
    expect(zipfWeights(3, 2)).toEqual([1, 1 / 4, 1 / 9]);
  });
});
