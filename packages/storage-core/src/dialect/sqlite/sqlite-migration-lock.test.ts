import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { SqliteDriver } from './sqlite-driver.js';
import {
  acquireSqliteMigrationLock,
  readMigrationLock,
  type SqliteLockHost,
} from './sqlite-migration-lock.js';

let dir: string;
let connections: { sqlite: BetterSqlite3.Database; db: Kysely<any> }[];

/** A lock host as the adapter provides it: our driver (BEGIN IMMEDIATE for writes) over one connection. */
function host(): SqliteLockHost & { sqlite: BetterSqlite3.Database } {
  const sqlite = new BetterSqlite3(join(dir, 'kb.db'), { timeout: 200 });
  sqlite.pragma('journal_mode = wal');
  const driver = new SqliteDriver(sqlite);
  const db = new Kysely<any>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new SqliteIntrospector(k),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
  connections.push({ sqlite, db });
  return { sqlite, db, writeTransaction: (fn) => db.transaction().setAccessMode('read write').execute(fn) };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

function plantLock(
  sqlite: BetterSqlite3.Database,
  row: { pid: number; hostname: string; expiresAt: string },
): void {
  sqlite.exec(`create table if not exists kb_migration_lock (
    id integer primary key check (id = 1), token varchar(64) not null, owner varchar(255) not null,
    pid integer not null, hostname varchar(255) not null, acquired_at varchar(32) not null,
    heartbeat_at varchar(32) not null, expires_at varchar(32) not null)`);
  sqlite
    .prepare('insert into kb_migration_lock values (1, ?, ?, ?, ?, ?, ?, ?)')
    .run(
      't-planted',
      'planted owner',
      row.pid,
      row.hostname,
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
      row.expiresAt,
    );
}

const FAR_FUTURE = '2999-01-01T00:00:00.000Z';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-lock-'));
  connections = [];
});

afterEach(async () => {
  for (const c of connections) await c.db.destroy();
  for (const c of connections) c.sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('acquireSqliteMigrationLock', () => {
  it('records the holder while held and removes the row on release', async () => {
    const h = host();
    const lock = await acquireSqliteMigrationLock(h, 'kb migrate', 1_000);
    const holder = await readMigrationLock(h.db);
    expect(holder).toMatchObject({ owner: 'kb migrate', pid: process.pid, hostname: hostname() });
    expect(Date.parse(holder?.expiresAt ?? '')).toBeGreaterThan(Date.now());
    await lock.release();
    await lock.release();
    expect(await readMigrationLock(h.db)).toBeUndefined();
  });

  it('makes a second taker wait, then fail with MIGRATION_LOCKED naming the holder', async () => {
    const first = host();
    const second = host();
    const lock = await acquireSqliteMigrationLock(first, 'createStorage in the API server', 1_000);
    try {
      const started = Date.now();
      const error = await acquireSqliteMigrationLock(second, 'kb migrate', 250).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      expect(error).toMatchObject({ code: StorageErrorCode.MIGRATION_LOCKED });
      expect((error as Error).message).toContain('createStorage in the API server');
      expect((error as Error).message).toContain(`pid ${process.pid}`);
    } finally {
      await lock.release();
    }
  });

  it('hands the lock to a waiting taker as soon as it is released', async () => {
    const first = host();
    const second = host();
    const lock = await acquireSqliteMigrationLock(first, 'first', 1_000);
    const waiting = acquireSqliteMigrationLock(second, 'second', 5_000);
    await new Promise((r) => setTimeout(r, 100));
    await lock.release();
    const next = await waiting;
    expect((await readMigrationLock(second.db))?.owner).toBe('second');
    await next.release();
  });

  it('takes over a lock left by a dead process on this host', async () => {
    const h = host();
    const pid = deadPid();
    plantLock(h.sqlite, { pid, hostname: hostname(), expiresAt: FAR_FUTURE });
    const started = Date.now();
    const lock = await acquireSqliteMigrationLock(h, 'survivor', 2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await readMigrationLock(h.db))?.owner).toBe('survivor');
    await lock.release();
  });

  it('takes over an expired lock of another host, but waits for one that has not expired', async () => {
    const h = host();
    plantLock(h.sqlite, { pid: 1, hostname: 'other-host', expiresAt: FAR_FUTURE });
    await expect(acquireSqliteMigrationLock(h, 'me', 150)).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_LOCKED,
      details: { holder: { hostname: 'other-host', owner: 'planted owner' } },
    });
    h.sqlite
      .prepare('update kb_migration_lock set expires_at = ?')
      .run(new Date(Date.now() - 1_000).toISOString());
    const lock = await acquireSqliteMigrationLock(h, 'me', 1_000);
    expect((await readMigrationLock(h.db))?.owner).toBe('me');
    await lock.release();
  });

  it('does not take over a live process on this host even when its lease expired', async () => {
    const h = host();
    // The parent of this test process is alive for as long as the test runs.
    plantLock(h.sqlite, { pid: process.ppid, hostname: hostname(), expiresAt: '2000-01-01T00:00:00.000Z' });
    await expect(acquireSqliteMigrationLock(h, 'me', 150)).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_LOCKED,
    });
  });

  it("takes over a row with this process's pid that this process does not hold (a restarted container's pid 1)", async () => {
    const h = host();
    plantLock(h.sqlite, { pid: process.pid, hostname: hostname(), expiresAt: FAR_FUTURE });
    const lock = await acquireSqliteMigrationLock(h, 'me', 1_000);
    expect((await readMigrationLock(h.db))?.owner).toBe('me');
    await lock.release();
  });

  it('extends its lease with a heartbeat while held', async () => {
    const h = host();
    const lock = await acquireSqliteMigrationLock(h, 'me', 1_000, { ttlMs: 10_000, heartbeatMs: 30 });
    const first = (await readMigrationLock(h.db))?.expiresAt ?? '';
    await new Promise((r) => setTimeout(r, 150));
    const later = (await readMigrationLock(h.db))?.expiresAt ?? '';
    expect(Date.parse(later)).toBeGreaterThan(Date.parse(first));
    await lock.release();
  });
});
