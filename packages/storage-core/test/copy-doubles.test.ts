import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_SESSION_SQL_MODE } from '../src/dialect/mysql/mysql-adapter.js';
import { mysqlColumnTypes } from '../src/dialect/mysql/mysql-column-types.js';
import {
  copyStore,
  createStorage,
  definePlugin,
  type PluginContext,
  type Storage,
  type StorageConfigInput,
} from '../src/index.js';
import { type TestDatabases, testDatabases } from './support/test-databases.js';

// Issue 18: `kb copy` SQLite → MariaDB failed its verification on real search history: MariaDB sent the
// double 9.412266000000045 as that text and mysql2 parsed it as 9.412266000000043. Every double written through
// the store must come back bit for bit (Object.is) on every dialect and through copies between them, and so
// must an integer column's value beyond 2^53.

interface NumbersDatabase {
  number_things: { id: string; d: number | null; i: number | bigint | string | null };
}

interface NumbersApi {
  put(rows: readonly NumbersDatabase['number_things'][]): Promise<void>;
}

/** A table with a double column (`ctx.types.double`, as search_history.took_ms) and a BIGINT column. */
const numbersPlugin = definePlugin<'test-numbers', NumbersApi, NumbersDatabase>({
  id: 'test-numbers',
  version: '1.0.0',
  mvp: 2,
  tables: { number_things: { entity: 'number_things', primaryKey: ['id'] } },
  migrations: [
    {
      id: '0001_number_things',
      async up(db, ctx) {
        await db.schema
          .createTable('number_things')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('d', ctx.types.double)
          .addColumn('i', 'bigint')
          .execute();
      },
    },
  ],
  setup(ctx: PluginContext<NumbersDatabase>) {
    return {
      api: {
        put: (rows) =>
          ctx.write('test-numbers.put', async ({ trx }) => {
            for (let at = 0; at < rows.length; at += 200)
              await trx
                .insertInto('number_things')
                .values(rows.slice(at, at + 200) as NumbersDatabase['number_things'][])
                .execute();
          }),
      },
      permissions: { 'test-numbers.put': 'editor' },
    };
  },
});

const DOUBLES: Record<string, number> = {
  'issue-18': 9.412266000000045,
  'history-1': 93.61670999999933,
  'history-2': 9.092805999999655,
  'history-3': 9.771466999999575,
  'point-one-plus-point-two': 0.1 + 0.2,
  'min-subnormal': 5e-324,
  'min-subnormal-negative': -5e-324,
  'max-subnormal': 2.225073858507201e-308,
  'min-normal': 2.2250738585072014e-308,
  tiny: 1e-300,
  max: Number.MAX_VALUE,
  'max-negative': -Number.MAX_VALUE,
  // 2^53 + 1 is no double: the literal is 2^53. Its neighbours above are 2 apart.
  'two-53-plus-1-as-double': 2 ** 53 + 1,
  'two-53-plus-2': 2 ** 53 + 2,
  'minus-two-53-minus-2': -(2 ** 53) - 2,
  e21: 1e21,
  // 1e22 and the next double above it (2^21 apart there).
  e22: 1e22,
  'e22-next': 1e22 + 2 ** 21,
  third: 1 / 3,
  pi: Math.PI,
  'long-fraction': 123456789.12345679,
  zero: 0,
  'negative-zero': -0,
};

const INTEGERS: Record<string, bigint> = {
  'two-53-plus-1-as-integer': 2n ** 53n + 1n,
  'minus-two-53-minus-1': -(2n ** 53n) - 1n,
  'two-53': 2n ** 53n,
  'max-safe': BigInt(Number.MAX_SAFE_INTEGER),
  'int64-max': 2n ** 63n - 1n,
  'int64-min': -(2n ** 63n),
  answer: 42n,
};

/** Deterministic: search durations as performance.now() differences look, and doubles of any size. */
const GENERATED = [
  ...fc.sample(fc.double({ min: 0, max: 1_000, noNaN: true }), { seed: 18, numRuns: 400 }),
  ...fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { seed: 1_818, numRuns: 200 }),
];

function rowsToWrite(): NumbersDatabase['number_things'][] {
  return [
    ...Object.entries(DOUBLES).map(([id, d]) => ({ id, d, i: null })),
    ...Object.entries(INTEGERS).map(([id, i]) => ({ id, d: null, i })),
    ...GENERATED.map((d, n) => ({ id: `generated-${String(n).padStart(3, '0')}`, d, i: null })),
  ];
}

/**
 * What every store must read back. A double as written, but for -0: SQLite keeps a REAL without a fraction
 * as an integer on disk, so -0.0 reads back as 0 (MariaDB's DOUBLE keeps no negative zero either, and `pg`
 * sends -0 as '0'). An integer as a number while it is safe, beyond that as its decimal digits (as PostgreSQL
 * and MySQL BIGINTs always came back).
 */
