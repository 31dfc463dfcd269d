import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStorageConfig, type StorageConfigInput } from '../config/storage-config.js';
import { createStorage } from '../create-storage.js';
import type { DialectAdapter, SchemaTable } from './dialect-adapter.js';
import { openDialect } from './open-dialect.js';

type DatabaseInput = NonNullable<StorageConfigInput['database']>;

/** Creates an empty, isolated database for one store and removes it afterwards. */
interface TestTarget {
  readonly name: string;
  create(): Promise<DatabaseInput>;
  drop(): Promise<void>;
}

const CORE_TABLES = [
  'kb_entries',
  'kb_tags',
  'kb_relations',
  'kb_feedback',
  'usage_metrics',
  'search_history',
  'kb_events',
  'kb_audit',
  'kb_audit_head',
  'kb_migrations',
];

// Unique per run: other test runs may share the servers at the same time.
const isolatedName = () => `kb_schema_tables_${process.pid}_${randomBytes(4).toString('hex')}`;

function sqliteTarget(): TestTarget {
  let dir: string | undefined;
  return {
    name: 'sqlite',
    async create() {
      dir = mkdtempSync(join(tmpdir(), 'kb-schema-tables-'));
      return { type: 'sqlite', path: join(dir, 'kb.db') };
    },
    async drop() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(url: string): TestTarget {
  const schema = isolatedName();
  return {
    name: 'postgresql',
    async create() {
      return { type: 'postgresql', url, schema };
    },
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

function mysqlTarget(url: string): TestTarget {
  const database = isolatedName();
  const admin = async <T>(fn: (connection: mysql.Connection) => Promise<T>): Promise<T> => {
    const connection = await mysql.createConnection({ uri: url });
    try {
      return await fn(connection);
    } finally {
      await connection.end();
    }
  };
  return {
    name: 'mysql',
    async create() {
      await admin((c) =>
        c.query(`create database \`${database}\` character set utf8mb4 collate utf8mb4_bin`),
      );
      const target = new URL(url);
      target.pathname = `/${database}`;
      return { type: 'mysql', url: target.toString() };
    },
    async drop() {
      await admin((c) => c.query(`drop database if exists \`${database}\``));
    },
  };
}

/** A dialect's suite runs with its target, or is listed as skipped with the reason. */
interface TargetEntry {
  readonly name: string;
  readonly target?: TestTarget;
  readonly skipped?: string;
}

function serverTarget(name: string, env: string, make: (url: string) => TestTarget): TargetEntry {
  const url = process.env[env];
  return url ? { name, target: make(url) } : { name, skipped: `skipped: set ${env} to run them` };
}

const targets: TargetEntry[] = [
  { name: 'sqlite', target: sqliteTarget() },
  serverTarget('postgresql', 'KB_TEST_PG_URL', postgresTarget),
  serverTarget('mysql', 'KB_TEST_MYSQL_URL', mysqlTarget),
];

function defineSchemaTablesSuite(target: TestTarget) {
  describe(`schemaTables: ${target.name}`, () => {
    let adapter: DialectAdapter | undefined;
    let tables: SchemaTable[] = [];
    const table = (name: string) => tables.find((t) => t.name === name);

    beforeAll(async () => {
      const database = await target.create();
      // The store migrates and closes; its adapter is opened on its own, as a tool reading a store would.
      await (await createStorage({ database })).close();
      adapter = await openDialect(parseStorageConfig({ database }));
      await adapter.db.schema
        .createTable('schema_tables_probe')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('parent_id', 'varchar(64)')
        .addColumn('entry_id', 'varchar(64)')
        .addColumn('other_entry_id', 'varchar(64)')
        .addForeignKeyConstraint('schema_tables_probe_parent_fk', ['parent_id'], 'schema_tables_probe', [
          'id',
        ])
        .addForeignKeyConstraint('schema_tables_probe_entry_fk', ['entry_id'], 'kb_entries', ['id'])
        .addForeignKeyConstraint('schema_tables_probe_other_fk', ['other_entry_id'], 'kb_entries', ['id'])
        .execute();
      await adapter.db.schema
        .createView('schema_tables_view')
        .as(adapter.db.selectFrom('kb_entries').select('id'))
        .execute();
      tables = await adapter.schemaTables();
    });

    afterAll(async () => {
      await adapter?.close();
      await target.drop();
    });

    it("lists core's tables, sorted by name", () => {
      const names = tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(CORE_TABLES));
      expect(names).toEqual([...names].sort());
    });

    it('lists the tables each table has foreign keys to', () => {
      expect(table('kb_tags')?.references).toEqual(['kb_entries']);
      expect(table('kb_relations')?.references).toEqual(['kb_entries']);
      expect(table('kb_entries')?.references).toEqual([]);
    });

    it('names each referenced table once and leaves out a reference to the table itself', () => {
      expect(table('schema_tables_probe')?.references).toEqual(['kb_entries']);
    });

    it("leaves out views, full-text index storage and the database's own tables", () => {
      const names = tables.map((t) => t.name);
      expect(names).not.toContain('schema_tables_view');
      expect(names.filter((n) => /^sqlite_|^kb_fts|_(data|idx|content|docsize|config)$/.test(n))).toEqual([]);
    });

    if (target.name === 'sqlite') {
      it('leaves out the FTS5 index and its shadow tables, which sqlite_schema lists as tables', async () => {
        const { rows } = await sql<{ name: string }>`
          select name from sqlite_schema where type = 'table' and name like 'kb_fts%'`.execute(adapter!.db);
        expect(rows.map((r) => r.name)).toEqual(
          expect.arrayContaining(['kb_fts', 'kb_fts_data', 'kb_fts_vocab']),
        );
        expect(tables.map((t) => t.name)).not.toContain('sqlite_sequence');
      });
    }
  });
}

for (const entry of targets) {
  if (entry.target) defineSchemaTablesSuite(entry.target);
  else {
    describe(`schemaTables: ${entry.name} (${entry.skipped})`, () => {
      it.skip(`lists the tables of a ${entry.name} store`, () => {});
    });
  }
}
