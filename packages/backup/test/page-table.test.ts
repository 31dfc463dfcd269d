import { describe, expect, it } from 'vitest';
import { PageState } from '../src/engine/page-state.js';
import {
  decodeBody,
  encodeBody,
  PAGE_HASH_BYTES,
  PageTableBuilder,
  type PhysicalBody,
} from '../src/manifest/manifest-body.js';
import type { BlobLocation } from '../src/repository/pack-writer.js';

const PAGE = 4096;
const PACK = 'ab'.repeat(32);

function location(n: number, pages: number): BlobLocation {
  return {
    id: n.toString(16).padStart(64, '0'),
    pack: PACK,
    offset: n * 100,
    length: 100,
    rawBytes: pages * PAGE,
  };
}

/** A digest whose bytes all say `n` (mod 256), so rows are easy to tell apart. */
function digest(n: number): Uint8Array {
  return new Uint8Array(PAGE_HASH_BYTES).fill(n & 0xff);
}

function body(pageCount: number, blobs: BlobLocation[], rows: [number, number, number][]): PhysicalBody {
  const pages = new PageTableBuilder(1);
  for (const [pgno, blob, slot] of rows) pages.add(pgno, digest(pgno), 0, blob, slot);
  return {
    kind: 'physical',
    tableSpecs: [],
    pageSize: PAGE,
    pageCount,
    contentHash: null,
    tables: {},
    blobs,
    pages: pages.finish(),
  };
}

