import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sql } from 'kysely';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyStore, createStorage, type Storage, type StorageConfigInput } from '../src/index.js';
import { dialectOf } from '../src/storage.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

// Issue 18: a copy that fails — a batch the target refuses, or a verification mismatch — leaves the target as
// it was. A new server target holds no table afterwards (and a PostgreSQL schema the copy created is gone); an
// existing target keeps its content, its tables and its audit key file.

type Database = NonNullable<StorageConfigInput['database']>;

async function fill(s: Storage, n: number, word = 'VSAM'): Promise<void> {
  const ids = await s.createEntries(
    Array.from({ length: n }, (_, i) => ({
      title: `${word} status 35 on FILE${i}`,
      problem: `OPEN of DD FILE${i} returns status 35`,
      solution: 'Define the cluster with IDCAMS, then rerun the step.',
      category: i % 2 ? 'vsam' : 'jcl',
      tags: [`file${i}`, 'status-35'],
    })),
  );
  await s.recordFeedback(ids[0]!, { outcome: 'success', rating: 5 });
  await s.search('status 35');
}

/** Fails the copy inside the target's write transaction once `after` rows were written. */
const failAfter = (after: number) => ({
  batchSize: 5,
  onProgress: (p: { totalRows: number }) => {
    if (p.totalRows >= after) throw new Error(`injected failure after ${p.totalRows} rows`);
  },
});

/** Makes the target store every tag with a '!' appended: the copy's verification must then refuse it. */
async function corruptTags(target: Storage): Promise<void> {
  const db = dialectOf(target).db;
  if (target.dialectName === 'postgresql') {
    await sql`create function kb_t_corrupt() returns trigger language plpgsql as $$
      begin new.tag := new.tag || '!'; return new; end $$`.execute(db);
    await sql`create trigger kb_t_corrupt before insert on kb_tags for each row execute function kb_t_corrupt()`.execute(
      db,
    );
  } else if (target.dialectName === 'mysql') {
    await sql`create trigger kb_t_corrupt before insert on kb_tags for each row set new.tag = concat(new.tag, '!')`.execute(
      db,
    );
  } else {
    await sql`create trigger kb_t_corrupt after insert on kb_tags begin
      update kb_tags set tag = tag || '!' where rowid = new.rowid; end`.execute(db);
  }
}

async function pgQuery<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

async function mysqlQuery<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    return (await connection.query(text, values))[0] as T[];
  } finally {
    await connection.end();
  }
}

/** What a server target's schema or database holds: its objects by name, and (MySQL) its collation. */
async function serverState(
  database: Database,
): Promise<{ exists: boolean; objects: string[]; collation?: string }> {
  if (database.type === 'postgresql') {
    const schema = database.schema!;
    const [row] = await pgQuery<{ n: number }>(
      database.url!,
      'select count(*)::int as n from pg_namespace where nspname = $1',
      [schema],
    );
    const objects = await pgQuery<{ o: string }>(
      database.url!,
      `select c.relkind::text || ':' || c.relname::text as o from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1
       union all
       select 'function:' || p.proname::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = $1
       order by 1`,
      [schema],
    );
    return { exists: row!.n === 1, objects: objects.map((r) => r.o) };
  }
  const name = decodeURIComponent(new URL(database.url!).pathname.slice(1));
  const [schema] = await mysqlQuery<{ c: string }>(
    database.url!,
    'select default_collation_name as c from information_schema.schemata where schema_name = ?',
    [name],
  );
  const objects = await mysqlQuery<{ o: string }>(
    database.url!,
    `select concat(table_type, ':', table_name) as o from information_schema.tables where table_schema = ?
     union all
     select concat(routine_type, ':', routine_name) from information_schema.routines where routine_schema = ?
     union all
     select concat('TRIGGER:', trigger_name) from information_schema.triggers where trigger_schema = ?
     order by 1`,
    [name, name, name],
  );
  return { exists: schema !== undefined, objects: objects.map((r) => r.o), collation: schema?.c };
}

const available = testDatabases();
const servers = available.filter((d) => d.name !== 'sqlite');

