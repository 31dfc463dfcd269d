import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snappyDecompress } from '../../src/columnar/compression/snappy.js';
import {
  compressOrcStream,
  decompressOrcStream,
  OrcCompression,
} from '../../src/columnar/orc/orc-compression.js';
import {
  decodeBooleans,
  decodeByteRle,
  decodeIntRleV1,
  decodeIntRleV2,
  encodeBooleans,
  encodeByteRle,
  encodeIntRleV1,
  OrcRleError,
} from '../../src/columnar/orc/orc-rle.js';
import {
  decodeNanos,
  encodeNanos,
  fromOrcTimestamp,
  toOrcTimestamp,
} from '../../src/columnar/orc/orc-timestamp.js';
import { ProtoMessage, ProtoWriter } from '../../src/columnar/orc/protobuf.js';

const v2 = (bytes: number[], count: number, signed = false) =>
  Array.from(decodeIntRleV2(Uint8Array.from(bytes), count, signed));

describe("ORC integer RLE v2 (the specification's examples)", () => {
  it('short repeat', () => {
    expect(v2([0x0a, 0x27, 0x10], 5)).toEqual([10000, 10000, 10000, 10000, 10000]);
  });

  it('direct', () => {
    expect(v2([0x5e, 0x03, 0x5c, 0xa1, 0xab, 0x1e, 0xde, 0xad, 0xbe, 0xef], 4)).toEqual([
      23713, 43806, 57005, 48879,
    ]);
  });

  it('patched base', () => {
    const bytes = [
      0x8e, 0x13, 0x2b, 0x21, 0x07, 0xd0, 0x1e, 0x00, 0x14, 0x70, 0x28, 0x32, 0x3c, 0x46, 0x50, 0x5a, 0x64,
      0x6e, 0x78, 0x82, 0x8c, 0x96, 0xa0, 0xaa, 0xb4, 0xbe, 0xfc, 0xe8,
    ];
    expect(v2(bytes, 20)).toEqual([
      2030, 2000, 2020, 1000000, 2040, 2050, 2060, 2070, 2080, 2090, 2100, 2110, 2120, 2130, 2140, 2150, 2160,
      2170, 2180, 2190,
    ]);
  });

  it('delta', () => {
    expect(v2([0xc6, 0x09, 0x02, 0x02, 0x22, 0x42, 0x42, 0x46], 10)).toEqual([
      2, 3, 5, 7, 11, 13, 17, 19, 23, 29,
    ]);
  });

  it('fixed delta (width 0) and signed short repeat', () => {
    // delta, width code 0, 5 values, base 10 (zig-zag 20), delta -2 (zig-zag 3)
    expect(v2([0xc0, 0x04, 20, 3], 5, true)).toEqual([10, 8, 6, 4, 2]);
    // short repeat, 1 byte, 3 times, zig-zag 3 = -2
    expect(v2([0x00, 0x03], 3, true)).toEqual([-2, -2, -2]);
  });

  it('refuses a run longer than the values expected, and a truncated stream', () => {
    expect(() => v2([0x0a, 0x27, 0x10], 4)).toThrow(OrcRleError);
    expect(() => v2([0x5e, 0x03, 0x5c], 4)).toThrow(OrcRleError);
  });
});

describe('ORC integer RLE v1, byte RLE and booleans', () => {
  it('round-trips any safe integers, signed and unsigned', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -300, max: 300 })), { maxLength: 400 }),
        (values) => {
          const normal = values.map((v) => (v === 0 ? 0 : v));
          expect(Array.from(decodeIntRleV1(encodeIntRleV1(normal, true), normal.length, true))).toEqual(
            normal,
          );
          const unsigned = normal.map(Math.abs);
          expect(Array.from(decodeIntRleV1(encodeIntRleV1(unsigned, false), unsigned.length, false))).toEqual(
            unsigned,
          );
        },
      ),
    );
  });

  it('uses runs for constant deltas', () => {
    const seq = Array.from({ length: 130 }, (_, i) => 1000 + i * 3);
    const encoded = encodeIntRleV1(seq, true);
    expect(encoded.length).toBeLessThan(6);
    expect(Array.from(decodeIntRleV1(encoded, 130, true))).toEqual(seq);
  });

  it('round-trips bytes and booleans', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.boolean(), { maxLength: 600 }),
        (bytes, bits) => {
          expect(decodeByteRle(encodeByteRle(bytes), bytes.length)).toEqual(bytes);
          expect(Array.from(decodeBooleans(encodeBooleans(bits), bits.length), (b) => b === 1)).toEqual(bits);
        },
      ),
    );
  });
});

