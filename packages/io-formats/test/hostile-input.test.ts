import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ValidationError } from '@mainframe-kb/storage-core';
import { describe, expect, it } from 'vitest';
import { type InputLimits, importStore, reasonOf } from '../src/index.js';
import { openStore, snapshot, useSeededStore } from './store-helpers.js';

const corpus = (name: string) => fileURLToPath(new URL(`./hostile/${name}`, import.meta.url));

/** Every corpus file with the reason it must be refused for. */
const REFUSED: Record<string, string> = {
  'xxe-external-entity.xml': 'DTD_FORBIDDEN',
  'billion-laughs.xml': 'DTD_FORBIDDEN',
  'undeclared-entity.xml': 'MALFORMED',
  'deep-nesting.json.txt': 'TOO_DEEP',
  'deep-nesting.xml': 'MALFORMED',
  'proto-key.json.txt': 'FORBIDDEN_KEY',
  'constructor-key.ndjson': 'FORBIDDEN_KEY',
  'proto-header.csv': 'FORBIDDEN_KEY',
  'proto-element.xml': 'FORBIDDEN_KEY',
  'duplicate-headers.csv': 'DUPLICATE_HEADER',
  'duplicate-label-headers.csv': 'DUPLICATE_HEADER',
  'duplicate-key.json.txt': 'MALFORMED',
  'precision-integer.ndjson': 'PRECISION_LOSS',
  // Flat, one line, no spaces: the shape of the JSON.parse fast paths (NDJSON lines, envelope and JSON
  // records), which must hand these to the checking parser rather than let JSON.parse keep the last
  // duplicate, a __proto__ own property or a rounded number. duplicate-key.json.txt is one too.
  'duplicate-key.ndjson': 'MALFORMED',
  'proto-flat-key.ndjson': 'FORBIDDEN_KEY',
  'precision-canonical.ndjson': 'PRECISION_LOSS',
  'proto-flat-key.json.txt': 'FORBIDDEN_KEY',
  'precision-canonical.json.txt': 'PRECISION_LOSS',
  'precision-decimal.json.txt': 'PRECISION_LOSS',
  'unclosed-string.json.txt': 'MALFORMED',
  'trailing-garbage.json.txt': 'MALFORMED',
  'xml-other-encoding.xml': 'MALFORMED',
  'invalid-utf8.csv': 'INVALID_UTF8',
  'invalid-utf8-overlong.ndjson': 'INVALID_UTF8',
  'truncated-utf8.json.txt': 'INVALID_UTF8',
  'utf16-bom.csv': 'INVALID_UTF8',
};

const ACCEPTED = ['bom.csv', 'bom.json.txt'];