function expected(): Map<string, { d: number | null; i: number | string | null }> {
  const stored = (d: number) => (Object.is(d, -0) ? 0 : d);
  const exact = (i: bigint) => (Number.isSafeInteger(Number(i)) ? Number(i) : i.toString());
  return new Map(
    rowsToWrite().map((r) => [
      r.id,
      { d: r.d === null ? null : stored(r.d), i: r.i === null ? null : exact(BigInt(r.i)) },
    ]),
  );
}

async function readNumbers(storage: Storage): Promise<Map<string, { d: unknown; i: unknown }>> {
  const rows = new Map<string, { d: unknown; i: unknown }>();
  for await (const batch of storage.exportTables({ tables: ['number_things'] }))
    for (const row of batch.rows) rows.set(String(row.id), { d: row.d, i: row.i });
  return rows;
}

/** Every value bit for bit: Object.is tells 0 from -0 and compares NaN, which toEqual's tolerance would not. */
function expectExactly(rows: Map<string, { d: unknown; i: unknown }>, where: string): void {
  const want = expected();
  expect(rows.size, `${where}: rows`).toBe(want.size);
  const differing: string[] = [];
  for (const [id, w] of want) {
    const got = rows.get(id);
    if (!got || !Object.is(got.d, w.d) || !Object.is(got.i, w.i))
      differing.push(
        `${id}: wrote d=${String(w.d)} i=${String(w.i)}, read d=${String(got?.d)} (${typeof got?.d}) i=${String(got?.i)} (${typeof got?.i})`,
      );
  }
  expect(differing, where).toEqual([]);
}

const available = testDatabases();

describe('doubles and big integers round-trip exactly through the store and copies', () => {
  const factories = new Map<string, TestDatabases>();
  const open: Storage[] = [];
  const store = async (dialect: string) => {
    const database = (await factories.get(dialect)!.create()) as StorageConfigInput['database'];
    const s = await createStorage({ database }, { plugins: [numbersPlugin] });
    open.push(s);
    return s;
  };
  beforeAll(() => {
    for (const d of available) if (d.make) factories.set(d.name, d.make());
  });
  afterAll(async () => {
    for (const s of open.splice(0)) await s.close().catch(() => {});
    for (const f of factories.values()) await f.dropAll();
  });

  for (const { name, make, skipped } of available) {
    it.skipIf(!make)(
      `${name}: reads back what the store wrote${skipped ? ` (${skipped})` : ''}`,
      async () => {
        const storage = await store(name);
        await storage.plugin(numbersPlugin).put(rowsToWrite());
        expectExactly(await readNumbers(storage), name);
      },
    );
  }

  it('sqlite → sqlite keeps an INTEGER beyond 2^53 exactly, in the file and in the content hash', async () => {
    const source = await store('sqlite');
    await source.plugin(numbersPlugin).put(rowsToWrite());
    const target = await store('sqlite');
    await copyStore(source, target, { batchSize: 50 });
    expectExactly(await readNumbers(target), 'sqlite copy');
    // The file itself, not only what the driver makes of it.
    const file = new BetterSqlite3(target.location, { readonly: true });
    try {
      const row = file
        .prepare("select cast(i as text) as i from number_things where id = 'two-53-plus-1-as-integer'")
        .get() as { i: string };
      expect(row.i).toBe('9007199254740993');
    } finally {
      file.close();
    }
    // A changed digit beyond 2^53 is another content: the hash sees it.
    const other = await store('sqlite');
    await other
      .plugin(numbersPlugin)
      .put(rowsToWrite().map((r) => (r.id === 'two-53-plus-1-as-integer' ? { ...r, i: 2n ** 53n } : r)));
    expect((await other.contentHash()).hash).not.toBe((await source.contentHash()).hash);
  });

  const chains = [
    ['sqlite', 'postgresql', 'mysql', 'sqlite'],
    ['sqlite', 'mysql', 'postgresql', 'sqlite'],
  ];
  for (const chain of chains) {
    const missing = available.filter((d) => chain.includes(d.name) && !d.make);
    it.skipIf(missing.length > 0)(
      `copyStore ${chain.join(' → ')} carries every value bit for bit${missing.length > 0 ? ` (${missing.map((d) => d.skipped).join('; ')})` : ''}`,
      async () => {
        const source = await store(chain[0]!);
        await source.plugin(numbersPlugin).put(rowsToWrite());
        expectExactly(await readNumbers(source), chain[0]!);
        const hash = (await source.contentHash()).hash;
        let from = source;
        for (const dialect of chain.slice(1)) {
          const to = await store(dialect);
          const result = await copyStore(from, to, { batchSize: 64 });
          expect(result.copied).toBe(true);
          expect(result.hash.hash, `${dialect}: verified hash`).toBe(hash);
          expectExactly(await readNumbers(to), `${from.dialectName} → ${dialect}`);
          expect((await to.contentHash()).hash).toBe(hash);
          from = to;
        }
      },
      120_000,
    );
  }

  // The defect as it was found: search history (took_ms is a double) copied to MariaDB and back.
  const servers = available.filter((d) => d.name !== 'sqlite');
  for (const server of servers) {
    it.skipIf(!server.make)(
      `search history's durations survive sqlite → ${server.name} → sqlite${server.skipped ? ` (${server.skipped})` : ''}`,
      async () => {
        const durations = [9.412266000000045, 93.61670999999933, 9.092805999999655, 9.331600000000435];
        durations.push(...GENERATED.slice(0, 200).filter((d) => !Object.is(d, -0)));
        const source = await store('sqlite');
        const created = new Date('2026-12-06T10:00:00.000Z').getTime();
        await source.importTables(
          (async function* () {
            yield {
              table: 'search_history',
              entity: 'search',
              rows: durations.map((tookMs, n) => ({
                id: n + 1,
                query: `S0C7 ${n}`,
                result_count: n % 4,
                top_result_id: null,
                corrected_query: null,
                took_ms: tookMs,
                user_id: 'cli:root',
                created_at: new Date(created + n * 1000).toISOString(),
              })),
            };
          })(),
          { tables: ['search_history'] },
        );
        const there = await store(server.name);
        await copyStore(source, there);
        const back = await store('sqlite');
        await copyStore(there, back);
        for (const s of [source, there, back]) {
          const history = await s.getSearchHistory({ limit: 1_000 });
          const got = new Map(history.map((h) => [h.id, h.tookMs]));
          const wrong = durations.filter((d, n) => !Object.is(got.get(n + 1), d));
          expect(wrong, `${s.dialectName}: durations read back differently`).toEqual([]);
        }
      },
      60_000,
    );
  }
});

