import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DataRecord, EntitySchema, FieldValue, FormatCodec } from '../../src/codec-types.js';
import { avroCodec } from '../../src/columnar/avro/avro-codec.js';
import { orcCodec } from '../../src/columnar/orc/orc-codec.js';
import { inspectOrc } from '../../src/columnar/orc/orc-reader.js';
import { parquetCodec } from '../../src/columnar/parquet/parquet-codec.js';
import { memorySource, plain, readAll, TEST_LIMITS } from './columnar-test-helpers.js';
import { decodePythonValue } from './python-readers.js';

/** Files written by pyarrow and fastavro (scripts/make-fixtures.py), read with our readers. */
const dir = new URL('../fixtures/columnar/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(name, dir))));

const SCHEMA: EntitySchema = {
  entity: 'fixture',
  fields: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'category', type: 'string', nullable: false },
    { name: 'note', type: 'string', nullable: true },
    { name: 'seq', type: 'integer', nullable: false },
    { name: 'rep', type: 'integer', nullable: false },
    { name: 'rnd', type: 'integer', nullable: false },
    { name: 'patched', type: 'integer', nullable: false },
    { name: 'score', type: 'double', nullable: true },
    { name: 'flag', type: 'boolean', nullable: true },
    { name: 'at', type: 'timestamp', nullable: false },
  ],
};

const expectedRows: DataRecord[] = (() => {
  const { columns, rows } = JSON.parse(new TextDecoder().decode(fixture('fixture-rows.json'))) as {
    columns: string[];
    rows: unknown[][];
  };
  return rows.map((row) =>
    Object.fromEntries(columns.map((name, i) => [name, decodePythonValue(row[i]) as FieldValue])),
  );
})();

async function readFixture(codec: FormatCodec, name: string): Promise<DataRecord[]> {
  return (await readAll(codec, fixture(name), SCHEMA)).map((item) => plain(item.record));
}

describe('Parquet written by pyarrow', () => {
  for (const name of ['pyarrow-snappy.parquet', 'pyarrow-zstd.parquet', 'pyarrow-micros.parquet']) {
    it(`reads ${name}`, async () => {
      expect(await readFixture(parquetCodec, name)).toEqual(expectedRows);
    });
  }

  it('reports row groups in locations', async () => {
    const items = await readAll(parquetCodec, fixture('pyarrow-snappy.parquet'), SCHEMA);
    expect(items[260]!.location).toEqual({ rowGroup: 1, row: 260 });
  });
});

describe('Avro written by fastavro', () => {
  for (const name of ['fastavro-deflate.avro', 'fastavro-null.avro', 'fastavro-snappy.avro']) {
    it(`reads ${name}`, async () => {
      expect(await readFixture(avroCodec, name)).toEqual(expectedRows);
    });
  }

  it('refuses a snappy block whose CRC-32 does not match', async () => {
    const bytes = fixture('fastavro-snappy.avro');
    const sync = bytes.subarray(bytes.length - 16);
    // The header ends with the sync marker; the first block ends with its CRC, then the marker again.
    let at = -1;
    for (let i = 0, seen = 0; i + 16 <= bytes.length; i++) {
      if (sync.every((b, k) => bytes[i + k] === b) && ++seen === 2) {
        at = i;
        break;
      }
    }
    const corrupt = bytes.slice();
    corrupt[at - 1] = corrupt[at - 1]! ^ 0xff;
    await expect(readAll(avroCodec, corrupt, SCHEMA)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('reads a file written with an older schema through the current one', async () => {
    expect(await readFixture(avroCodec, 'fastavro-older-schema.avro')).toEqual(
      expectedRows.map((row) => ({ ...row, note: null, flag: null })),
    );
  });
});

describe('ORC written by pyarrow (the C++ ORC writer)', () => {
  for (const [name, compression] of [
    ['pyarrow-uncompressed.orc', 'NONE'],
    ['pyarrow-zlib.orc', 'ZLIB'],
    ['pyarrow-snappy.orc', 'SNAPPY'],
    ['pyarrow-zstd.orc', 'ZSTD'],
    ['pyarrow-instant.orc', 'ZLIB'],
  ] as const) {
    it(`reads ${name} (${compression})`, async () => {
      const info = await inspectOrc(memorySource(fixture(name)), TEST_LIMITS);
      expect(info.compression).toBe(compression);
      expect(await readFixture(orcCodec, name)).toEqual(expectedRows);
    });
  }

  it('the fixtures exercise RLE v2 (all four sub-encodings) and DICTIONARY_V2 strings', async () => {
    const info = await inspectOrc(memorySource(fixture('pyarrow-zlib.orc')), TEST_LIMITS);
    expect(info.encodings.category).toEqual(['DICTIONARY_V2']);
    expect(info.encodings.seq).toEqual(['DIRECT_V2']);
    expect(info.rleV2Runs.SHORT_REPEAT).toBeGreaterThan(0);
    expect(info.rleV2Runs.DIRECT).toBeGreaterThan(0);
    expect(info.rleV2Runs.PATCHED_BASE).toBeGreaterThan(0);
    expect(info.rleV2Runs.DELTA).toBeGreaterThan(0);
    const multi = await inspectOrc(memorySource(fixture('pyarrow-uncompressed.orc')), TEST_LIMITS);
    expect(multi.stripes).toBeGreaterThan(1);
    const instant = await inspectOrc(memorySource(fixture('pyarrow-instant.orc')), TEST_LIMITS);
    expect(instant.types).toContain('TIMESTAMP_INSTANT');
  });
});
