import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyFilter, keyHash } from './key-filter.js';

/** Keys shaped like the writers' (JSON of the key's values): an entry id, and an entry id with a tag. */
const entryKey = () => JSON.stringify(randomUUID());
const tagKey = (i: number) => `${JSON.stringify(randomUUID())},${JSON.stringify(`tag-${i % 97}`)}`;

function filled(keys: readonly string[], options?: ConstructorParameters<typeof KeyFilter>[0]): KeyFilter {
  const filter = new KeyFilter(options);
  for (const key of keys) filter.add(keyHash(key));
  return filter;
}

describe('KeyFilter', () => {
  it('holds nothing before the first key', () => {
    const filter = new KeyFilter();
    expect(filter.mightHold(keyHash('"a"'))).toBe(false);
    expect(filter.bytes).toBe(0);
  });

  it('never misses a key it was given, across its growing layers', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => (i % 2 ? entryKey() : tagKey(i)));
    keys.push('"E1"', '', '"é😀"');
    const filter = filled(keys, { firstCapacity: 1000 });
    expect(keys.filter((k) => !filter.mightHold(keyHash(k)))).toEqual([]);
  });

  it('answers yes for one or two keys in a thousand it was not given, at 2 bytes a key', () => {
    const n = 300_000;
    const filter = filled(Array.from({ length: n }, (_, i) => tagKey(i)));
    let wrong = 0;
    for (let i = 0; i < n; i++) if (filter.mightHold(keyHash(tagKey(i)))) wrong += 1;
    // A poor hash or block choice shows far more.
    expect(wrong / n).toBeLessThan(0.004);
    // Layers of 65,536 and 262,144 keys, 16 bits each.
    expect(filter.bytes).toBe(((65_536 + 262_144) * 16) / 8);
  });

  it('tells apart keys that differ in one character, or in order', () => {
    const filter = filled(Array.from({ length: 1000 }, (_, i) => `"E${i}","tag"`));
    let wrong = 0;
    for (let i = 0; i < 1000; i++) {
      if (filter.mightHold(keyHash(`"E${i}","taG"`))) wrong += 1;
      if (filter.mightHold(keyHash(`"tag","E${i}"`))) wrong += 1;
      if (filter.mightHold(keyHash(`"E${i + 1000}","tag"`))) wrong += 1;
    }
    expect(wrong).toBeLessThan(6);
  });

  it('past its memory bound, says every key might be held: the writer then looks them all up', () => {
    const filter = filled(
      Array.from({ length: 5000 }, (_, i) => `k${i}`),
      { firstCapacity: 1024, maxBytes: 8 * 1024 },
    );
    expect(filter.saturated).toBe(true);
    expect(filter.bytes).toBe(0);
    expect(filter.mightHold(keyHash('never given'))).toBe(true);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new KeyFilter({ firstCapacity: 0 })).toThrow(RangeError);
    expect(() => new KeyFilter({ firstCapacity: 1.5 })).toThrow(RangeError);
  });
});