// Where a server's settings decide the precision: each is forced to its lossy value to show the store does not
// depend on it.
const pgUrl = process.env.KB_TEST_PG_URL;
describe.skipIf(!pgUrl)(
  `PostgreSQL with extra_float_digits = 0${pgUrl ? '' : ' (skipped: set KB_TEST_PG_URL to run them)'}`,
  () => {
    const name = `kb_efd_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = async (text: string) => {
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    let storage: Storage | undefined;
    beforeAll(async () => {
      // A database whose every session starts with 15-digit float output (PostgreSQL before 12 defaulted to it).
      await admin(`create database "${name}"`);
      await admin(`alter database "${name}" set extra_float_digits = 0`);
    });
    afterAll(async () => {
      await storage?.close().catch(() => {});
      await admin(`drop database if exists "${name}" with (force)`);
    });

    it('reads every double back exactly all the same', async () => {
      const url = new URL(pgUrl!);
      url.pathname = `/${name}`;
      storage = await createStorage(
        { database: { type: 'postgresql', url: url.toString(), schema: 'kb' } },
        { plugins: [numbersPlugin] },
      );
      await storage.plugin(numbersPlugin).put(rowsToWrite());
      expectExactly(await readNumbers(storage), 'postgresql, extra_float_digits = 0');
    });
  },
);

const mysqlUrl = process.env.KB_TEST_MYSQL_URL;
describe.skipIf(!mysqlUrl)(
  `MySQL with REAL_AS_FLOAT in the server's sql_mode${mysqlUrl ? '' : ' (skipped: set KB_TEST_MYSQL_URL to run them)'}`,
  () => {
    const name = `kb_raf_${process.pid}_${randomBytes(4).toString('hex')}`;
    let connection: mysql.Connection | undefined;
    beforeAll(async () => {
      connection = await mysql.createConnection({ uri: mysqlUrl! });
      await connection.query(`create database \`${name}\``);
      await connection.query(`use \`${name}\``);
    });
    afterAll(async () => {
      await connection?.query(`drop database if exists \`${name}\``);
      await connection?.end();
    });

    // The global sql_mode is shared by every test run on the server, so it is the session's that is set here,
    // as a server configured so would start it; then the store's own session setup runs, as on every connection.
    for (const mode of ['REAL_AS_FLOAT,STRICT_TRANS_TABLES', 'ANSI']) {
      it(`the migrations' double is an 8-byte DOUBLE under sql_mode ${mode}`, async () => {
        const c = connection!;
        await c.query(`set session sql_mode = '${mode}'`);
        await c.query(MYSQL_SESSION_SQL_MODE);
        const [[modeRow]] = (await c.query('select @@session.sql_mode as m')) as [{ m: string }[], unknown];
        expect(modeRow!.m).toMatch(/STRICT_ALL_TABLES/);
        const table = `t_${mode.replace(/\W/g, '_').toLowerCase()}`;
        await c.query(`create table \`${table}\` (d ${String(mysqlColumnTypes.double)})`);
        const [[column]] = (await c.query(
          'select data_type as t from information_schema.columns where table_schema = ? and table_name = ?',
          [name, table],
        )) as [{ t: string }[], unknown];
        expect(column!.t.toLowerCase()).toBe('double');
        await c.query(`insert into \`${table}\` values (9.412266000000045)`);
        const [[value]] = (await c.query(`select cast(d as char) as d from \`${table}\``)) as [
          { d: string }[],
          unknown,
        ];
        expect(value!.d).toBe('9.412266000000045');
      });
    }
  },
);
