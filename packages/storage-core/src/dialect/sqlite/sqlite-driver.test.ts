import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDriver } from './sqlite-driver.js';

/** Two connections to one WAL file: `ours` through the driver, `other` standing for another process. */
describe('SqliteDriver write transactions under another writer', () => {
  let dir: string;
  let ours: Database;
  let other: Database;
  let db: Kysely<any>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kb-driver-'));
    const path = join(dir, 'store.db');
    ours = new BetterSqlite3(path, { timeout: 2_000 });
    ours.pragma('journal_mode = wal');
    ours.exec('create table t (n integer)');
    other = new BetterSqlite3(path, { timeout: 0 });
    const driver = new SqliteDriver(ours);
    db = new Kysely<any>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => driver,
        createIntrospector: (k) => new SqliteIntrospector(k),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
  });

  afterEach(async () => {
    if (other.inTransaction) other.exec('rollback');
    other.close();
    await db.destroy();
    ours.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (n: number) =>
    db
      .transaction()
      .setAccessMode('read write')
      .execute((trx) => trx.insertInto('t').values({ n }).execute());

  it('waits for the other writer and then commits, keeping the busy timeout', async () => {
    other.exec('begin immediate');
    let settled = false;
    const pending = write(1).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Still queued: the lock is held, and the 2 s timeout has not passed.
    expect(settled).toBe(false);
    other.exec('commit');
    await pending;
    expect(ours.prepare('select count(*) from t').pluck().get()).toBe(1);
    // Only the attempts ran without the timeout; the connection has its own back.
    expect(ours.pragma('busy_timeout', { simple: true })).toBe(2_000);
  });

  it('gives up with SQLITE_BUSY once the busy timeout has passed, and writes nothing', async () => {
    ours.pragma('busy_timeout = 120');
    other.exec('begin immediate');
    const started = performance.now();
    await expect(write(1)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    other.exec('rollback');
    expect(ours.prepare('select count(*) from t').pluck().get()).toBe(0);
    expect(ours.pragma('busy_timeout', { simple: true })).toBe(120);
    // The connection is usable after the refusal.
    await write(2);
    expect(ours.prepare('select n from t').pluck().all()).toEqual([2]);
  });

  it('tries once when the busy timeout is 0 (a write that may be skipped)', async () => {
    ours.pragma('busy_timeout = 0');
    other.exec('begin immediate');
    await expect(write(1)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    other.exec('commit');
    await write(1);
    expect(ours.prepare('select count(*) from t').pluck().get()).toBe(1);
  });

  it('lets reads through while another process writes', async () => {
    other.exec('begin immediate');
    other.exec('insert into t values (9)');
    const rows = await db
      .transaction()
      .setAccessMode('read only')
      .execute((trx) => sql<{ c: number }>`select count(*) as c from t`.execute(trx));
    expect(rows.rows[0]!.c).toBe(0);
  });
});
