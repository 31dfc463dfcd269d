import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  copyStore,
  createStorage,
  definePlugin,
  type Migration,
  type MvpNumber,
  type PluginDefinition,
  type StorageConfigInput,
} from '../src/index.js';
import { testDatabases } from './support/test-databases.js';

/**
 * The seed interface's lifecycle and the config options that used to be accepted and ignored: a store opens
 * only where one exists when asked to, `migrate('MVP3')` migrates by MVP, `initialize(config)` is idempotent,
 * one MVP level, and every option is either honoured or refused with its path.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-seed-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const db = (name = 'kb.db') => ({ database: { path: join(dir, name) } });

/** A plugin of `mvp` owning one table. */
function levelPlugin(id: string, mvp: MvpNumber): PluginDefinition<string> {
  const migration: Migration = {
    id: `0001_${id}`,
    async up(k) {
      await k.schema
        .createTable(`${id}_items`)
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .execute();
    },
    async down(k) {
      await k.schema.dropTable(`${id}_items`).execute();
    },
  };
  return definePlugin({
    id,
    version: '1.0.0',
    mvp,
    tables: { [`${id}_items`]: { entity: id, primaryKey: ['id'] } },
    migrations: [migration],
    setup: () => ({}),
  });
}

describe('createStorage({ mustExist })', () => {
  it('refuses a SQLite store that is not there with NOT_FOUND, creating nothing', async () => {
    const config = db('missing.db');
    await expect(createStorage(config, { mustExist: true })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(join(dir, 'missing.db')),
    });
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
    await (await createStorage(config)).close();
    await (await createStorage(config, { mustExist: true })).close();
  });

  it('refuses an empty file or another application’s database, changing no byte of it', async () => {
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const other = join(dir, 'other-app.sqlite');
    const foreign = new BetterSqlite3(other);
    foreign.exec(
      'create table orders (id integer primary key, total real); insert into orders values (1, 9.5)',
    );
    foreign.close();
    const before = readFileSync(other);
    for (const path of [empty, other]) {
      await expect(createStorage({ database: { path } }, { mustExist: true })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }
    expect(readFileSync(empty).length).toBe(0);
    expect(readFileSync(other).equals(before)).toBe(true);
    expect(existsSync(`${other}-wal`)).toBe(false);
  });
});

describe.each(testDatabases())('createStorage({ mustExist }) on $name', ({ name, make, skipped }) => {
  it.skipIf(!make)(`leaves a database with no store as it was${skipped ? ` (${skipped})` : ''}`, async () => {
    const databases = make!();
    try {
      const database = await databases.create();
      const schemaOrCollation = async () => {
        if (name === 'postgresql') {
          const client = new pg.Client({ connectionString: process.env.KB_TEST_PG_URL });
          await client.connect();
          try {
            const { rows } = await client.query(
              'select 1 from information_schema.schemata where schema_name = $1',
              [(database as { schema: string }).schema],
            );
            return rows.length;
          } finally {
            await client.end();
          }
        }
        if (name === 'mysql') {
          const connection = await mysql.createConnection({ uri: (database as { url: string }).url });
          try {
            await connection.query('alter database character set utf8mb4 collate utf8mb4_general_ci');
            const [rows] = await connection.query('select @@collation_database as c');
            return (rows as { c: string }[])[0]?.c;
          } finally {
            await connection.end();
          }
        }
        return existsSync((database as { path: string }).path);
      };
      const before = await schemaOrCollation();
      await expect(createStorage({ database }, { mustExist: true })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      // PostgreSQL: the schema opening created is gone; MySQL: the collation is as it was; SQLite: no file.
      expect(
        await (name === 'mysql' ? mysqlCollation((database as { url: string }).url) : schemaOrCollation()),
      ).toEqual(before);
    } finally {
      await databases.dropAll();
    }
  });
});

async function mysqlCollation(url: string): Promise<string | undefined> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    const [rows] = await connection.query('select @@collation_database as c');
    return (rows as { c: string }[])[0]?.c;
  } finally {
    await connection.end();
  }
}

