import { describe, expect, it } from 'vitest';
import type { BlobLocation } from '../src/repository/pack-writer.js';
import { packStretches } from '../src/restore/image-restore.js';

const blob = (
  pack: string,
  offset: number,
  length: number,
  rawBytes = 4 * length,
): { location: BlobLocation } => ({
  location: { id: `${pack}-${offset}`, pack, offset, length, rawBytes },
});
const ids = (stretches: { location: BlobLocation }[][]) => stretches.map((s) => s.map((b) => b.location.id));

describe('packStretches', () => {
  it('starts a new stretch at every change of pack', () => {
    const items = [blob('a', 0, 10), blob('a', 10, 10), blob('b', 0, 10), blob('a', 20, 10)];
    expect(ids([...packStretches(items, 1_000, 1_000)])).toEqual([['a-0', 'a-10'], ['b-0'], ['a-20']]);
  });

  it('keeps the span of the pack a stretch reads, gaps included, within maxStored', () => {
    const items = [blob('a', 0, 10), blob('a', 10, 10), blob('a', 50, 10), blob('a', 60, 10)];
    // 0..20 fits in 30; 0..60 does not, so the third blob starts a stretch (50..70 fits).
    expect(ids([...packStretches(items, 30, 1_000)])).toEqual([
      ['a-0', 'a-10'],
      ['a-50', 'a-60'],
    ]);
  });

  it('keeps the decoded bytes of a stretch within maxRaw', () => {
    const items = [blob('a', 0, 10, 40), blob('a', 10, 10, 40), blob('a', 20, 10, 40)];
    expect(ids([...packStretches(items, 1_000, 80)])).toEqual([['a-0', 'a-10'], ['a-20']]);
  });

  it('gives a blob larger than either limit a stretch of its own', () => {
    const items = [blob('a', 0, 10), blob('a', 10, 500, 5_000), blob('a', 510, 10)];
    expect(ids([...packStretches(items, 100, 100)])).toEqual([['a-0'], ['a-10'], ['a-510']]);
  });

  it('measures the span from the lowest to the highest offset when blobs come out of order', () => {
    const items = [blob('a', 40, 10), blob('a', 0, 10), blob('a', 20, 10)];
    expect(ids([...packStretches(items, 50, 1_000)])).toEqual([['a-40', 'a-0', 'a-20']]);
    expect(ids([...packStretches(items, 45, 1_000)])).toEqual([['a-40'], ['a-0', 'a-20']]);
  });
});
