import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CreateStorageOptions,
  createStorage,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** The dialects a test can run on, with the environment variable that enables each server dialect. */
export type TestDialect = 'sqlite' | 'postgresql' | 'mysql';

export const TEST_DATABASE_ENV = { postgresql: 'KB_TEST_PG_URL', mysql: 'KB_TEST_MYSQL_URL' } as const;

/**
 * Opens new, empty stores of one dialect for tests, each isolated from every other (a temp file, a
 * PostgreSQL schema, a MySQL database), and removes them all in `cleanup()`.
 */
export interface TestStores {
  readonly dialect: TestDialect;
  /** The database config of a new, isolated store (nothing is created until a store opens it). */
  database(): Promise<NonNullable<StorageConfigInput['database']>>;
  open(config?: Omit<StorageConfigInput, 'database'>, options?: CreateStorageOptions): Promise<Storage>;
  cleanup(): Promise<void>;
}

/** The URL for a server dialect from the environment, or undefined when that dialect's tests skip. */
export function testDatabaseUrl(dialect: Exclude<TestDialect, 'sqlite'>): string | undefined {
  const value = process.env[TEST_DATABASE_ENV[dialect]];
  return value && value.length > 0 ? value : undefined;
}

/** Why a server dialect's tests are skipped, for the describe block's name. */
export function skipReason(dialect: Exclude<TestDialect, 'sqlite'>): string {
  return `skipped: set ${TEST_DATABASE_ENV[dialect]} to run them (.ci/run does)`;
}

/**
 * A prefix no other factory shares: two test files evaluated in the same millisecond by one worker process
 * once got the same pid-and-time prefix, and one file's cleanup dropped the other's schema mid-test.
 */
function runPrefix(): string {
  return `kbt_${process.pid}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * The open/cleanup bookkeeping every dialect shares; `drop` removes what `database` created. `audit`, for a
 * server dialect, gives each store what a deployment configures there: a keyring (one per factory, as one
 * installation has) and a checkpoint file of its own.
 */
function testStores(
  dialect: TestDialect,
  database: () => Promise<NonNullable<StorageConfigInput['database']>>,
  drop: () => Promise<void>,
  audit?: { config(): NonNullable<StorageConfigInput['audit']>; cleanup(): void },
): TestStores {
  const open: Storage[] = [];
  return {
    dialect,
    database,
    async open(config = {}, options) {
      const s = await createStorage(
        { ...(audit ? { audit: audit.config() } : {}), ...config, database: await database() },
        options,
      );
      open.push(s);
      return s;
    },
    async cleanup() {
      for (const s of open.splice(0)) await s.close().catch(() => {});
      await drop();
      audit?.cleanup();
    },
  };
}

/** A keyring shared by a server factory's stores, and a checkpoint file per store, in a temp folder. */
function serverAuditFiles(): { config(): NonNullable<StorageConfigInput['audit']>; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kb-test-audit-'));
  let n = 0;
  return {
    config: () => ({
      keyFile: join(dir, 'audit-keyring'),
      checkpointFile: join(dir, `audit-checkpoints-${++n}`),
    }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function sqliteStores(): TestStores {
  const dir = mkdtempSync(join(tmpdir(), 'kb-test-sqlite-'));
  let n = 0;
  return testStores(
    'sqlite',
    async () => ({ type: 'sqlite' as const, path: join(dir, `kb-${++n}.db`) }),
    async () => rmSync(dir, { recursive: true, force: true }),
  );
}

/** Each store in its own schema of the database `url` names. */
export function postgresStores(url: string): TestStores {
  const prefix = runPrefix();
  const schemas: string[] = [];
  let n = 0;
  return testStores(
    'postgresql',
    async () => {
      const schema = `${prefix}_${++n}`;
      schemas.push(schema);
      return { type: 'postgresql' as const, url, schema };
    },
    async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const schema of schemas.splice(0))
          await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
    serverAuditFiles(),
  );
}

/** Each store in its own database on the server `url` names (created here, dropped in cleanup). */
export function mysqlStores(url: string): TestStores {
  const prefix = runPrefix();
  const databases: string[] = [];
  let n = 0;
  const admin = () => mysql.createConnection({ uri: url });
  return testStores(
    'mysql',
    async () => {
      const name = `${prefix}_${++n}`;
      const connection = await admin();
      try {
        await connection.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
      } finally {
        await connection.end();
      }
      databases.push(name);
      const target = new URL(url);
      target.pathname = `/${name}`;
      return { type: 'mysql' as const, url: target.toString() };
    },
    async () => {
      const connection = await admin();
      try {
        for (const name of databases.splice(0)) await connection.query(`drop database if exists \`${name}\``);
      } finally {
        await connection.end();
      }
    },
    serverAuditFiles(),
  );
}

/** Store factories for every dialect this run can reach: SQLite always, servers when their URL is set. */
export function availableTestStores(): { dialect: TestDialect; stores?: TestStores; skipped?: string }[] {
  const pgUrl = testDatabaseUrl('postgresql');
  const myUrl = testDatabaseUrl('mysql');
  return [
    { dialect: 'sqlite', stores: sqliteStores() },
    pgUrl
      ? { dialect: 'postgresql', stores: postgresStores(pgUrl) }
      : { dialect: 'postgresql', skipped: skipReason('postgresql') },
    myUrl
      ? { dialect: 'mysql', stores: mysqlStores(myUrl) }
      : { dialect: 'mysql', skipped: skipReason('mysql') },
  ];
}