describe('migrate(targetVersion) by MVP', () => {
  it("'MVP2' migrates core and the MVP2 extension, leaves MVP3's pending; 'MVP3' the rest", async () => {
    const plugins = [levelPlugin('two', 2), levelPlugin('three', 3)];
    const storage = await createStorage(db(), { plugins, migrate: 'none' });
    try {
      const first = await storage.migrate('MVP2');
      const ran = first.map((r) => `${r.namespace}:${r.status}`);
      expect(ran).toContain('two:applied');
      expect(ran.some((r) => r.startsWith('three:'))).toBe(false);
      expect(ran.filter((r) => r.startsWith('core:')).length).toBeGreaterThan(0);
      const status = await storage.migrationStatus();
      expect(status.namespaces.find((n) => n.namespace === 'three')?.pending).toHaveLength(1);
      const second = await storage.migrate('3');
      expect(second.map((r) => `${r.namespace}:${r.id}:${r.status}`)).toEqual(['three:0001_three:applied']);
      expect((await storage.migrationStatus()).pendingCount).toBe(0);
      expect(await storage.migrate('MVP3')).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('refuses an MVP whose extension is not enabled, before anything runs', async () => {
    const storage = await createStorage(db(), { plugins: [levelPlugin('two', 2)], migrate: 'none' });
    try {
      await expect(storage.migrate('MVP4')).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringMatching(/MVP4: no enabled extension brings MVP 3, 4/),
      });
      expect((await storage.migrationStatus()).namespaces.every((n) => n.applied.length === 0)).toBe(true);
    } finally {
      await storage.close();
    }
  });

  it("still takes 'namespace:id'", async () => {
    const storage = await createStorage(db(), { plugins: [levelPlugin('two', 2)], migrate: 'none' });
    try {
      const results = await storage.migrate('two:0001_two');
      expect(results.at(-1)).toMatchObject({ namespace: 'two', status: 'applied' });
    } finally {
      await storage.close();
    }
  });
});

describe('initialize(config)', () => {
  it('is idempotent on the store it opened, and refuses another database', async () => {
    const storage = await createStorage(db());
    try {
      const before = await storage.contentHash();
      await storage.initialize(db());
      await storage.initialize(db());
      expect(await storage.contentHash()).toEqual(before);
      await expect(storage.initialize(db('other.db'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect(existsSync(join(dir, 'other.db'))).toBe(false);
    } finally {
      await storage.close();
    }
  });
});

describe('one MVP level', () => {
  it('is the highest MVP among the started extensions; config.mvp.version must agree', async () => {
    const plugins = [levelPlugin('two', 2)];
    const storage = await createStorage(db(), { plugins });
    expect(storage.mvpLevel).toBe(2);
    await storage.close();
    expect((await createStorage(db('plain.db'))).mvpLevel).toBe(1);
    const agreeing = await createStorage({ ...db(), mvp: { version: '2' } }, { plugins });
    await agreeing.close();
    await expect(createStorage({ ...db(), mvp: { version: '3' } }, { plugins })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/mvp.version is 3, but the enabled extensions make this store MVP2/),
    });
    // Checked before anything is opened: a mismatched config creates no store.
    await expect(
      createStorage({ ...db('new.db'), mvp: { version: '4' } }, { plugins }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(existsSync(join(dir, 'new.db'))).toBe(false);
  });

  it('holds a rolled-back extension back: its calls say why, copies and exports are refused', async () => {
    const plugins = [levelPlugin('two', 2)];
    const first = await createStorage(db(), { plugins });
    expect((await first.migrateDown({ to: 'two:' })).error).toBeUndefined();
    await first.close();
    const storage = await createStorage(db(), { plugins });
    try {
      expect(storage.migrationHolds.map((h) => h.extension)).toEqual(['two']);
      expect(() => storage.plugin('two')).toThrow(/rolled back to two: .*migrate up/);
      expect(storage.mvpLevel).toBe(1);
      await expect(drain(storage.exportTables())).rejects.toMatchObject({ code: 'MIGRATION_PENDING' });
      const target = await createStorage(db('target.db'), { plugins });
      try {
        await expect(copyStore(storage, target)).rejects.toMatchObject({ code: 'MIGRATION_PENDING' });
      } finally {
        await target.close();
      }
      // The explicit up releases it; the next open starts the extension again.
      expect((await storage.migrateUp()).error).toBeUndefined();
    } finally {
      await storage.close();
    }
    const again = await createStorage(db(), { plugins });
    try {
      expect(again.migrationHolds).toEqual([]);
      expect(again.mvpLevel).toBe(2);
    } finally {
      await again.close();
    }
  });
});

describe('config options are honoured or refused', () => {
  it.each<[string, StorageConfigInput, RegExp]>([
    ['backup.checksumAlgorithm', { backup: { checksumAlgorithm: 'sha512' as never } }, /sha256 only/],
    [
      'performance.maintenance.autoOptimize',
      { performance: { maintenance: { autoOptimize: true as never } } },
      /not implemented/,
    ],
    ['mvp.features', { mvp: { features: { patterns: true } } }, /feature flags are not implemented/],
    ['integrations.ai.enabled', { integrations: { ai: { enabled: true as never } } }, /AI integration/],
    [
      'integrations.external',
      { integrations: { external: [{ name: 'snow', type: 'servicenow' }] } },
      /kb import --source/,
    ],
  ])('refuses %s with its path', async (path, config, message) => {
    const attempt = createStorage({ ...db(), ...config });
    await expect(attempt).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(path),
    });
    await expect(attempt).rejects.toThrow(message);
    expect(existsSync(join(dir, 'kb.db'))).toBe(false);
  });

  it('counts slow operations (monitoring.slowQueryMs) and times nothing when monitoring is off', async () => {
    const slow = await createStorage({ ...db(), performance: { monitoring: { slowQueryMs: 0 } } });
    try {
      await slow.countEntries();
      const ops = (await slow.getMetrics()).operations;
      const counted = Object.values(ops).filter((o) => o.count > 0);
      expect(counted.length).toBeGreaterThan(0);
      // A threshold of 0 ms makes every operation slow.
      expect(counted.every((o) => o.slow === o.count)).toBe(true);
    } finally {
      await slow.close();
    }
    const normal = await createStorage(db('normal.db'));
    try {
      await normal.countEntries();
      const ops = Object.values((await normal.getMetrics()).operations);
      expect(ops.every((o) => o.slow <= o.count)).toBe(true);
    } finally {
      await normal.close();
    }
    const off = await createStorage({ ...db('off.db'), performance: { monitoring: { enabled: false } } });
    try {
      await off.countEntries();
      expect((await off.getMetrics()).operations).toEqual({});
    } finally {
      await off.close();
    }
  });
});

async function drain(batches: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of batches) {
    // read to the end
  }
}
