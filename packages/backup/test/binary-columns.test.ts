import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin, type PluginContext, type Storage } from '@mainframe-kb/storage-core';
import { availableTestStores } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRows, encodeRowBlobs, encodeRows } from '../src/engine/row-codec.js';
import { isBackupError } from '../src/errors/backup-error.js';
import { LocalDestination } from '../src/index.js';
import { backupContextPlugin, managerOf } from './support/backup-context.js';
import { PASSPHRASE, TEST_KDF } from './support/fixtures.js';

// A plugin table with a binary column (`ctx.types.blob`) must come back from every kind of backup exactly,
// restored into any dialect: empty, 1 MiB and NULL values, bytes beside text of the same bytes.

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
  { id: 'all-bytes', data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), label: 'every byte' },
  { id: 'buffer-json', data: Buffer.from('hi'), label: '{"type":"Buffer","data":[104,105]}' },
  { id: 'marker-text', data: Buffer.from([0xff, 0xfe, 0x00]), label: '{"$b":"aGk="}' },
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
    if (want.data === null) expect(got.data, `${want.id}.data`).toBeNull();
    else {
      expect(got.data, `${want.id}.data is bytes`).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got.data as Uint8Array).equals(want.data), `${want.id}.data bytes`).toBe(true);
    }
    expect(got.label, `${want.id}.label`).toBe(want.label);
  }
}

describe('the logical row codec keeps bytes bytes and text text', () => {
  it('round-trips Buffers, plain Uint8Arrays, empty bytes and text that looks like a tag', () => {
    const rows = [
      { id: 'a', data: Buffer.from([0, 1, 255]), label: '{"$b":"AAH/"}' },
      { id: 'b', data: new Uint8Array([7, 8]), label: '{"type":"Buffer","data":[7,8]}' },
      { id: 'c', data: Buffer.alloc(0), label: null },
    ];
    const decoded = decodeRows(encodeRows(rows), 'test');
    expect(decoded.map((r) => [r.id, Buffer.from(r.data as Uint8Array).toString('hex'), r.label])).toEqual([
      ['a', '0001ff', '{"$b":"AAH/"}'],
      ['b', '0708', '{"type":"Buffer","data":[7,8]}'],
      ['c', '', null],
    ]);
    for (const row of decoded) expect(row.data).toBeInstanceOf(Uint8Array);
  });
});

describe('a batch of large rows is stored in several objects, each one a restore reads', () => {
  const rows = Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, data: bytes(3000, `r${i}`), note: 'x' }));

  it('keeps a batch that fits in one object exactly as before', () => {
    const blobs = encodeRowBlobs('t', rows);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.equals(encodeRows(rows))).toBe(true);
  });

  it('cuts a larger batch into consecutive runs of rows, none past the limit', () => {
    const blobs = encodeRowBlobs('t', rows, 9_000);
    expect(blobs.length).toBeGreaterThan(3);
    for (const blob of blobs) expect(blob.length).toBeLessThanOrEqual(9_000);
    const back = blobs.flatMap((b) => decodeRows(b, 'test'));
    expect(back.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    for (const [i, r] of back.entries()) {
      expect(Buffer.from(r.data as Uint8Array).equals(rows[i]!.data)).toBe(true);
    }
  });

  it('refuses a single row no stored object can hold, naming its table', () => {
    const error = (() => {
      try {
        encodeRowBlobs('blob_things', rows, 3_000);
      } catch (e) {
        return e;
      }
    })();
    expect(isBackupError(error, 'UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toMatch(/blob_things/);
  });
});

const targets = availableTestStores();

describe('binary columns through backups and restores', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-backup-blobs-'));
  });
  afterAll(async () => {
    for (const t of targets) await t.stores?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;

  const open = (dialect: string) =>
    targets
      .find((t) => t.dialect === dialect)!
      .stores!.open({}, { plugins: [blobPlugin, backupContextPlugin] });

  const kinds = [
    { source: 'sqlite', kind: 'physical' as const },
    { source: 'sqlite', kind: 'logical' as const },
    { source: 'postgresql', kind: 'logical' as const },
    { source: 'mysql', kind: 'logical' as const },
  ];
  for (const { source, kind } of kinds) {
    for (const target of targets) {
      const from = targets.find((t) => t.dialect === source)!;
      const skipped = from.skipped ?? target.skipped;
      it.skipIf(!from.stores || !target.stores)(
        `a ${kind} backup of ${source} restores into ${target.dialect} byte for byte${skipped ? ` (${skipped})` : ''}`,
        async () => {
          const storage = await open(source);
          const api = storage.plugin(blobPlugin);
          for (const row of ROWS) await api.put(row.id, row.data, row.label);
          const manager = managerOf(storage, {
            destinations: [new LocalDestination(join(dir, `repo-${++n}`))],
            passphrase: PASSPHRASE,
            kdf: TEST_KDF,
            scratchDir: join(dir, `scratch-${n}`),
          });
          const run = await manager.create({ type: 'full', kind });
          expect(run.ok, String(run.destinations[0]?.error)).toBe(true);
          const into = await open(target.dialect);
          const result = await manager.restore(run.id, { into });
          expect(result.checks.filter((c) => !c.ok)).toEqual([]);
          expect(result.tables.blob_things).toBe(ROWS.length);
          expectSeeded(await rowsOf(into));
          expect((await into.contentHash()).hash).toBe((await storage.contentHash()).hash);
        },
        60_000,
      );
    }
  }

  // 60 rows of 1 MiB are one read batch whose row JSON (84 MB) passes the 64 MiB a restore decodes into one
  // stored object: such a backup used to be written, then refused by every restore (`decompresses to …`).
  // One backup, made on first use, is restored into each dialect: making it is most of the work.
  let big: Promise<{ storage: Storage; manager: ReturnType<typeof managerOf>; id: string }> | undefined;
  const bigBackup = () => {
    big ??= (async () => {
      const storage = await open('sqlite');
      const api = storage.plugin(blobPlugin);
      for (let i = 0; i < 60; i += 1) await api.put(`big-${i}`, bytes(1024 * 1024, `big-${i}`), null);
      const manager = managerOf(storage, {
        destinations: [new LocalDestination(join(dir, `repo-${++n}`))],
        passphrase: PASSPHRASE,
        kdf: TEST_KDF,
        scratchDir: join(dir, `scratch-${n}`),
      });
      const run = await manager.create({ type: 'full', kind: 'logical' });
      expect(run.ok, String(run.destinations[0]?.error)).toBe(true);
      return { storage, manager, id: run.id };
    })();
    return big;
  };
  for (const target of targets) {
    it.skipIf(!target.stores)(
      `a logical backup of 60 MiB of blobs (more than one stored object holds) restores into ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`,
      async () => {
        const { storage, manager, id } = await bigBackup();
        const into = await open(target.dialect);
        const result = await manager.restore(id, { into });
        expect(result.checks.filter((c) => !c.ok)).toEqual([]);
        expect(result.tables.blob_things).toBe(60);
        expect((await into.contentHash()).hash).toBe((await storage.contentHash()).hash);
      },
      180_000,
    );
  }
});
