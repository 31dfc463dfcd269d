import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStorageConfig } from '../config/storage-config.js';
import { SqliteDialectAdapter } from '../dialect/sqlite/sqlite-adapter.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { MigrationRegistry } from './migration-registry.js';
import type { Migration } from './migration-types.js';
import { rebuildTable } from './rebuild-table.js';

let dir: string;
let adapter: SqliteDialectAdapter;

const PARENT_SQL = `create table parent (
  id integer primary key autoincrement,
  name text not null
)`;

const NEW_PARENT_SQL = `CREATE TABLE parent (
  id integer primary key autoincrement,
  name text not null,
  priority integer not null default 3 check (priority between 1 and 5)
)`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-rebuild-'));
  adapter = SqliteDialectAdapter.open(parseStorageConfig({ database: { path: join(dir, 'kb.db') } }));
  adapter.sqlite.exec(`
    ${PARENT_SQL};
    create index parent_name_idx on parent (name);
    create table parent_log (parent_id integer, what text);
    create trigger parent_renamed after update of name on parent begin
      insert into parent_log values (new.id, 'renamed');
    end;
    create table child (
      id integer primary key,
      parent_id integer not null references parent (id) on delete cascade
    );
    create table grandchild (
      id integer primary key,
      child_id integer not null references child (id) on delete cascade
    );
    create view parent_names as select name from parent;
    create trigger child_added after insert on child begin
      update parent set name = name where id = new.parent_id;
    end;
    insert into parent (id, name) values (1, 'S0C7'), (2, 'VSAM 35'), (3, 'SQLCODE -911'), (4, 'gone');
    delete from parent where id = 4;
    insert into child (id, parent_id) values (10, 1), (11, 1), (12, 2), (13, 3);
    insert into grandchild (id, child_id) values (100, 10), (101, 12);
  `);
});

