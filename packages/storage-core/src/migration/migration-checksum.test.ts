import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteColumnTypes } from '../dialect/sqlite/sqlite-column-types.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { kbSchemaMigration } from '../kb/kb-migrations.js';
import {
  captureMigration,
  captureMigrationSql,
  checksumStatements,
  normaliseSql,
} from './migration-checksum.js';
import type { Migration, MigrationContext } from './migration-types.js';

const ctx: MigrationContext = {
  dialect: 'sqlite',
  capabilities: {
    transactionalDdl: true,
    lockingReads: false,
    migrationSnapshot: true,
    embedded: true,
    dropIndexNeedsTable: false,
  },
  types: sqliteColumnTypes,
  appendOnly: { protect: async () => {}, unprotect: async () => {} },
};

let sqlite: BetterSqlite3.Database;
let db: Kysely<any>;

beforeEach(() => {
  sqlite = new BetterSqlite3(':memory:');
  db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
});

afterEach(async () => {
  await db.destroy();
});

const rawMigration = (text: string, parameter: unknown = 'x'): Migration => ({
  id: 'raw',
  async up(trx) {
    await sql.raw(text).execute(trx);
    await sql`insert into t (v) values (${parameter})`.execute(trx);
  },
});

describe('captureMigrationSql', () => {
  it('records the SQL the dialect compiles, without executing it', async () => {
    const statements = await captureMigrationSql(db, kbSchemaMigration, ctx, 'core:0001');
    expect(statements[0]?.sql).toMatch(
      /^create table "kb_entries" \("seq" integer primary key autoincrement/,
    );
    expect(statements.some((s) => s.sql.startsWith('create index "kb_tags_tag_idx"'))).toBe(true);
    const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").all();
    expect(tables).toEqual([]);
  });

  it('records parameters and answers reads with no rows', async () => {
    const seen: unknown[] = [];
    const migration: Migration = {
      id: 'data',
      async up(trx) {
        const rows = await trx.selectFrom('kb_entries').select('id').where('category', '=', 'JCL').execute();
        seen.push(rows);
        await trx
          .updateTable('kb_entries')
          .set({ severity: 'high' })
          .where('category', '=', 'VSAM')
          .execute();
      },
    };
    const statements = await captureMigrationSql(db, migration, ctx, 'core:data');
    expect(seen).toEqual([[]]);
    expect(statements).toEqual([
      { sql: 'select "id" from "kb_entries" where "category" = ?', parameters: ['JCL'] },
      { sql: 'update "kb_entries" set "severity" = ? where "category" = ?', parameters: ['high', 'VSAM'] },
    ]);
  });

  it('refuses a migration that fails while planned, naming it', async () => {
    const migration: Migration = {
      id: 'needs-a-row',
      async up(trx) {
        await trx.selectFrom('kb_entries').selectAll().executeTakeFirstOrThrow();
      },
    };
    await expect(captureMigrationSql(db, migration, ctx, 'core:needs-a-row')).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_INVALID,
      message: expect.stringContaining('core:needs-a-row'),
    });
  });

  it('refuses introspection, which a plan cannot answer', async () => {
    const migration: Migration = {
      id: 'introspects',
      async up(trx) {
        await trx.introspection.getTables();
      },
    };
    await expect(captureMigrationSql(db, migration, ctx, 'core:introspects')).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_INVALID,
    });
  });
});

