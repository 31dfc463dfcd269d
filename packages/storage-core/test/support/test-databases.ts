import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from 'kysely';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { StorageConfigInput } from '../../src/config/storage-config.js';
import type { Storage } from '../../src/storage.js';
import { dialectOf } from '../../src/storage.js';

export type DatabaseInput = NonNullable<StorageConfigInput['database']>;

/** New, isolated databases of one dialect (a temp file, a PostgreSQL schema, a MySQL database). */
export interface TestDatabases {
  readonly name: 'sqlite' | 'postgresql' | 'mysql';
  /** A folder for files beside the database (key files, checkpoints) on any dialect. */
  readonly dir: string;
  create(): Promise<DatabaseInput>;
  dropAll(): Promise<void>;
}

const isolatedName = () => `kb_audit_t_${process.pid}_${randomBytes(4).toString('hex')}`;

function sqliteDatabases(): TestDatabases {
  const dir = mkdtempSync(join(tmpdir(), 'kb-audit-'));
  let n = 0;
  return {
    name: 'sqlite',
    dir,
    async create() {
      return { type: 'sqlite', path: join(dir, `kb-${++n}.db`) };
    },
    async dropAll() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresDatabases(url: string): TestDatabases {
  const dir = mkdtempSync(join(tmpdir(), 'kb-audit-pg-'));
  const schemas: string[] = [];
  return {
    name: 'postgresql',
    dir,
    async create() {
      const schema = isolatedName();
      schemas.push(schema);
      return { type: 'postgresql', url, schema };
    },
    async dropAll() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const schema of schemas.splice(0))
          await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mysqlDatabases(url: string): TestDatabases {
  const dir = mkdtempSync(join(tmpdir(), 'kb-audit-mysql-'));
  const names: string[] = [];
  const admin = async (text: string) => {
    const connection = await mysql.createConnection({ uri: url });
    try {
      await connection.query(text);
    } finally {
      await connection.end();
    }
  };
  return {
    name: 'mysql',
    dir,
    async create() {
      const name = isolatedName();
      names.push(name);
      await admin(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      return { type: 'mysql', url: target.toString() };
    },
    async dropAll() {
      for (const name of names.splice(0)) await admin(`drop database if exists \`${name}\``);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SQLite always; PostgreSQL and MySQL when KB_TEST_PG_URL / KB_TEST_MYSQL_URL are set. */
export function testDatabases(): { name: string; make?: () => TestDatabases; skipped?: string }[] {
  const server = (name: string, env: string, make: (url: string) => TestDatabases) => {
    const url = process.env[env];
    return url ? { name, make: () => make(url) } : { name, skipped: `skipped: set ${env} to run them` };
  };
  return [
    { name: 'sqlite', make: sqliteDatabases },
    server('postgresql', 'KB_TEST_PG_URL', postgresDatabases),
    server('mysql', 'KB_TEST_MYSQL_URL', mysqlDatabases),
  ];
}

/**
 * Runs `fn` in a write transaction with the audit table's guard lifted, as only the store can: the tamper
 * a test makes on purpose, to show what verification finds when someone got past the database's refusal.
 */
export async function tamper<T>(storage: Storage, fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
  const dialect = dialectOf(storage);
  const guard = (dialect as { appendOnlyGuard?: typeof dialect.appendOnlyGuard }).appendOnlyGuard;
  return dialect.writeTransaction((trx) => (guard ? guard.lifted(trx, () => fn(trx)) : fn(trx)));
}