describe('hostile input (RELIABILITY.md test 10): refused, typed, nothing written', () => {
  const fx = useSeededStore();

  async function expectRefused(input: string, reason: string, limits?: Partial<InputLimits>) {
    const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const error = await importStore(fx.storage, { input, limits }).then(
      (result) => new Error(`accepted: ${JSON.stringify(result)}`),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(reasonOf(error)).toBe(reason);
    expect((error as ValidationError).code).toBe('VALIDATION');
    expect(await snapshot(fx.storage)).toEqual(fx.before);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }

  it('covers every file of the corpus', () => {
    const files = readdirSync(fileURLToPath(new URL('./hostile/', import.meta.url))).filter(
      (f) => f !== 'README.md',
    );
    expect(files.sort()).toEqual([...Object.keys(REFUSED), ...ACCEPTED].sort());
  });

  for (const [file, reason] of Object.entries(REFUSED)) {
    it(`${file} → ${reason}`, async () => {
      await expectRefused(corpus(file), reason);
    });
  }

  it('a UTF-8 BOM is dropped, not kept in the first header or value', async () => {
    const scratch = await openStore(fx.dir.file('bom.db'));
    try {
      for (const file of ACCEPTED) {
        const result = await importStore(scratch, { input: corpus(file) });
        expect(result.errors).toEqual([]);
        expect(result.inserted).toBe(1);
      }
      const titles = (await scratch.listEntries()).entries.map((e) => e.title).sort();
      expect(titles).toEqual(['BOM entry', 'BOM json']);
    } finally {
      await scratch.close();
    }
  });

  it('a line longer than the record limit (NDJSON) → RECORD_TOO_LARGE', async () => {
    const file = fx.dir.file('huge-line.ndjson');
    writeFileSync(
      file,
      `{"title":"${'x'.repeat(3 * 1024 * 1024)}","problem":"p","solution":"s","category":"JCL"}\n`,
    );
    await expectRefused(file, 'RECORD_TOO_LARGE', { maxRecordBytes: 1024 * 1024 });
  });

  it('a line without an end (NDJSON) is refused while it is still arriving', async () => {
    const file = fx.dir.file('endless.ndjson');
    writeFileSync(file, 'x'.repeat(3 * 1024 * 1024));
    await expectRefused(file, 'RECORD_TOO_LARGE', { maxRecordBytes: 1024 * 1024 });
  });

  it('a CSV row past the record limit → RECORD_TOO_LARGE', async () => {
    const file = fx.dir.file('huge-row.csv');
    writeFileSync(file, `title,problem,solution,category\r\n"${'y'.repeat(3 * 1024 * 1024)}",p,s,JCL\r\n`);
    await expectRefused(file, 'RECORD_TOO_LARGE', { maxRecordBytes: 1024 * 1024 });
  });

  it('an XML text node past the record limit → RECORD_TOO_LARGE', async () => {
    const file = fx.dir.file('huge-text.xml');
    writeFileSync(file, `<records><record><title>${'z'.repeat(3 * 1024 * 1024)}</title></record></records>`);
    await expectRefused(file, 'RECORD_TOO_LARGE', { maxRecordBytes: 1024 * 1024 });
  });

  it('a JSON string past the record limit → RECORD_TOO_LARGE', async () => {
    const file = fx.dir.file('huge-string.json.txt');
    writeFileSync(file, `[{"title":"${'w'.repeat(3 * 1024 * 1024)}"}]`);
    await expectRefused(file, 'RECORD_TOO_LARGE', { maxRecordBytes: 1024 * 1024 });
  });

  it('a gzip bomb is stopped at the decompressed-size cap → DECOMPRESSION_LIMIT', async () => {
    const file = fx.dir.file('bomb.json.gz');
    // 64 MiB of JSON whitespace inside an array: a few tens of KiB compressed.
    const body = Buffer.alloc(64 * 1024 * 1024, 0x20);
    body[0] = 0x5b;
    body[body.length - 1] = 0x5d;
    writeFileSync(file, gzipSync(body, { level: 9 }));
    await expectRefused(file, 'DECOMPRESSION_LIMIT', { maxDecompressedBytes: 4 * 1024 * 1024 });
  });

  it('a corrupt gzip stream → MALFORMED', async () => {
    const file = fx.dir.file('corrupt.csv.gz');
    const good = gzipSync(Buffer.from('title,problem,solution,category\r\nt,p,s,JCL\r\n'));
    good[good.length - 6] = (good[good.length - 6] as number) ^ 0xff;
    writeFileSync(file, good);
    await expectRefused(file, 'MALFORMED');
  });

  it('more records than the limit → TOO_MANY_RECORDS', async () => {
    const file = fx.dir.file('many.ndjson');
    writeFileSync(file, '{"title":"a","problem":"p","solution":"s","category":"JCL"}\n'.repeat(5));
    await expectRefused(file, 'TOO_MANY_RECORDS', { maxRecords: 3 });
  });

  it('a gzip-compressed CSV within the cap is imported', async () => {
    const scratch = await openStore(fx.dir.file('gz.db'));
    try {
      const file = fx.dir.file('ok.csv.gz');
      writeFileSync(file, gzipSync(Buffer.from('title,problem,solution,category\r\nZipped,p,s,JCL\r\n')));
      const result = await importStore(scratch, { input: file });
      expect(result).toMatchObject({ format: 'csv', inserted: 1, committed: true });
    } finally {
      await scratch.close();
    }
  });
});