afterEach(async () => {
  await adapter.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (table: string) =>
  (adapter.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

const objects = () =>
  adapter.sqlite
    .prepare("select type, name from sqlite_master where name not like 'sqlite_%' order by type, name")
    .all();

describe('rebuildTable', () => {
  it('rebuilds a parent of ON DELETE CASCADE children without losing a child row', async () => {
    const objectsBefore = objects();
    const migration: Migration = {
      id: '0002_parent_priority',
      up: (db) => rebuildTable(db, 'parent', { createTableSql: NEW_PARENT_SQL }),
    };
    const { error } = await new MigrationRegistry(adapter, [
      { namespace: 'core', dependsOn: [], migrations: [migration] },
    ]).up();
    expect(error).toBeUndefined();

    expect(count('child')).toBe(4);
    expect(count('grandchild')).toBe(2);
    expect(adapter.sqlite.pragma('foreign_key_check')).toEqual([]);
    expect(adapter.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(adapter.sqlite.prepare('select id, name, priority from parent order by id').all()).toEqual([
      { id: 1, name: 'S0C7', priority: 3 },
      { id: 2, name: 'VSAM 35', priority: 3 },
      { id: 3, name: 'SQLCODE -911', priority: 3 },
    ]);
    // Same indexes, triggers and views as before (plus the ledger and lock tables).
    const after = objects().filter((o) => !/^kb_migration/.test((o as { name: string }).name));
    expect(after).toEqual(objectsBefore);
    expect(adapter.sqlite.prepare('select count(*) as n from parent_names').get()).toEqual({ n: 3 });
    // The new CHECK holds, the old trigger still fires, and cascades still work with foreign keys back on.
    expect(() =>
      adapter.sqlite.prepare('insert into parent (name, priority) values (?, 9)').run('U4038'),
    ).toThrow(/CHECK constraint failed/);
    adapter.sqlite.prepare('delete from parent_log').run();
    adapter.sqlite.prepare("update parent set name = 'S0C7 data exception' where id = 1").run();
    expect(adapter.sqlite.prepare('select * from parent_log').all()).toEqual([
      { parent_id: 1, what: 'renamed' },
    ]);
    // AUTOINCREMENT does not reuse the id of the row deleted before the rebuild.
    const { lastInsertRowid } = adapter.sqlite.prepare("insert into parent (name) values ('IEF212I')").run();
    expect(Number(lastInsertRowid)).toBe(5);
    adapter.sqlite.prepare('delete from parent where id = 1').run();
    expect(count('child')).toBe(2);
    expect(count('grandchild')).toBe(1);
  });

  it('control: the same rebuild with foreign keys on and a plain DROP deletes the children', () => {
    // Proves the test above can fail: these are the steps rebuildTable takes, minus its precautions.
    adapter.sqlite.pragma('legacy_alter_table = on');
    adapter.sqlite.transaction(() => {
      adapter.sqlite.exec(NEW_PARENT_SQL.replace('CREATE TABLE parent', 'create table parent__new'));
      adapter.sqlite.exec('insert into parent__new (id, name) select id, name from parent');
      adapter.sqlite.exec('drop table parent');
      adapter.sqlite.exec('alter table parent__new rename to parent');
    })();
    expect(count('parent')).toBe(3);
    expect(count('child')).toBe(0);
    expect(count('grandchild')).toBe(0);
  });

  it('maps columns with SQL expressions', async () => {
    const migration: Migration = {
      id: '0002',
      up: (db) =>
        rebuildTable(db, 'parent', {
          createTableSql: NEW_PARENT_SQL,
          columns: { name: 'upper(name)', priority: "case when name like 'S0C%' then 1 else 5 end" },
        }),
    };
    const { error } = await new MigrationRegistry(adapter, [
      { namespace: 'core', dependsOn: [], migrations: [migration] },
    ]).up();
    expect(error).toBeUndefined();
    expect(adapter.sqlite.prepare('select name, priority from parent order by id').all()).toEqual([
      { name: 'S0C7', priority: 1 },
      { name: 'VSAM 35', priority: 5 },
      { name: 'SQLCODE -911', priority: 5 },
    ]);
  });

  it('refuses to run with foreign keys on, before changing anything', async () => {
    await expect(
      adapter.writeTransaction((trx) => rebuildTable(trx, 'parent', { createTableSql: NEW_PARENT_SQL })),
    ).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_INVALID,
      message: expect.stringContaining('foreign keys off'),
    });
    expect(count('child')).toBe(4);
  });

  it('refuses a CREATE TABLE for another table, and a mapping to a column the new table lacks', async () => {
    await expect(
      adapter.migrationTransaction((trx) =>
        rebuildTable(trx, 'parent', { createTableSql: 'create table child (id integer primary key)' }),
      ),
    ).rejects.toMatchObject({ code: StorageErrorCode.MIGRATION_INVALID });
    await expect(
      adapter.migrationTransaction((trx) =>
        rebuildTable(trx, 'parent', { createTableSql: NEW_PARENT_SQL, columns: { nope: '1' } }),
      ),
    ).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_INVALID,
      message: expect.stringContaining("'nope'"),
    });
    expect(objects()).not.toContainEqual({ type: 'table', name: 'parent__new' });
    expect(count('child')).toBe(4);
  });

  it('plans its statements without reading a real schema', async () => {
    const migration: Migration = {
      id: '0002',
      up: (db) => rebuildTable(db, 'parent', { createTableSql: NEW_PARENT_SQL }),
    };
    const plan = await new MigrationRegistry(adapter, [
      { namespace: 'core', dependsOn: [], migrations: [migration] },
    ]).plan();
    const statements = plan.steps[0]?.statements.map((s) => s.sql) ?? [];
    expect(statements).toContain('drop table "parent"');
    expect(statements).toContain('alter table "parent__new" rename to "parent"');
    expect(statements.some((s) => s.startsWith('create table "parent__new"'))).toBe(true);
    expect(count('child')).toBe(4);
  });
});
