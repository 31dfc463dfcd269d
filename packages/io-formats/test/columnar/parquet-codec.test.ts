import { isStorageError } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import type { EntitySchema } from '../../src/codec-types.js';
import { nativeSnappyCompress } from '../../src/columnar/compression/native-snappy.js';
import { snappyDecompress } from '../../src/columnar/compression/snappy.js';
import { createParquetCodec, parquetCodec } from '../../src/columnar/parquet/parquet-codec.js';
import { asAsync, MemorySink, plain, readAll, TEST_LIMITS, writeToBytes } from './columnar-test-helpers.js';
import { SAMPLE_SCHEMA, sampleRecords } from './sample-records.js';

describe('parquet codec', () => {
  it('round-trips every field type, nulls included, across several row groups', async () => {
    const records = sampleRecords(2_500);
    const codec = createParquetCodec({ rowGroupRows: 1_000 });
    const bytes = await writeToBytes(codec, records, SAMPLE_SCHEMA);
    expect(codec.sniff(bytes.subarray(0, 8))).toBe(true);
    const items = await readAll(codec, bytes, SAMPLE_SCHEMA);
    expect(items.map((item) => plain(item.record))).toEqual(records);
    expect(items[0]!.location).toEqual({ rowGroup: 0, row: 0 });
    expect(items[1_500]!.location).toEqual({ rowGroup: 1, row: 1_500 });
    expect(items[2_499]!.location).toEqual({ rowGroup: 2, row: 2_499 });
  });

  it('compresses pages with the native Snappy binary, in the format the JavaScript decoder reads', () => {
    // Linux x64 has a prebuilt binary: without it Parquet exports silently take 1.4 x as long.
    const compress = nativeSnappyCompress();
    expect(compress).toBeTypeOf('function');
    const text = new TextEncoder().encode('S0C7 data exception in PAYROLL step 2; '.repeat(5_000));
    const compressed = compress!(text);
    expect(compressed.length).toBeLessThan(text.length / 10);
    expect(snappyDecompress(compressed, text.length)).toEqual(text);
    // A subarray of a larger buffer compresses only its own bytes.
    const slice = text.subarray(7, 7 + 1_000);
    expect(snappyDecompress(compress!(slice), 1_000)).toEqual(slice);
  });

  it('writes one sink chunk per row group (the file is never buffered whole)', async () => {
    const sink = new MemorySink();
    await createParquetCodec({ rowGroupRows: 100 }).write(asAsync(sampleRecords(1_000)), SAMPLE_SCHEMA, sink);
    // Header+first group, nine more groups, then the footer.
    expect(sink.chunks.length).toBeGreaterThanOrEqual(10);
  });

  it('reads without an expected schema, deriving it from the file', async () => {
    const records = sampleRecords(10);
    const bytes = await writeToBytes(parquetCodec, records, SAMPLE_SCHEMA);
    const items = await readAll(parquetCodec, bytes);
    expect(items.map((item) => plain(item.record))).toEqual(records);
  });

  it('fills a nullable field the file lacks with null and ignores extra columns', async () => {
    const older: EntitySchema = {
      entity: 'kb',
      fields: [
        ...SAMPLE_SCHEMA.fields.filter((f) => f.name !== 'notes'),
        { name: 'legacy', type: 'string', nullable: true },
      ],
    };
    const records = sampleRecords(5).map(({ notes: _notes, ...rest }) => ({ ...rest, legacy: 'x' }));
    const bytes = await writeToBytes(parquetCodec, records, older);
    const items = await readAll(parquetCodec, bytes, SAMPLE_SCHEMA);
    expect(items[0]!.record.notes).toBeNull();
    expect('legacy' in items[0]!.record).toBe(false);
  });

  it('refuses a file whose column type differs from the expected schema', async () => {
    const bytes = await writeToBytes(parquetCodec, sampleRecords(3), SAMPLE_SCHEMA);
    const expected: EntitySchema = {
      entity: 'kb',
      fields: SAMPLE_SCHEMA.fields.map((f) => (f.name === 'usage_count' ? { ...f, type: 'string' } : f)),
    };
    const error = await readAll(parquetCodec, bytes, expected).catch((e: unknown) => e);
    expect(isStorageError(error, 'VALIDATION')).toBe(true);
    expect((error as { details: { reason: string; field: string } }).details).toMatchObject({
      reason: 'SCHEMA_MISMATCH',
      field: 'usage_count',
    });
  });

  it('refuses a missing required column', async () => {
    const bytes = await writeToBytes(parquetCodec, [{ id: 'a' }], {
      entity: 'kb',
      fields: [{ name: 'id', type: 'string', nullable: false }],
    });
    await expect(readAll(parquetCodec, bytes, SAMPLE_SCHEMA)).rejects.toMatchObject({
      code: 'VALIDATION',
      details: { reason: 'SCHEMA_MISMATCH', field: 'title' },
    });
  });

  it('refuses a bad record on write with its row and field', async () => {
    const records = sampleRecords(3);
    records[2] = { ...records[2]!, usage_count: 2 ** 53 };
    const error = await writeToBytes(parquetCodec, records, SAMPLE_SCHEMA).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'VALIDATION',
      details: { reason: 'PRECISION_LOSS', field: 'usage_count', location: { row: 2 } },
    });
  });

  it('rejects truncated, garbage and hostile footers with typed errors', async () => {
    const bytes = await writeToBytes(parquetCodec, sampleRecords(20), SAMPLE_SCHEMA);
    await expect(readAll(parquetCodec, bytes.subarray(0, bytes.length - 3))).rejects.toMatchObject({
      code: 'VALIDATION',
      details: { reason: 'MALFORMED' },
    });
    await expect(
      readAll(parquetCodec, new TextEncoder().encode('PAR1 not a parquet file')),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    const hostile = bytes.slice();
    new DataView(hostile.buffer).setUint32(hostile.length - 8, hostile.length - 12, true);
    await expect(readAll(parquetCodec, hostile)).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(
      readAll(parquetCodec, bytes, undefined, { ...TEST_LIMITS, maxRecords: 19 }),
    ).rejects.toMatchObject({ details: { reason: 'TOO_MANY_RECORDS' } });
    await expect(
      readAll(parquetCodec, bytes, undefined, { ...TEST_LIMITS, maxDecompressedBytes: 64 }),
    ).rejects.toMatchObject({ details: { reason: 'DECOMPRESSION_LIMIT' } });
  });
});
