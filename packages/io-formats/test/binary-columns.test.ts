import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { definePlugin, type PluginContext, type Storage, StorageError } from '@mainframe-kb/storage-core';
import { availableTestStores, sqliteStores } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bytesSource,
  csvCodec,
  type DataRecord,
  type EntitySchema,
  exportStore,
  type FormatName,
  importStore,
  ioFormatsPlugin,
  jsonCodec,
  memorySink,
  ndjsonCodec,
  reasonOf,
  xmlCodec,
} from '../src/index.js';
import { DEFAULT_LIMITS } from '../src/input-limits.js';
import { tempDir } from './store-helpers.js';

// A plugin table with a binary column (`ctx.types.blob`) must come through every whole-store export format
// and back, on every dialect, exactly: empty, 1 MiB and NULL values, and a blob beside a text column
// holding the same bytes. Text formats spell bytes in base64, which the schema declares
// (`{"type":"binary","encoding":"base64"}`); Parquet, Avro and ORC use their own binary types.

interface BlobDatabase {
  blob_things: { id: string; data: Uint8Array | null; label: string | null };
}

interface BlobApi {
  put(id: string, data: Uint8Array | null, label: string | null): Promise<void>;
}

const blobPlugin = definePlugin<'test-blobs', BlobApi, BlobDatabase>({
  id: 'test-blobs',
  version: '1.0.0',
  mvp: 2,
  tables: { blob_things: { entity: 'blob_things', primaryKey: ['id'] } },
  migrations: [
    {
      id: '0001_blob_things',
      async up(db, ctx) {
        await db.schema
          .createTable('blob_things')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('data', ctx.types.blob)
          .addColumn('label', ctx.types.longText)
          .execute();
      },
    },
  ],
  setup(ctx: PluginContext<BlobDatabase>) {
    return {
      api: {
        put: (id, data, label) =>
          ctx.write('test-blobs.put', async ({ trx }) => {
            await trx.insertInto('blob_things').values({ id, data, label }).execute();
          }),
      },
      permissions: { 'test-blobs.put': 'editor' },
    };
  },
});

function bytes(length: number, seed: string): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0, n = 0; at < length; n += 1) {
    at += createHash('sha256').update(`${seed}:${n}`).digest().copy(out, at);
  }
  return out;
}

const ROWS: { id: string; data: Buffer | null; label: string | null }[] = [
  { id: 'empty', data: Buffer.alloc(0), label: '' },
  { id: 'null', data: null, label: null },
  { id: 'same-bytes', data: Buffer.from('hello'), label: 'hello' },
  // Base64 of the bytes as text: must stay text beside the bytes it spells.
  { id: 'base64-text', data: Buffer.from('hello'), label: 'aGVsbG8=' },
  { id: 'all-bytes', data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), label: 'every byte' },
  { id: 'buffer-json', data: Buffer.from('hi'), label: '{"type":"Buffer","data":[104,105]}' },
  // 0xf8 is '+' in base64: a spreadsheet formula trigger in CSV.
  { id: 'formula', data: Buffer.from([0xf8, 0x00, 0x3e]), label: '+A==' },
  { id: 'mib', data: bytes(1024 * 1024, 'mib'), label: 'one mebibyte' },
];

async function rowsOf(storage: Storage): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of storage.exportTables({ tables: ['blob_things'] })) rows.push(...batch.rows);
  return rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

function expectSeeded(rows: Record<string, unknown>[]): void {
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(rows).toHaveLength(ROWS.length);
  for (const want of ROWS) {
    const got = byId.get(want.id)!;
    expect(got, want.id).toBeDefined();
    if (want.data === null) expect(got.data, `${want.id}.data`).toBeNull();
    else {
      expect(got.data, `${want.id}.data is bytes`).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got.data as Uint8Array).equals(want.data), `${want.id}.data bytes`).toBe(true);
    }
    expect(got.label, `${want.id}.label`).toBe(want.label);
  }
}

/** Every file an export of a text format wrote, as one text. */
function exportText(out: string): string {
  const files = statSync(out).isDirectory() ? readdirSync(out).map((f) => join(out, f)) : [out];
  return files.map((f) => readFileSync(f, 'utf8')).join('\n');
}

const FORMATS: FormatName[] = ['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc'];
const TEXT_FORMATS = new Set<FormatName>(['json', 'ndjson', 'csv', 'xml']);
const options = { plugins: [blobPlugin, ioFormatsPlugin], actor: { id: 'blobs', role: 'admin' as const } };
const targets = availableTestStores();
/** SQLite stores for the tests that move an export between dialects (each dialect's own are dropped with it). */
const local = sqliteStores();
afterAll(() => local.cleanup());

