import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { EntitySchema, FormatCodec } from '../../src/codec-types.js';
import { createAvroCodec } from '../../src/columnar/avro/avro-codec.js';
import { createOrcCodec, orcCodec } from '../../src/columnar/orc/orc-codec.js';
import { encodePostScript } from '../../src/columnar/orc/orc-proto.js';
import { createParquetCodec, parquetCodec } from '../../src/columnar/parquet/parquet-codec.js';
import { readAll, TEST_LIMITS, writeToBytes } from './columnar-test-helpers.js';

const SCHEMA: EntitySchema = {
  entity: 'h',
  fields: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'text', type: 'string', nullable: false },
  ],
};

/** Replaces every occurrence of `marker` (ASCII) in `bytes` with bytes that are not UTF-8. */
function corruptMarker(bytes: Uint8Array, marker: string): Uint8Array {
  const out = bytes.slice();
  const m = new TextEncoder().encode(marker);
  let hits = 0;
  for (let i = 0; i + m.length <= out.length; i++) {
    if (m.every((b, k) => out[i + k] === b)) {
      out[i] = 0xff;
      out[i + 1] = 0xfe;
      hits++;
    }
  }
  if (hits === 0) throw new Error('marker not found: write the file uncompressed');
  return out;
}

describe('hostile columnar input is refused with a typed reason, never repaired', () => {
  const cases: [string, FormatCodec][] = [
    ['parquet', createParquetCodec({ codec: 'UNCOMPRESSED' })],
    ['avro', createAvroCodec({ codec: 'null' })],
    ['orc', createOrcCodec({ compression: 'NONE' })],
  ];
  for (const [name, codec] of cases) {
    it(`${name}: invalid UTF-8 in a string is INVALID_UTF8, not U+FFFD`, async () => {
      const bytes = await writeToBytes(codec, [{ id: 1, text: 'MARKERZZ' }], SCHEMA);
      await expect(readAll(codec, corruptMarker(bytes, 'MARKERZZ'), SCHEMA)).rejects.toMatchObject({
        code: 'VALIDATION',
        details: { reason: 'INVALID_UTF8' },
      });
    });
  }

  it('parquet: an INT64 past 2^53 is PRECISION_LOSS', async () => {
    const writer = new ByteWriter();
    const parquet = new ParquetWriter({
      writer,
      schema: [
        { name: 'schema', num_children: 1 },
        { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
      ],
    });
    parquet.write({ columnData: [{ name: 'id', data: [1n, 2n ** 60n] as never }] });
    parquet.finish();
    const error = await readAll(parquetCodec, writer.getBytes().slice(), {
      entity: 'h',
      fields: [{ name: 'id', type: 'integer', nullable: false }],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'VALIDATION',
      details: { reason: 'PRECISION_LOSS', field: 'id', location: { rowGroup: 0, row: 1 } },
    });
  });

  it('orc: a PostScript claiming a footer longer than the file is MALFORMED, one over the limit is refused', async () => {
    const bytes = await writeToBytes(orcCodec, [{ id: 1, text: 'x' }], SCHEMA);
    const body = bytes.subarray(0, 3 + 20);
    for (const footerLength of [2 ** 40, 10_000]) {
      const ps = encodePostScript({
        footerLength,
        compression: 0,
        compressionBlockSize: 262_144,
        version: [0, 12],
        metadataLength: 0,
        writerVersion: 6,
        magic: 'ORC',
      });
      const hostile = new Uint8Array([...body, ...ps, ps.length]);
      await expect(readAll(orcCodec, hostile)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(
      readAll(orcCodec, bytes, undefined, { ...TEST_LIMITS, maxDecompressedBytes: 16 }),
    ).rejects.toMatchObject({ details: { reason: 'DECOMPRESSION_LIMIT' } });
  });

  it('every reader refuses an empty file and a file of another format', async () => {
    const other = await writeToBytes(parquetCodec, [{ id: 1, text: 'x' }], SCHEMA);
    for (const [, codec] of cases) {
      await expect(readAll(codec, new Uint8Array(0))).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(readAll(orcCodec, other)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(readAll(cases[1]![1], other)).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('empty input', () => {
  it('every codec writes and reads back a file with no records', async () => {
    for (const codec of [parquetCodec, createAvroCodec(), orcCodec]) {
      const bytes = await writeToBytes(codec, [], SCHEMA);
      expect(codec.sniff(bytes)).toBe(true);
      expect(await readAll(codec, bytes, SCHEMA)).toEqual([]);
    }
  });
});

describe('record size limit', () => {
  it('every reader refuses a record past maxRecordBytes with RECORD_TOO_LARGE', async () => {
    for (const codec of [parquetCodec, createAvroCodec(), orcCodec]) {
      const bytes = await writeToBytes(codec, [{ id: 1, text: 'x'.repeat(10_000) }], SCHEMA);
      await expect(
        readAll(codec, bytes, SCHEMA, { ...TEST_LIMITS, maxRecordBytes: 5_000 }),
      ).rejects.toMatchObject({ details: { reason: 'RECORD_TOO_LARGE', location: expect.any(Object) } });
    }
  });
});
