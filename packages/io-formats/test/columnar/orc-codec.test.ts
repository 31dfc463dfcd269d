import { describe, expect, it } from 'vitest';
import type { EntitySchema } from '../../src/codec-types.js';
import { createOrcCodec, orcCodec } from '../../src/columnar/orc/orc-codec.js';
import { decodePostScript, encodePostScript } from '../../src/columnar/orc/orc-proto.js';
import { asAsync, MemorySink, plain, readAll, TEST_LIMITS, writeToBytes } from './columnar-test-helpers.js';
import { SAMPLE_SCHEMA, sampleRecords } from './sample-records.js';

describe('orc codec', () => {
  it('round-trips every field type over several ZLIB stripes', async () => {
    const records = sampleRecords(2_500);
    const codec = createOrcCodec({ stripeRows: 1_000 });
    const bytes = await writeToBytes(codec, records, SAMPLE_SCHEMA);
    expect(codec.sniff(bytes.subarray(0, 64))).toBe(true);
    const items = await readAll(codec, bytes, SAMPLE_SCHEMA);
    expect(items.map((item) => plain(item.record))).toEqual(records);
    expect(items[1_500]!.location).toEqual({ stripe: 1, row: 1_500 });
  });

  it('round-trips uncompressed, and without an expected schema', async () => {
    const records = sampleRecords(300);
    const codec = createOrcCodec({ compression: 'NONE' });
    const bytes = await writeToBytes(codec, records, SAMPLE_SCHEMA);
    const items = await readAll(codec, bytes);
    expect(items.map((item) => plain(item.record))).toEqual(records);
  });

  it('sniffs ORC files, not text that happens to start with ORC', async () => {
    const bytes = await writeToBytes(orcCodec, sampleRecords(10), SAMPLE_SCHEMA);
    expect(orcCodec.sniff(bytes.subarray(0, 64))).toBe(true);
    expect(orcCodec.sniff(new TextEncoder().encode('ORCID,name\r\n0000-0002-1825-0097,Josiah\r\n'))).toBe(
      false,
    );
    expect(orcCodec.sniff(new TextEncoder().encode('ORC'))).toBe(false);
  });

  it('names a compression it cannot decode (LZ4) in an UNSUPPORTED error', async () => {
    const bytes = await writeToBytes(
      createOrcCodec({ compression: 'NONE' }),
      sampleRecords(5),
      SAMPLE_SCHEMA,
    );
    const psLength = bytes[bytes.length - 1]!;
    const ps = decodePostScript(bytes.subarray(bytes.length - 1 - psLength, bytes.length - 1));
    const lz4 = encodePostScript({ ...ps, compression: 4 });
    const hostile = new Uint8Array([...bytes.subarray(0, bytes.length - 1 - psLength), ...lz4, lz4.length]);
    const error = await readAll(orcCodec, hostile).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'UNSUPPORTED',
      details: { format: 'orc', feature: 'compression LZ4' },
    });
    expect((error as Error).message).toMatch(/LZ4/);
  });

  it('hands each stripe to the sink as it is written', async () => {
    const sink = new MemorySink();
    await createOrcCodec({ stripeRows: 100 }).write(asAsync(sampleRecords(1_000)), SAMPLE_SCHEMA, sink);
    expect(sink.chunks.length).toBeGreaterThan(10);
  });

  it('refuses the sub-second range before 1970 that ORC readers decode wrongly (ORC-763)', async () => {
    const schema: EntitySchema = {
      entity: 't',
      fields: [{ name: 'at', type: 'timestamp', nullable: false }],
    };
    await expect(writeToBytes(orcCodec, [{ at: new Date(-1) }], schema)).rejects.toMatchObject({
      details: { reason: 'BAD_VALUE', field: 'at' },
    });
    const ok = [new Date(-1000), new Date(-1001), new Date(-999_999), new Date(0), new Date(999)];
    const bytes = await writeToBytes(
      orcCodec,
      ok.map((at) => ({ at })),
      schema,
    );
    expect((await readAll(orcCodec, bytes)).map((i) => i.record.at)).toEqual(ok);
  });

  it('rejects schema mismatches and hostile or truncated files with typed errors', async () => {
    const bytes = await writeToBytes(orcCodec, sampleRecords(50), SAMPLE_SCHEMA);
    await expect(
      readAll(orcCodec, bytes, {
        entity: 'kb',
        fields: SAMPLE_SCHEMA.fields.map((f) => (f.name === 'score' ? { ...f, type: 'integer' } : f)),
      }),
    ).rejects.toMatchObject({ details: { reason: 'SCHEMA_MISMATCH', field: 'score' } });
    await expect(readAll(orcCodec, bytes.subarray(0, bytes.length - 10))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(readAll(orcCodec, new TextEncoder().encode('ORC garbage'))).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(
      readAll(orcCodec, bytes, undefined, { ...TEST_LIMITS, maxRecords: 49 }),
    ).rejects.toMatchObject({
      details: { reason: 'TOO_MANY_RECORDS' },
    });
    await expect(
      readAll(orcCodec, bytes, undefined, { ...TEST_LIMITS, maxDecompressedBytes: 500 }),
    ).rejects.toMatchObject({ details: { reason: 'DECOMPRESSION_LIMIT' } });
    // Flip bytes through the stripes: every outcome is a typed error or a clean read, never a crash.
    for (let at = 3; at < bytes.length - 1; at += 7) {
      const corrupt = bytes.slice();
      corrupt[at] = corrupt[at]! ^ 0xa5;
      const outcome = await readAll(orcCodec, corrupt).then(
        () => 'read',
        (error: unknown) => (error as { code?: string }).code ?? String(error),
      );
      expect(['read', 'VALIDATION', 'UNSUPPORTED']).toContain(outcome);
    }
  });
});