for (const target of targets) {
  const stores = target.stores;
  if (!stores) {
    describe(`binary columns through io-formats on ${target.dialect} (${target.skipped})`, () => {
      it.skip(`runs against ${target.dialect}`, () => {});
    });
    continue;
  }
  describe(`binary columns through io-formats on ${target.dialect}`, () => {
    const dir = tempDir();
    afterAll(async () => {
      await stores.cleanup();
      dir.remove();
    });

    for (const format of FORMATS) {
      it(`${format}: export, restore and import carry every blob exactly`, async () => {
        const source = await stores.open({}, options);
        const api = source.plugin(blobPlugin);
        for (const row of ROWS) await api.put(row.id, row.data, row.label);
        const out = dir.file(`${target.dialect}-${format}`);
        const exported = await exportStore(source, { format, out });
        expect(exported.tables.blob_things).toBe(ROWS.length);

        if (TEXT_FORMATS.has(format)) {
          // Node's JSON form of a Buffer, unescaped (the `buffer-json` row's label holds it as text, escaped).
          const text = exportText(out);
          expect(text).not.toMatch(/\{"type":\s*"Buffer",\s*"data":/);
          // The bytes as base64 (no text column holds these), and the schema that says so.
          expect(text).toContain(ROWS.find((r) => r.id === 'all-bytes')!.data!.toString('base64'));
          const header = JSON.parse(
            format === 'json'
              ? `${readFileSync(out, 'utf8').split('\n"data":')[0]!.replace(/,$/, '')}}`
              : readFileSync(join(out, 'manifest.json'), 'utf8'),
          );
          const [id, data, label] = header.schemas.blob_things.fields;
          expect(data).toEqual({
            name: 'data',
            type: 'binary',
            nullable: true,
            label: 'Data',
            encoding: 'base64',
          });
          expect([id.type, label.type, id.encoding, label.encoding]).toEqual([
            'string',
            'string',
            undefined,
            undefined,
          ]);
        }

        const restored = await stores.open({}, options);
        const result = await importStore(restored, { input: out, restore: true });
        expect(result.errors).toEqual([]);
        expect(result.committed).toBe(true);
        expectSeeded(await rowsOf(restored));
        expect((await restored.contentHash()).hash).toBe((await source.contentHash()).hash);

        const merged = await stores.open({}, options);
        const imported = await importStore(merged, { input: out });
        expect(imported.errors).toEqual([]);
        expect(imported.tables.blob_things?.inserted).toBe(ROWS.length);
        expectSeeded(await rowsOf(merged));
        const blobs = { tables: ['blob_things'] };
        expect((await merged.contentHash(blobs)).hash).toBe((await source.contentHash(blobs)).hash);
      }, 60_000);
    }

    it('20 MiB of blobs import and restore in statements the server takes', async () => {
      const source = await stores.open({}, options);
      const api = source.plugin(blobPlugin);
      for (let i = 0; i < 20; i += 1) await api.put(`big-${i}`, bytes(1024 * 1024, `big-${i}`), null);
      const blobs = { tables: ['blob_things'] };
      const expected = (await source.contentHash(blobs)).hash;
      for (const format of ['json', 'ndjson'] as const) {
        const out = dir.file(`${target.dialect}-big-${format}`);
        await exportStore(source, { format, out });
        const merged = await stores.open({}, options);
        expect((await importStore(merged, { input: out })).tables.blob_things?.inserted).toBe(20);
        expect((await merged.contentHash(blobs)).hash).toBe(expected);
        const restored = await stores.open({}, options);
        expect((await importStore(restored, { input: out, restore: true })).committed).toBe(true);
        expect((await restored.contentHash(blobs)).hash).toBe(expected);
      }
    }, 120_000);

    if (target.dialect !== 'sqlite') {
      it('a JSON envelope written on SQLite restores here byte for byte', async () => {
        const source = await local.open({}, options);
        const api = source.plugin(blobPlugin);
        for (const row of ROWS) await api.put(row.id, row.data, row.label);
        const out = dir.file('from-sqlite.json');
        await exportStore(source, { format: 'json', out });
        const restored = await stores.open({}, options);
        expect((await importStore(restored, { input: out, restore: true })).committed).toBe(true);
        expectSeeded(await rowsOf(restored));
        expect((await restored.contentHash()).hash).toBe((await source.contentHash()).hash);
      }, 60_000);
    }
  });
}

describe('binary fields in the text codecs', () => {
  const schema: EntitySchema = {
    entity: 'things',
    table: 'things',
    primaryKey: ['id'],
    fields: [
      { name: 'id', type: 'string', nullable: false },
      { name: 'data', type: 'binary', nullable: true, encoding: 'base64' },
    ],
  };
  const records: DataRecord[] = [
    { id: 'a', data: Buffer.from([0xf8, 0x00, 0x3e]) },
    { id: 'b', data: new Uint8Array(0) },
    { id: 'c', data: null },
    { id: 'd', data: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  ];
  async function* each(): AsyncGenerator<DataRecord> {
    yield* records;
  }
  async function roundTrip(codec: typeof csvCodec): Promise<{ text: string; back: DataRecord[] }> {
    const sink = memorySink();
    await codec.write(each(), schema, sink);
    const back: DataRecord[] = [];
    for await (const item of codec.read(bytesSource(sink.bytes()), { schema, limits: DEFAULT_LIMITS })) {
      back.push(item.record);
    }
    return { text: Buffer.from(sink.bytes()).toString('utf8'), back };
  }
  const hex = (rows: DataRecord[]) =>
    rows.map((r) => [r.id, r.data === null ? null : Buffer.from(r.data as Uint8Array).toString('hex')]);

  for (const codec of [jsonCodec, ndjsonCodec, csvCodec, xmlCodec]) {
    it(`${codec.format}: bytes as base64, empty bytes apart from null, read back as bytes`, async () => {
      const { text, back } = await roundTrip(codec);
      expect(hex(back)).toEqual(hex(records));
      for (const r of back) if (r.data !== null) expect(r.data).toBeInstanceOf(Uint8Array);
      expect(text).toContain('AAEC/f7/');
      expect(text).not.toContain('Buffer');
    });
  }

  it('csv: a base64 cell that starts with + is guarded from spreadsheets and restored', async () => {
    const { text } = await roundTrip(csvCodec);
    expect(text).toContain("a,'+AA+\r\n");
    expect(text).toContain('b,""\r\n');
    expect(text).toContain('c,\r\n');
  });

  it('xml: bytes are marked encoding="base64"', async () => {
    const { text } = await roundTrip(xmlCodec);
    expect(text).toContain('<data encoding="base64">+AA+</data>');
    expect(text).toContain('<data encoding="base64"></data>');
    expect(text).toContain('<data nil="true"/>');
  });

  it('refuses text that is not base64 in a binary field, with its location', async () => {
    for (const [codec, body] of [
      [ndjsonCodec, '{"id":"a","data":"not base64!"}\n'],
      [jsonCodec, '[{"id":"a","data":"AAE"}]'],
      [csvCodec, 'id,data\r\na,@@@@\r\n'],
      [xmlCodec, '<records entity="things"><record><id>a</id><data>A=A=</data></record></records>'],
    ] as const) {
      const read = async () => {
        for await (const _ of codec.read(bytesSource(Buffer.from(body)), {
          schema,
          limits: DEFAULT_LIMITS,
        })) {
          // drain
        }
      };
      const error = await read().catch((e: unknown) => e);
      expect(error, codec.format).toBeInstanceOf(StorageError);
      expect(reasonOf(error), codec.format).toBe('BAD_VALUE');
      expect((error as StorageError).message, codec.format).toMatch(/data: .*base64/);
    }
  });
});

describe('the envelope declares how bytes are spelled', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('refuses a binary field whose encoding is missing or unknown', async () => {
    const source = await local.open({}, options);
    await source.plugin(blobPlugin).put('x', Buffer.from('hello'), 'hello');
    const out = dir.file('export.json');
    await exportStore(source, { format: 'json', out });
    const original = readFileSync(out, 'utf8');
    for (const [name, edited] of [
      ['hex', original.replace('"encoding":"base64"', '"encoding":"hex"')],
      ['none', original.replace(',"encoding":"base64"', '')],
    ] as const) {
      expect(edited).not.toBe(original);
      const file = dir.file(`edited-${name}.json`);
      writeFileSync(file, edited);
      const target = await local.open({}, options);
      const error = await importStore(target, { input: file }).catch((e: unknown) => e);
      expect(reasonOf(error), name).toBe('BAD_ENVELOPE');
      expect((error as Error).message).toMatch(/blob_things/);
    }
  });
});
