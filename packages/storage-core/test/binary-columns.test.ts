import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyStore,
  createStorage,
  definePlugin,
  type PluginContext,
  type Storage,
  type StorageConfigInput,
} from '../src/index.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

// A plugin table with a binary column (`ctx.types.blob`: blob, bytea, longblob) must read back as bytes on
// every dialect and come through `copyStore` between any two of them exactly: empty, 1 MiB and NULL values,
// and a blob beside a text column holding the same bytes (the two must stay told apart).

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

/** Deterministic bytes (no two runs differ): sha256 in counter mode. */
function bytes(length: number, seed: string): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0, n = 0; at < length; n += 1) {
    at += createHash('sha256').update(`${seed}:${n}`).digest().copy(out, at);
  }
  return out;
}

const MIB = bytes(1024 * 1024, 'mib');
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ROWS: { id: string; data: Buffer | null; label: string | null }[] = [
  { id: 'empty', data: Buffer.alloc(0), label: '' },
  { id: 'null', data: null, label: null },
  { id: 'same-bytes', data: Buffer.from('hello'), label: 'hello' },
  { id: 'all-bytes', data: ALL_BYTES, label: 'all 256 byte values' },
  { id: 'buffer-json', data: Buffer.from('hi'), label: '{"type":"Buffer","data":[104,105]}' },
  { id: 'marker-text', data: Buffer.from([0xff, 0xfe, 0x00]), label: '{"$b":"aGk="}' },
  { id: 'mib', data: MIB, label: 'one mebibyte' },
];

async function seed(storage: Storage): Promise<void> {
  const api = storage.plugin(blobPlugin);
  for (const row of ROWS) await api.put(row.id, row.data, row.label);
}

async function rowsOf(storage: Storage): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of storage.exportTables({ tables: ['blob_things'] })) rows.push(...batch.rows);
  return rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** The rows as they must read back on any dialect: bytes as Buffers (Uint8Arrays), text as strings. */
function expectSeeded(rows: Record<string, unknown>[]): void {
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(rows).toHaveLength(ROWS.length);
  for (const want of ROWS) {
    const got = byId.get(want.id)!;
    expect(got, want.id).toBeDefined();
    if (want.data === null) {
      expect(got.data, `${want.id}.data`).toBeNull();
    } else {
      expect(got.data, `${want.id}.data is bytes`).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got.data as Uint8Array).equals(want.data), `${want.id}.data bytes`).toBe(true);
    }
    expect(got.label, `${want.id}.label`).toBe(want.label);
  }
}

const available = testDatabases();

describe('binary columns on every dialect', () => {
  const factories = new Map<string, TestDatabases>();
  const open: Storage[] = [];
  const store = async (dialect: string) => {
    const database = (await factories.get(dialect)!.create()) as StorageConfigInput['database'];
    const s = await createStorage({ database }, { plugins: [blobPlugin] });
    open.push(s);
    return s;
  };
  beforeAll(() => {
    for (const d of available) if (d.make) factories.set(d.name, d.make());
  });
  afterAll(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {});
    for (const f of factories.values()) await f.dropAll();
  });

  for (const { name, make, skipped } of available) {
    it.skipIf(!make)(
      `${name}: reads a blob back as bytes, NULL as null, empty as empty${skipped ? ` (${skipped})` : ''}`,
      async () => {
        const storage = await store(name);
        await seed(storage);
        expectSeeded(await rowsOf(storage));
      },
    );
  }

  it.skipIf(available.some((d) => !d.make))(
    'hashes a blob the same on every dialect, and apart from text of the same bytes',
    async () => {
      const hashes: string[] = [];
      for (const { name } of available) {
        const storage = await store(name);
        await seed(storage);
        hashes.push((await storage.contentHash({ tables: ['blob_things'] })).hash);
      }
      expect(new Set(hashes).size).toBe(1);
      // The same bytes in the text column instead of the blob column: another content.
      const swapped = await store('sqlite');
      await swapped.plugin(blobPlugin).put('x', Buffer.from('hello'), null);
      const text = await store('sqlite');
      await text.plugin(blobPlugin).put('x', null, 'hello');
      const [a, b] = [await swapped.contentHash(), await text.contentHash()];
      expect(a.tables.blob_things!.hash).not.toBe(b.tables.blob_things!.hash);
    },
  );

  const pairs = available.flatMap((from) => available.map((to) => [from, to] as const));
  for (const [from, to] of pairs) {
    const reason = from.skipped ?? to.skipped;
    it.skipIf(!from.make || !to.make)(
      `copyStore ${from.name} → ${to.name} carries every blob exactly${reason ? ` (${reason})` : ''}`,
      async () => {
        const source = await store(from.name);
        await seed(source);
        const target = await store(to.name);
        const result = await copyStore(source, target, { batchSize: 3 });
        expect(result.copied).toBe(true);
        expect(result.rows.blob_things).toBe(ROWS.length);
        expectSeeded(await rowsOf(target));
        expect((await target.contentHash()).hash).toBe((await source.contentHash()).hash);
      },
    );
  }

  // A read batch of 16 rows of 1 MiB: as one INSERT it passes MariaDB's max_allowed_packet (16 MiB by default,
  // and mysql2 writes bytes as hex), which closed the connection mid-copy.
  for (const to of available.filter((d) => d.name !== 'sqlite')) {
    it.skipIf(!to.make)(
      `copyStore sqlite → ${to.name} with 24 MiB of blobs${to.skipped ? ` (${to.skipped})` : ''}`,
      async () => {
        const source = await store('sqlite');
        const api = source.plugin(blobPlugin);
        for (let i = 0; i < 24; i += 1) await api.put(`big-${i}`, bytes(1024 * 1024, `big-${i}`), null);
        const target = await store(to.name);
        const result = await copyStore(source, target);
        expect(result.rows.blob_things).toBe(24);
        expect((await target.contentHash()).hash).toBe((await source.contentHash()).hash);
      },
      120_000,
    );
  }

  it('reads a table of large rows in batches of about 16 MiB, and small rows 2,000 at a time', async () => {
    const storage = await store('sqlite');
    const api = storage.plugin(blobPlugin);
    for (let i = 0; i < 40; i += 1)
      await api.put(`big-${String(i).padStart(2, '0')}`, bytes(1024 * 1024, `b${i}`), null);
    await storage.createEntries(
      Array.from({ length: 2_100 }, (_, i) => ({
        title: `Entry ${i}`,
        problem: 'p',
        solution: 's',
        category: 'Batch',
      })),
    );
    const sizes: Record<string, number[]> = {};
    let seen = 0;
    for await (const batch of storage.exportTables({ tables: ['blob_things', 'kb_entries'] })) {
      const list = sizes[batch.table] ?? [];
      list.push(batch.rows.length);
      sizes[batch.table] = list;
      if (batch.table === 'blob_things') seen += batch.rows.length;
    }
    expect(seen).toBe(40);
    // 16 MiB of 1 MiB rows (the first row sizes the batches; its id and label add a few bytes).
    expect(Math.max(...sizes.blob_things!)).toBeLessThanOrEqual(16);
    expect(sizes.blob_things!.length).toBeGreaterThanOrEqual(3);
    expect(sizes.kb_entries).toEqual([2_000, 100]);
    // 40 MiB written through the audit chain: 3 s on a quiet machine, 12 s beside six busy processes.
  }, 120_000);
});