describe('checksum', () => {
  it('ignores line endings and trailing blanks', async () => {
    const lf = await captureMigration(db, rawMigration('create table t (\n  v text\n)'), ctx, 'core:raw');
    const crlf = await captureMigration(
      db,
      rawMigration('create table t (  \r\n  v text\t\r\n)\r\n'),
      ctx,
      'core:raw',
    );
    const cr = await captureMigration(db, rawMigration('create table t (\r  v text\r)'), ctx, 'core:raw');
    expect(crlf.checksum).toBe(lf.checksum);
    expect(cr.checksum).toBe(lf.checksum);
    expect(normaliseSql('a  \r\nb\t\r\n\n')).toBe('a\nb');
  });

  it('changes with the SQL and with the parameters, including their type', async () => {
    const base = await captureMigration(db, rawMigration('create table t (v text)', 'x'), ctx, 'core:raw');
    const otherSql = await captureMigration(
      db,
      rawMigration('create table t (v blob)', 'x'),
      ctx,
      'core:raw',
    );
    const otherValue = await captureMigration(
      db,
      rawMigration('create table t (v text)', 'y'),
      ctx,
      'core:raw',
    );
    const number = await captureMigration(db, rawMigration('create table t (v text)', 1), ctx, 'core:raw');
    const text = await captureMigration(db, rawMigration('create table t (v text)', '1'), ctx, 'core:raw');
    const bigint = await captureMigration(db, rawMigration('create table t (v text)', 1n), ctx, 'core:raw');
    const checksums = [base, otherSql, otherValue, number, text, bigint].map((c) => c.checksum);
    expect(new Set(checksums).size).toBe(checksums.length);
    expect(base.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same for a migration compiled differently (dist vs sources, CRLF checkout)', async () => {
    const source = [
      "import type { Kysely, sql as Sql } from 'kysely';",
      'export const make = (sql: typeof Sql) => ({',
      "  id: '0009_faults',",
      '  async up(db: Kysely<any>): Promise<void> {',
      '    // the table of abend codes',
      '    await sql`create table faults (',
      '      code text primary key,',
      "      kind text not null default 'system'",
      '    )`.execute(db);',
      "    await db.insertInto('faults').values({ code: 'S0C7' }).execute();",
      '  },',
      '});',
    ].join('\n');
    const build = (text: string, target: ts.ScriptTarget, newLine: ts.NewLineKind) => {
      const { outputText } = ts.transpileModule(text, {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target,
          newLine,
          removeComments: target < ts.ScriptTarget.ES2020,
        },
      });
      const exports: { make?: (s: typeof sql) => Migration } = {};
      new Function('exports', 'require', outputText)(exports, () => ({}));
      const migration = exports.make?.(sql);
      if (!migration) throw new Error('the compiled module exports no make()');
      return migration;
    };
    const dist = build(source, ts.ScriptTarget.ES2017, ts.NewLineKind.LineFeed);
    const windowsCheckout = build(
      source.replaceAll('\n', '\r\n'),
      ts.ScriptTarget.ES2022,
      ts.NewLineKind.CarriageReturnLineFeed,
    );
    expect(dist.up.toString()).not.toBe(windowsCheckout.up.toString());
    const a = await captureMigration(db, dist, ctx, 'core:0009');
    const b = await captureMigration(db, windowsCheckout, ctx, 'core:0009');
    expect(a.statements.map((x) => x.sql)).toEqual([
      "create table faults (\n      code text primary key,\n      kind text not null default 'system'\n    )",
      'insert into "faults" ("code") values (?)',
    ]);
    expect(b.checksum).toBe(a.checksum);
  });

  it('depends on the SQL issued, not on how the function is written', async () => {
    // The same migration as compiled output would write it: other formatting, other variable names.
    const compiledStyle: Migration = {
      id: '0001_knowledge_base',
      up: (d, c) => kbSchemaMigration.up(d, c),
    };
    const fromSource = await captureMigration(db, kbSchemaMigration, ctx, 'core:0001');
    const fromCompiled = await captureMigration(db, compiledStyle, ctx, 'core:0001');
    expect(fromCompiled.checksum).toBe(fromSource.checksum);
    expect(kbSchemaMigration.up.toString()).not.toBe(compiledStyle.up.toString());
  });

  it('refuses a migration whose SQL differs on every run', async () => {
    const clock: Migration = {
      id: 'seed',
      async up(trx) {
        await trx
          .insertInto('kb_events')
          .values({ type: 'seeded', payload: '{}', created_at: `${process.hrtime.bigint()}` })
          .execute();
      },
    };
    await expect(captureMigration(db, clock, ctx, 'core:seed')).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_INVALID,
      message: expect.stringContaining('different SQL each time'),
    });
  });

  it('is a plain function of the statements', () => {
    const a = checksumStatements([{ sql: 'select 1', parameters: [new Uint8Array([1, 2])] }]);
    const b = checksumStatements([{ sql: 'select 1', parameters: [new Uint8Array([1, 3])] }]);
    const c = checksumStatements([{ sql: 'select 1 ', parameters: [new Uint8Array([1, 2])] }]);
    expect(a).not.toBe(b);
    expect(c).toBe(a);
  });
});
