import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStorage } from '../../create-storage.js';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { sweepLeftoverSnapshots, takeSqliteSnapshot } from './sqlite-snapshot.js';

let dir: string;
let live: string;
let sqlite: BetterSqlite3.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-snapshot-'));
  live = join(dir, 'kb.db');
  sqlite = new BetterSqlite3(live);
  sqlite.pragma('journal_mode = wal');
  sqlite.exec(
    "create table entries (id integer primary key, title text); insert into entries values (1, 'S0C7')",
  );
});

afterEach(() => {
  if (sqlite.open) sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

const snapshots = () => readdirSync(dir).filter((f) => f.includes('.pre-migrate-'));
const dump = (db: BetterSqlite3.Database) => ({
  schema: db.prepare('select type, name, sql from sqlite_master order by name').all(),
  rows: db.prepare('select * from entries order by id').all(),
});

describe('takeSqliteSnapshot', () => {
  it('copies the database beside it and restores it in place, seen by the open connection', async () => {
    const before = dump(sqlite);
    const snapshot = await takeSqliteSnapshot({ sqlite, location: live });
    expect(snapshot.location.startsWith(`${live}.pre-migrate-`)).toBe(true);
    expect(snapshot.location).toContain(`-${process.pid}-`);

    sqlite.exec("create table tags (t text); insert into entries values (2, 'U4038')");
    sqlite.exec("update entries set title = 'changed' where id = 1");
    const other = new BetterSqlite3(live);
    expect(dump(other)).not.toEqual(before);

    await snapshot.restore();
    expect(dump(sqlite)).toEqual(before);
    // Another connection to the same file sees the restored content too.
    expect(dump(other)).toEqual(before);
    other.close();
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    sqlite.exec("insert into entries values (3, 'IEF212I')");
    expect(sqlite.prepare('select count(*) as n from entries').get()).toEqual({ n: 2 });

    await snapshot.discard();
    expect(snapshots()).toEqual([]);
    await expect(snapshot.restore()).rejects.toMatchObject({ code: StorageErrorCode.UNSUPPORTED });
  });

  it('refuses to restore while the connection is inside a transaction', async () => {
    const snapshot = await takeSqliteSnapshot({ sqlite, location: live });
    sqlite.exec('begin');
    await expect(snapshot.restore()).rejects.toMatchObject({ code: StorageErrorCode.DATABASE });
    sqlite.exec('rollback');
    await snapshot.discard();
  });

  it('refuses an in-memory database', async () => {
    const memory = new BetterSqlite3(':memory:');
    await expect(takeSqliteSnapshot({ sqlite: memory, location: ':memory:' })).rejects.toMatchObject({
      code: StorageErrorCode.UNSUPPORTED,
    });
    memory.close();
  });

  it('sweeps snapshots left by dead processes, and keeps those of live ones', async () => {
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
        .stdout,
    );
    const leftover = `${live}.pre-migrate-20250101T000000-${dead}-abcd0123.sqlite`;
    const ownLeftover = `${live}.pre-migrate-20250101T000000-${process.pid}-abcd0123.sqlite`;
    const otherLive = `${live}.pre-migrate-20250101T000000-${process.ppid}-abcd0123.sqlite`;
    const unrelated = `${live}.backup.sqlite`;
    for (const f of [leftover, `${leftover}-wal`, ownLeftover, otherLive, unrelated]) writeFileSync(f, 'x');

    const snapshot = await takeSqliteSnapshot({ sqlite, location: live });
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(`${leftover}-wal`)).toBe(false);
    expect(existsSync(ownLeftover)).toBe(false);
    expect(existsSync(otherLive)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    // The snapshot in use is not a leftover.
    expect(sweepLeftoverSnapshots(live)).toEqual([]);
    expect(existsSync(snapshot.location)).toBe(true);
    await snapshot.discard();
  });

  it('a store opened with nothing to migrate still clears the snapshot of a run killed after its last step', async () => {
    sqlite.close();
    const path = join(dir, 'store.db');
    await (await createStorage({ database: { path } })).close();
    // The kill harness caught this: killed between the last commit and discarding the snapshot, the run left
    // it, and the next `kb migrate up` had nothing pending, so it took no snapshot and swept nothing.
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
        .stdout,
    );
    const leftover = `${path}.pre-migrate-20250101T000000-${dead}-abcd0123.sqlite`;
    writeFileSync(leftover, 'x');
    writeFileSync(`${leftover}-wal`, 'x');
    const reopened = await createStorage({ database: { path } });
    expect(snapshots().filter((f) => f.startsWith('store.db'))).toEqual([]);
    await reopened.close();
  });
});
