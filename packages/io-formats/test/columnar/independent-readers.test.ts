import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataRecord, EntitySchema, FormatCodec } from '../../src/codec-types.js';
import { avroCodec } from '../../src/columnar/avro/avro-codec.js';
import { createOrcCodec } from '../../src/columnar/orc/orc-codec.js';
import { createParquetCodec, parquetCodec } from '../../src/columnar/parquet/parquet-codec.js';
import {
  plain,
  readAll,
  readFileSync,
  tempDir,
  writeFileSync,
  writeToBytes,
} from './columnar-test-helpers.js';
import {
  PYTHON_SKIP_REASON,
  pythonRecords,
  readWithPython,
  requirePythonReaders,
  writeBinaryWithPython,
} from './python-readers.js';
import { edgeRecords, SAMPLE_SCHEMA, sampleRecords } from './sample-records.js';

const haveReaders = requirePythonReaders();
const { dir, cleanup } = tempDir('kb-columnar-');
afterAll(cleanup);

const records: DataRecord[] = [...edgeRecords(), ...sampleRecords(3_000)];

/** A binary column (a plugin's `ctx.types.blob`), as the checker's write-binary mode also writes it. */
const BINARY_SCHEMA: EntitySchema = {
  entity: 'things',
  fields: [
    { name: 'id', type: 'string', nullable: false },
    { name: 'data', type: 'binary', nullable: true },
  ],
};
const binaryRecords: DataRecord[] = [
  { id: 'empty', data: Buffer.alloc(0) },
  { id: 'null', data: null },
  { id: 'hello', data: Buffer.from('hello') },
  { id: 'all-bytes', data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
  { id: 'large', data: Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251)) },
];
const hexOf = (rows: DataRecord[]) =>
  rows.map((r) => [r.id, r.data === null ? null : Buffer.from(r.data as Uint8Array).toString('hex')]);

async function writeFile(codec: FormatCodec, name: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await writeToBytes(codec, records, SAMPLE_SCHEMA));
  return path;
}