describe('ORC timestamps, compression chunks and protobuf', () => {
  it('stores nanos with the trailing-zeros encoding', () => {
    expect(encodeNanos(1_000_000)).toBe((1 << 3) | 5);
    expect(encodeNanos(123)).toBe(123 << 3);
    expect(encodeNanos(1_000)).toBe((1 << 3) | 2);
    for (const n of [0, 1, 10, 100, 999_999_999, 500_000_000, 120_000])
      expect(decodeNanos(encodeNanos(n))).toBe(n);
  });

  it('maps epoch milliseconds to (seconds since 2015, nanos) and back', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_208_988_800_000, max: 7_258_118_400_000 }), (ms) => {
        const ts = toOrcTimestamp(ms);
        if (ms > -1000 && ms < 0) expect(ts).toBeUndefined();
        else expect(fromOrcTimestamp(ts!.seconds, ts!.nanos)).toBe(ms);
      }),
    );
    expect(fromOrcTimestamp(0, 1)).toBeUndefined();
  });

  it('ZLIB chunks round-trip, and a chunk inflating past the block size is refused', () => {
    const data = new TextEncoder().encode('abc'.repeat(100_000));
    const compressed = compressOrcStream(OrcCompression.ZLIB, data, 64 * 1024);
    expect(compressed.length).toBeLessThan(data.length / 10);
    expect(decompressOrcStream(OrcCompression.ZLIB, compressed, 64 * 1024, 1e9)).toEqual(data);
    expect(() => decompressOrcStream(OrcCompression.ZLIB, compressed, 1024, 1e9)).toThrow(/block size|zlib/);
    expect(() => decompressOrcStream(OrcCompression.ZLIB, compressed, 64 * 1024, 100_000)).toThrow(/limit/);
  });

  it('snappy decompresses literals and overlapping copies, and refuses bad offsets', () => {
    // length 9; literal "ab"; copy-1 of length 7 (tag 0b011_001 = (7-4)<<2|1), offset 2
    const stream = Uint8Array.from([9, 1 << 2, 0x61, 0x62, ((7 - 4) << 2) | 1, 2]);
    expect(new TextDecoder().decode(snappyDecompress(stream, 100))).toBe('ababababa');
    expect(() =>
      snappyDecompress(Uint8Array.from([9, 1 << 2, 0x61, 0x62, ((7 - 4) << 2) | 1, 9]), 100),
    ).toThrow();
    expect(() => snappyDecompress(Uint8Array.from([0xff, 0xff, 0xff, 0x7f]), 1000)).toThrow(/limit/);
  });

  it('protobuf writer and decoder agree, including packed and large fields', () => {
    const bytes = new ProtoWriter()
      .uint(1, 2 ** 40)
      .sint(2, -5)
      .packedUint(4, [0, 12, 300])
      .string(8000, 'ORC')
      .finish();
    const m = ProtoMessage.decode(bytes, 'test');
    expect([m.uint(1), m.sint(2), m.packedUints(4, 't'), m.string(8000)]).toEqual([
      2 ** 40,
      -5,
      [0, 12, 300],
      'ORC',
    ]);
    expect(() => ProtoMessage.decode(Uint8Array.from([0x0a, 0x05, 0x01]), 'test')).toThrow(/runs past/);
  });
});
