import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyFilter } from './key-filter.js';

/** Keys shaped like the writers' (JSON of the key's values): an entry id, and an entry id with a tag. */
const entryKey = () => JSON.stringify(randomUUID());
const tagKey = (i: number) => `${JSON.stringify(randomUUID())},${JSON.stringify(`tag-${i % 97}`)}`;

describe('KeyFilter', () => {
  it('holds nothing before the first key', () => {
    const filter = new KeyFilter();
    expect(filter.mightHold('"a"')).toBe(false);
    expect(filter.bytes).toBe(0);
  });

  it('never misses a key it was given, across its growing layers', () => {
    const filter = new KeyFilter({ firstCapacity: 1000 });
    const keys = Array.from({ length: 50_000 }, (_, i) => (i % 2 ? entryKey() : tagKey(i)));
    for (const key of keys) filter.add(key);
    expect(keys.filter((k) => !filter.mightHold(k))).toEqual([]);
    // Keys that differ in one character only, and the empty key.
    filter.add('"E1"');
    filter.add('');
    expect(filter.mightHold('"E1"')).toBe(true);
    expect(filter.mightHold('')).toBe(true);
  });

  it('answers yes for about one key in a thousand it was not given, at 2 bytes a key or so', () => {
    const filter = new KeyFilter();
    const n = 300_000;
    for (let i = 0; i < n; i++) filter.add(tagKey(i));
    let wrong = 0;
    for (let i = 0; i < n; i++) if (filter.mightHold(tagKey(i))) wrong += 1;
    // 16 bits and 8 probes a key: about 0.05% while a layer fills, 0.1% when full; a poor hash shows far more.
    expect(wrong / n).toBeLessThan(0.003);
    // Layers of 65,536, 131,072 and 262,144 keys: 917,504 bits of 16.
    expect(filter.bytes).toBe(((65_536 + 131_072 + 262_144) * 16) / 8);
  });

  it('tells apart keys that differ in one character or in order', () => {
    const filter = new KeyFilter();
    for (let i = 0; i < 1000; i++) filter.add(`"E${i}","tag"`);
    let wrong = 0;
    for (let i = 0; i < 1000; i++) {
      if (filter.mightHold(`"E${i}","taG"`)) wrong += 1;
      if (filter.mightHold(`"tag","E${i}"`)) wrong += 1;
    }
    expect(wrong).toBeLessThan(5);
  });

  it('past its memory bound, says every key might be held: the writer then looks them all up', () => {
    const filter = new KeyFilter({ firstCapacity: 1024, maxBytes: 8 * 1024 });
    for (let i = 0; i < 5000; i++) filter.add(`k${i}`);
    expect(filter.saturated).toBe(true);
    expect(filter.bytes).toBe(0);
    expect(filter.mightHold('never given')).toBe(true);
    expect(filter.mightHold('k1')).toBe(true);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new KeyFilter({ firstCapacity: 0 })).toThrow(RangeError);
    expect(() => new KeyFilter({ firstCapacity: 1.5 })).toThrow(RangeError);
  });
});