describe('a failed copy leaves the target as it was', () => {
  const factories = new Map<string, TestDatabases>();
  const open: Storage[] = [];
  const openStore = async (database: Database) => {
    const s = await createStorage({ database });
    open.push(s);
    return s;
  };
  const store = async (dialect: string) => openStore(await factories.get(dialect)!.create());
  const extraMysql: string[] = [];
  beforeAll(() => {
    for (const d of available) if (d.make) factories.set(d.name, d.make());
  });
  afterAll(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {});
    for (const f of factories.values()) await f.dropAll();
    const url = process.env.KB_TEST_MYSQL_URL;
    if (url) for (const name of extraMysql) await mysqlQuery(url, `drop database if exists \`${name}\``);
  });

  for (const server of servers) {
    const reason = server.skipped ? ` (${server.skipped})` : '';

    it.skipIf(!server.make)(
      `${server.name}: a new target that a batch fails in is dropped again${reason}`,
      async () => {
        const source = await store('sqlite');
        await fill(source, 12);
        const database = await factories.get(server.name)!.create();
        const before = await serverState(database);
        const target = await openStore(database);
        await expect(copyStore(source, target, { ...failAfter(20), newTarget: true })).rejects.toThrow(
          /injected failure/,
        );
        expect(await serverState(database)).toEqual(before);
        if (server.name === 'postgresql') expect(before.exists).toBe(false);
        else expect(before.objects).toEqual([]);
      },
    );

    it.skipIf(!server.make)(
      `${server.name}: a new target that fails verification is dropped again${reason}`,
      async () => {
        const source = await store('sqlite');
        await fill(source, 6);
        const database = await factories.get(server.name)!.create();
        const before = await serverState(database);
        const target = await openStore(database);
        await corruptTags(target);
        await expect(copyStore(source, target, { newTarget: true })).rejects.toMatchObject({
          code: 'INTEGRITY',
          message: expect.stringMatching(/kb_tags/),
        });
        expect(await serverState(database)).toEqual(before);
      },
    );

    it.skipIf(!server.make)(
      `${server.name}: only what the store created goes; what the schema or database held stays${reason}`,
      async () => {
        const source = await store('sqlite');
        await fill(source, 6);
        let database: Database;
        if (server.name === 'postgresql') {
          database = await factories.get(server.name)!.create();
          await pgQuery(database.url!, `create schema "${database.schema}"`);
          await pgQuery(
            database.url!,
            `create table "${database.schema}".keep_me (id int primary key, note text)`,
          );
          await pgQuery(
            database.url!,
            `insert into "${database.schema}".keep_me values (1, 'operator data')`,
          );
        } else {
          // Another character set, which opening an empty database changes: it is put back too.
          const url = process.env.KB_TEST_MYSQL_URL!;
          const name = `kb_keep_${process.pid}_${randomBytes(4).toString('hex')}`;
          extraMysql.push(name);
          await mysqlQuery(url, `create database \`${name}\` character set latin1 collate latin1_swedish_ci`);
          const u = new URL(url);
          u.pathname = `/${name}`;
          database = { type: 'mysql', url: u.toString() };
          await mysqlQuery(database.url!, 'create view keep_view as select 1 as one');
        }
        const before = await serverState(database);
        expect(before.objects.length).toBeGreaterThan(0);
        const target = await openStore(database);
        await expect(copyStore(source, target, { ...failAfter(10), newTarget: true })).rejects.toThrow(
          /injected failure/,
        );
        expect(await serverState(database)).toEqual(before);
        if (server.name === 'postgresql') {
          const rows = await pgQuery<{ note: string }>(
            database.url!,
            `select note from "${database.schema}".keep_me`,
          );
          expect(rows).toEqual([{ note: 'operator data' }]);
        }
      },
    );

    it.skipIf(!server.make)(
      `${server.name}: newTarget on a store that was there before drops nothing${reason}`,
      async () => {
        const source = await store('sqlite');
        await fill(source, 6);
        const database = await factories.get(server.name)!.create();
        const first = await openStore(database);
        await fill(first, 3, 'DB2');
        await first.close();
        const target = await openStore(database);
        const hash = (await target.contentHash()).hash;
        const before = await serverState(database);
        await expect(
          copyStore(source, target, { ...failAfter(10), replace: true, newTarget: true }),
        ).rejects.toThrow(/injected failure/);
        expect(await serverState(database)).toEqual(before);
        expect((await target.contentHash()).hash).toBe(hash);
      },
    );
  }

  for (const { name, make, skipped } of available) {
    it.skipIf(!make)(
      `${name}: an existing target keeps its content, its tables${name === 'sqlite' ? ', its files and its key file' : ''}${skipped ? ` (${skipped})` : ''}`,
      async () => {
        const source = await store('sqlite');
        await fill(source, 12);
        const target = await store(name);
        await fill(target, 3, 'DB2');
        const hash = (await target.contentHash()).hash;
        const tables = await dialectOf(target).schemaTables();
        const keyFile = name === 'sqlite' ? `${target.location}.audit-key` : undefined;
        const keys = keyFile ? readFileSync(keyFile) : undefined;
        const files = name === 'sqlite' ? readdirSync(dirname(target.location)).sort() : [];

        await expect(copyStore(source, target, { ...failAfter(20), replace: true })).rejects.toThrow(
          /injected failure/,
        );
        await corruptTags(target);
        await expect(copyStore(source, target, { replace: true })).rejects.toMatchObject({
          code: 'INTEGRITY',
        });
        await expect(copyStore(source, target)).rejects.toMatchObject({ code: 'CONFLICT' });

        expect((await target.contentHash()).hash).toBe(hash);
        expect(await dialectOf(target).schemaTables()).toEqual(tables);
        expect(await target.countEntries()).toBe(3);
        if (keyFile) {
          // The copy hands the target the source's audit keys as it starts; a failed copy takes them back.
          expect(readFileSync(keyFile).equals(keys!)).toBe(true);
          expect(readdirSync(dirname(target.location)).sort()).toEqual(files);
        }
      },
    );
  }

  it('refuses newTarget for a SQLite target, which is built under a scratch name instead', async () => {
    const source = await store('sqlite');
    await fill(source, 2);
    const target = await store('sqlite');
    await expect(copyStore(source, target, { newTarget: true })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/scratchPath/),
    });
    expect((await target.contentHash()).tables.kb_entries?.rows).toBe(0);
  });

  it('names the flag that overwrites a target holding other content', async () => {
    const source = await store('sqlite');
    await fill(source, 2);
    const target = await store('sqlite');
    await fill(target, 1, 'DB2');
    const error = await copyStore(source, target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect((error as Error).message).toMatch(/--replace\b/);
  });
});
