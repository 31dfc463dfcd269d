import { describe, expect, it } from 'vitest';
import type { EntitySchema } from '../../src/codec-types.js';
import { avroCodec, createAvroCodec } from '../../src/columnar/avro/avro-codec.js';
import { asAsync, MemorySink, plain, readAll, TEST_LIMITS, writeToBytes } from './columnar-test-helpers.js';
import { SAMPLE_SCHEMA, sampleRecords } from './sample-records.js';

describe('avro codec', () => {
  it('round-trips every field type with the schema in the file, over many blocks', async () => {
    const records = sampleRecords(3_000);
    const codec = createAvroCodec({ blockSize: 16 * 1024 });
    const bytes = await writeToBytes(codec, records, SAMPLE_SCHEMA);
    expect(codec.sniff(bytes.subarray(0, 4))).toBe(true);
    const text = new TextDecoder().decode(bytes.subarray(0, 2_000));
    expect(text).toContain('"timestamp-millis"');
    expect(text).toContain('deflate');
    const items = await readAll(codec, bytes, SAMPLE_SCHEMA);
    expect(items.map((item) => plain(item.record))).toEqual(records);
    expect(items[2_999]!.location).toEqual({ row: 2_999 });
    // And without an expected schema: the writer's schema is used.
    const untyped = await readAll(codec, bytes);
    expect(untyped.map((item) => plain(item.record))).toEqual(records);
  });

  it('writes block by block through the sink', async () => {
    const sink = new MemorySink();
    await createAvroCodec({ blockSize: 4 * 1024 }).write(asAsync(sampleRecords(1_000)), SAMPLE_SCHEMA, sink);
    expect(sink.chunks.length).toBeGreaterThan(10);
  });

  it('reads a file written with an older schema: missing optional field, extra field', async () => {
    const older: EntitySchema = {
      entity: 'kb',
      fields: [
        ...SAMPLE_SCHEMA.fields.filter((f) => f.name !== 'notes' && f.name !== 'resolved_at'),
        { name: 'legacy_code', type: 'string', nullable: false },
      ],
    };
    const records = sampleRecords(50).map(({ notes: _n, resolved_at: _r, ...rest }) => ({
      ...rest,
      legacy_code: 'L',
    }));
    const bytes = await writeToBytes(avroCodec, records, older);
    const items = await readAll(avroCodec, bytes, SAMPLE_SCHEMA);
    expect(items).toHaveLength(50);
    for (const [i, item] of items.entries()) {
      const { legacy_code: _l, ...expected } = records[i]!;
      expect(plain(item.record)).toEqual({ ...expected, notes: null, resolved_at: null });
    }
  });

  it('refuses a file lacking a required field or with a field of another type', async () => {
    const bytes = await writeToBytes(avroCodec, [{ id: 'a' }], {
      entity: 'kb',
      fields: [{ name: 'id', type: 'string', nullable: false }],
    });
    await expect(readAll(avroCodec, bytes, SAMPLE_SCHEMA)).rejects.toMatchObject({
      code: 'VALIDATION',
      details: { reason: 'SCHEMA_MISMATCH', field: 'title' },
    });
    const typed = await writeToBytes(avroCodec, [{ id: 1 }], {
      entity: 'kb',
      fields: [{ name: 'id', type: 'integer', nullable: false }],
    });
    await expect(
      readAll(avroCodec, typed, { entity: 'kb', fields: [{ name: 'id', type: 'string', nullable: false }] }),
    ).rejects.toMatchObject({ details: { reason: 'SCHEMA_MISMATCH', field: 'id' } });
  });

  it('names a codec it cannot decode in an UNSUPPORTED error', async () => {
    const bytes = await writeToBytes(avroCodec, sampleRecords(3), SAMPLE_SCHEMA);
    const at = Buffer.from(bytes).indexOf('deflate');
    // Re-label the header's codec as xz: the map value's length prefix (zig-zag 7 = 0x0e) becomes 0x04.
    const relabeled = new Uint8Array([
      ...bytes.subarray(0, at - 1),
      0x04,
      0x78,
      0x7a,
      ...bytes.subarray(at + 7),
    ]);
    const error = await readAll(avroCodec, relabeled).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'UNSUPPORTED',
      details: { format: 'avro', feature: "the 'xz' codec" },
    });
  });

  it('refuses bad records on write and bad files on read with typed errors', async () => {
    const records = sampleRecords(2);
    records[1] = { ...records[1]!, created_at: null };
    await expect(writeToBytes(avroCodec, records, SAMPLE_SCHEMA)).rejects.toMatchObject({
      details: { reason: 'BAD_VALUE', field: 'created_at', location: { row: 1 } },
    });
    await expect(readAll(avroCodec, new TextEncoder().encode('Obj\u0001garbage'))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    const bytes = await writeToBytes(avroCodec, sampleRecords(2_000), SAMPLE_SCHEMA);
    await expect(readAll(avroCodec, bytes.subarray(0, bytes.length - 100))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(
      readAll(avroCodec, bytes, undefined, { ...TEST_LIMITS, maxDecompressedBytes: 1024 }),
    ).rejects.toMatchObject({ details: { reason: 'DECOMPRESSION_LIMIT' } });
    await expect(
      readAll(avroCodec, bytes, undefined, { ...TEST_LIMITS, maxRecords: 10 }),
    ).rejects.toMatchObject({
      details: { reason: 'TOO_MANY_RECORDS' },
    });
  });
});