describe.skipIf(!haveReaders)(
  haveReaders ? 'our files read by pyarrow and fastavro' : PYTHON_SKIP_REASON,
  () => {
    it('pyarrow reads our Parquet: schema, row groups and every value', async () => {
      const path = await writeFile(createParquetCodec({ rowGroupRows: 1_000 }), 'ours.parquet');
      const read = await readWithPython('parquet', path);
      expect(read.row_groups).toBe(4);
      expect(read.schema).toEqual([
        { name: 'id', type: 'string', nullable: false },
        { name: 'title', type: 'string', nullable: false },
        { name: 'notes', type: 'string', nullable: true },
        { name: 'usage_count', type: 'int64', nullable: false },
        { name: 'score', type: 'double', nullable: true },
        { name: 'archived', type: 'bool', nullable: false },
        { name: 'reviewed', type: 'bool', nullable: true },
        { name: 'created_at', type: 'timestamp[ms, tz=UTC]', nullable: false },
        { name: 'resolved_at', type: 'timestamp[ms, tz=UTC]', nullable: true },
      ]);
      expect(pythonRecords(read, SAMPLE_SCHEMA)).toEqual(records.map(plain));
    });

    it('pyarrow reads our ORC (ZLIB and uncompressed, several stripes)', async () => {
      for (const [name, codec] of [
        ['zlib.orc', createOrcCodec({ stripeRows: 1_000 })],
        ['none.orc', createOrcCodec({ compression: 'NONE' })],
      ] as const) {
        const read = await readWithPython('orc', await writeFile(codec, name));
        expect(read.schema.map((f) => [f.name, f.type])).toEqual([
          ['id', 'string'],
          ['title', 'string'],
          ['notes', 'string'],
          ['usage_count', 'int64'],
          ['score', 'double'],
          ['archived', 'bool'],
          ['reviewed', 'bool'],
          ['created_at', 'timestamp[ns]'],
          ['resolved_at', 'timestamp[ns]'],
        ]);
        expect(read.compression).toBe(name === 'zlib.orc' ? 'ZLIB' : 'UNCOMPRESSED');
        expect(pythonRecords(read, SAMPLE_SCHEMA)).toEqual(records.map(plain));
      }
    });

    it('pyarrow and fastavro read our empty files (no rows, the schema only)', async () => {
      for (const [format, codec] of [
        ['parquet', parquetCodec],
        ['orc', createOrcCodec()],
        ['avro', avroCodec],
      ] as const) {
        const path = join(dir, `empty.${format}`);
        writeFileSync(path, await writeToBytes(codec, [], SAMPLE_SCHEMA));
        const read = await readWithPython(format, path);
        expect(read.rows).toEqual([]);
        expect(read.schema.map((f) => f.name)).toEqual(SAMPLE_SCHEMA.fields.map((f) => f.name));
      }
    });

    it('pyarrow and fastavro read our binary columns as bytes (BYTE_ARRAY, BINARY, bytes)', async () => {
      for (const [format, codec, type] of [
        ['parquet', parquetCodec, 'binary'],
        ['orc', createOrcCodec(), 'binary'],
        ['avro', avroCodec, '["null", "bytes"]'],
      ] as const) {
        const path = join(dir, `binary-ours.${format}`);
        writeFileSync(path, await writeToBytes(codec, binaryRecords, BINARY_SCHEMA));
        const read = await readWithPython(format, path);
        expect(
          read.schema.map((f) => [f.name, f.type]),
          format,
        ).toEqual([
          ['id', format === 'avro' ? '"string"' : 'string'],
          ['data', type],
        ]);
        expect(hexOf(pythonRecords(read, BINARY_SCHEMA)), format).toEqual(hexOf(binaryRecords));
      }
    });

    it('our readers read the binary columns pyarrow and fastavro write, as bytes', async () => {
      for (const [format, codec] of [
        ['parquet', parquetCodec],
        ['orc', createOrcCodec()],
        ['avro', avroCodec],
      ] as const) {
        const path = join(dir, `binary-theirs.${format}`);
        await writeBinaryWithPython(format, path);
        const items = await readAll(codec, new Uint8Array(readFileSync(path)), BINARY_SCHEMA);
        const back = items.map((item) => item.record);
        expect(hexOf(back), format).toEqual(hexOf(binaryRecords));
        for (const r of back) if (r.data !== null) expect(r.data, format).toBeInstanceOf(Uint8Array);
      }
    });

    it('fastavro reads our Avro: deflate codec, nullable unions, timestamp-millis', async () => {
      const read = await readWithPython('avro', await writeFile(avroCodec, 'ours.avro'));
      expect(read.codec).toBe('deflate');
      expect(JSON.parse(read.schema.find((f) => f.name === 'resolved_at')!.type)).toEqual([
        'null',
        { type: 'long', logicalType: 'timestamp-millis' },
      ]);
      expect(pythonRecords(read, SAMPLE_SCHEMA)).toEqual(records.map(plain));
    });
  },
);

describe('our Parquet read by DuckDB (@duckdb/node-api)', () => {
  it('gives back every value, in order', async () => {
    const path = await writeFile(parquetCodec, 'duck.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
      expect(described.getRowObjects().map((r) => [r.column_name, r.column_type])).toEqual([
        ['id', 'VARCHAR'],
        ['title', 'VARCHAR'],
        ['notes', 'VARCHAR'],
        ['usage_count', 'BIGINT'],
        ['score', 'DOUBLE'],
        ['archived', 'BOOLEAN'],
        ['reviewed', 'BOOLEAN'],
        ['created_at', 'TIMESTAMP WITH TIME ZONE'],
        ['resolved_at', 'TIMESTAMP WITH TIME ZONE'],
      ]);
      const result = await connection.runAndReadAll(
        `SELECT id, title, notes, usage_count, score, archived, reviewed,
                epoch_ms(created_at) AS created_at, epoch_ms(resolved_at) AS resolved_at
           FROM read_parquet('${path}')`,
      );
      const rows = result.getRowObjects().map((row) => ({
        ...row,
        usage_count: Number(row.usage_count as bigint),
        created_at: new Date(Number(row.created_at as bigint)),
        resolved_at: row.resolved_at === null ? null : new Date(Number(row.resolved_at as bigint)),
      }));
      expect(rows).toEqual(records.map(plain));
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('our reader reads the Parquet DuckDB writes (its own encodings, TIMESTAMPTZ as micros)', async () => {
    const ours = await writeFile(parquetCodec, 'duck-source.parquet');
    const theirs = join(dir, 'written-by-duckdb.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(
        `COPY (SELECT * FROM read_parquet('${ours}')) TO '${theirs}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    const items = await readAll(parquetCodec, new Uint8Array(readFileSync(theirs)), SAMPLE_SCHEMA);
    expect(items.map((item) => plain(item.record))).toEqual(records.map(plain));
  });
});
