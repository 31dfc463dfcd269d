import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import { exportStore, importStore, ndjsonCodec, reasonOf } from '../src/index.js';
import { DEFAULT_LIMITS } from '../src/input-limits.js';
import { bytesSource } from '../src/io/byte-source.js';
import { openStore, snapshot, useSeededStore } from './store-helpers.js';

const GOOD = '{"title":"fine","problem":"p","solution":"s","category":"JCL"}';

/**
 * Text that is not Unicode never reaches the store: bytes that are not UTF-8 (an overlong 0xC0 0xAF, a
 * truncated sequence) and JSON escapes of a lone surrogate (`\ud800`, which no UTF-8 store can hold) are
 * refused with the line and the field, on every path, and nothing is written.
 */
describe('invalid UTF-8 and lone surrogates in NDJSON', () => {
  const fx = useSeededStore();

  const file = (name: string, bytes: Buffer) => {
    const path = fx.dir.file(name);
    writeFileSync(path, bytes);
    return path;
  };

  it('an overlong 0xC0 0xAF pair on line 3 is refused naming line 3', async () => {
    const bad = Buffer.concat([
      Buffer.from(`${GOOD}\n${GOOD}\n{"title":"`),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from(`etc","problem":"p","solution":"s","category":"JCL"}\n${GOOD}\n`),
    ]);
    const error = await importStore(fx.storage, { input: file('overlong.ndjson', bad) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(reasonOf(error)).toBe('INVALID_UTF8');
    expect((error as ValidationError).details).toMatchObject({ location: { line: 3 } });
    expect((error as ValidationError).message).toContain('line 3');
    expect(await snapshot(fx.storage)).toEqual(fx.before);
  });

  it('a sequence cut by a read-chunk boundary is not mistaken for invalid, and a truncated last line is named', async () => {
    const euro = Buffer.from('€');
    // The three bytes of € straddle the 256 KiB chunk boundary of the reader.
    const pad = 256 * 1024 - 12;
    const line = Buffer.concat([Buffer.from(`{"title":"${'x'.repeat(pad)}`), euro, Buffer.from('"}\n')]);
    const items = [];
    for await (const item of ndjsonCodec.read(bytesSource(line), { limits: DEFAULT_LIMITS }))
      items.push(item);
    expect(items).toHaveLength(1);
    expect(String(items[0]?.record.title).endsWith('€')).toBe(true);

    const truncated = Buffer.concat([Buffer.from(`${GOOD}\n{"title":"`), euro.subarray(0, 2)]);
    const error = await (async () => {
      for await (const _ of ndjsonCodec.read(bytesSource(truncated), { limits: DEFAULT_LIMITS })) {
      }
    })().catch((e: unknown) => e);
    expect(reasonOf(error)).toBe('INVALID_UTF8');
    expect((error as ValidationError).details).toMatchObject({ location: { line: 2 } });
  });

  it('a lone surrogate escape is refused naming the record, its line and the field; nothing is written', async () => {
    const path = file(
      'surrogate.ndjson',
      Buffer.from(
        `${GOOD}\n{"title":"fine too","problem":"broken \\ud800 text","solution":"s","category":"JCL"}\n`,
      ),
    );
    const result = await importStore(fx.storage, { input: path });
    expect(result.committed).toBe(false);
    expect(result.errors).toEqual([
      expect.objectContaining({
        record: 2,
        field: 'problem',
        location: expect.objectContaining({ line: 2 }),
        message: expect.stringMatching(/surrogate/),
      }),
    ]);
    expect(await snapshot(fx.storage)).toEqual(fx.before);
  });

  it('a lone surrogate in a table row of an export directory is refused too', async () => {
    const out = fx.dir.file('export');
    await exportStore(fx.storage, { format: 'ndjson', out, entities: ['kb'] });
    const path = join(out, 'kb_entries.ndjson');
    writeFileSync(path, readFileSync(path, 'utf8').replace('VSAM status 35', 'VSAM \\udfff 35'));
    const target = await openStore(fx.dir.file('target.db'));
    try {
      const error = await importStore(target, { input: out }).then(
        (result) => result.errors,
        (e: unknown) => e,
      );
      const text = JSON.stringify(error instanceof Error ? { message: error.message } : error);
      expect(text).toMatch(/surrogate/);
      expect(text).toMatch(/title/);
      expect(await target.countEntries()).toBe(0);
    } finally {
      await target.close();
    }
  });
});