describe('page tables and the page state of a chain', () => {
  it('builds past its first capacity, and a manifest body keeps every row through encode and decode', () => {
    const blobs = [location(1, 16), location(2, 16)];
    const rows: [number, number, number][] = [];
    for (let pgno = 1; pgno <= 32; pgno += 1) rows.push([pgno, pgno <= 16 ? 0 : 1, (pgno - 1) % 16]);
    const original = body(32, blobs, rows);
    expect(original.pages.count).toBe(32);
    // A digest read from the middle of a larger buffer, as the backup reads a stretch's digests.
    const stretch = new Uint8Array(3 * PAGE_HASH_BYTES).fill(7);
    stretch.fill(9, PAGE_HASH_BYTES, 2 * PAGE_HASH_BYTES);
    const one = new PageTableBuilder(0);
    one.add(5, stretch, PAGE_HASH_BYTES, 0, 3);
    expect([...one.finish().hash]).toEqual(new Array(PAGE_HASH_BYTES).fill(9));

    const decoded = decodeBody(encodeBody(original));
    if (decoded.kind !== 'physical') throw new Error('not physical');
    expect(decoded.pages.count).toBe(32);
    expect([...decoded.pages.pgno]).toEqual([...original.pages.pgno]);
    expect([...decoded.pages.blob]).toEqual([...original.pages.blob]);
    expect([...decoded.pages.slot]).toEqual([...original.pages.slot]);
    expect(Buffer.from(decoded.pages.hash).equals(Buffer.from(original.pages.hash))).toBe(true);
    expect(decoded.blobs).toEqual(blobs);
  });

  it('refuses rows its columns would wrap: a slot past the u16 of the wire, page 0', () => {
    const builder = new PageTableBuilder(1);
    builder.add(1, digest(1), 0, 0, 0xffff);
    expect(() => builder.add(2, digest(2), 0, 0, 0x10000)).toThrow(RangeError);
    expect(() => builder.add(0, digest(0), 0, 0, 0)).toThrow(RangeError);
    expect(builder.finish().slot[0]).toBe(0xffff);
  });

  it('writes the page rows of manifest format 1 byte for byte: pgno u32, digest, blob u32, slot u16', () => {
    const bytes = encodeBody(
      body(
        3,
        [location(1, 2), location(2, 1)],
        [
          [3, 1, 0],
          [0x01020304, 0, 0x0506],
        ],
      ),
    );
    const rows = bytes.subarray(bytes.length - 2 * 26);
    expect(rows.toString('hex')).toBe(
      `00000003${'03'.repeat(16)}000000010000` + `01020304${'04'.repeat(16)}000000000506`,
    );
  });

  it('refuses corrupt counts, page numbers and page sizes with a typed error', () => {
    const good = encodeBody(body(1, [location(1, 1)], [[1, 0, 0]]));
    const jsonLength = good.readUInt32BE(0);
    const withHead = (edit: (head: Record<string, unknown>) => void) => {
      const head = JSON.parse(good.subarray(4, 4 + jsonLength).toString('utf8'));
      edit(head);
      const json = Buffer.from(JSON.stringify(head));
      const out = Buffer.alloc(4 + json.length);
      out.writeUInt32BE(json.length, 0);
      json.copy(out, 4);
      return Buffer.concat([out, good.subarray(4 + jsonLength)]);
    };
    const pageZero = Buffer.from(good);
    pageZero.writeUInt32BE(0, pageZero.length - 26);
    for (const [bytes, why] of [
      [pageZero, /numbered 0/],
      [
        withHead((h) => {
          h.blobCount = -1;
          h.pageCount_ = 3;
        }),
        /section sizes/,
      ],
      [
        withHead((h) => {
          h.pageSize = 3000;
        }),
        /page size 3000/,
      ],
      [
        withHead((h) => {
          h.pageCount = 2 ** 40;
        }),
        /page count/,
      ],
    ] as const) {
      expect(() => decodeBody(bytes)).toThrow(
        expect.objectContaining({ code: 'INTEGRITY', message: expect.stringMatching(why) }),
      );
    }
    expect(decodeBody(withHead(() => undefined)).kind).toBe('physical');
  });

  it('refuses a body whose page names a blob it does not have', () => {
    const bytes = encodeBody(body(1, [location(1, 1)], [[1, 0, 0]]));
    // The page row is the last 26 bytes: pgno (4), digest (16), blob (4), slot (2).
    bytes.writeUInt32BE(7, bytes.length - 6);
    expect(() => decodeBody(bytes)).toThrow(/unknown blob/);
  });

  it('applies a chain: later bodies replace pages, the image grows and shrinks, blobs are listed once', () => {
    const full = body(
      4,
      [location(1, 2), location(2, 2)],
      [
        [1, 0, 0],
        [2, 0, 1],
        [3, 1, 0],
        [4, 1, 1],
      ],
    );
    // An incremental that changes page 2, adds pages 5 and 6 in one blob, and keeps the full's second blob.
    const changed = body(
      6,
      [location(3, 3)],
      [
        [2, 0, 0],
        [5, 0, 1],
        [6, 0, 2],
      ],
    );
    const state = PageState.fromChain([
      { id: 'full', body: full },
      { id: 'inc', body: changed },
    ]);
    state.assertComplete('inc');
    expect(state.pageCount).toBe(6);
    expect(state.locationOf(1).id).toBe(location(1, 2).id);
    expect(state.locationOf(2).id).toBe(location(3, 3).id);
    expect(state.slotOf(6)).toBe(2);
    expect(state.digestMatches(5, digest(5), 0)).toBe(true);
    expect(state.digestMatches(5, digest(6), 0)).toBe(false);
    expect(state.referencedLocations().map((l) => l.id)).toEqual(
      [location(1, 2), location(3, 3), location(2, 2)].map((l) => l.id),
    );

    // A differential on the full where the store shrank to 3 pages: page 4 and its blob's use are gone.
    const shrunk = PageState.fromChain([
      { id: 'full', body: full },
      { id: 'diff', body: body(3, [], []) },
    ]);
    expect(shrunk.pageCount).toBe(3);
    expect(shrunk.referencedLocations()).toHaveLength(2);
    expect(() => shrunk.locationOf(4)).toThrow(/no content/);

    // A chain that grows without giving the new pages content is incomplete.
    const gap = PageState.fromChain([
      { id: 'full', body: full },
      { id: 'bad', body: body(5, [], []) },
    ]);
    expect(() => gap.assertComplete('bad')).toThrow(/leaves page 5 without content/);
    expect(() => gap.locationOf(5)).toThrow(/no content/);
    expect(() =>
      PageState.fromChain([
        { id: 'full', body: full },
        { id: 'far', body: body(4, [location(9, 1)], [[9, 0, 0]]) },
      ]),
    ).toThrow(/names page 9/);
  });
});
