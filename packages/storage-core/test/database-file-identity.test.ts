import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createStorage,
  definePlugin,
  type KBEntryInput,
  MigrationRegistry,
  type PluginContext,
  type SqliteDialectAdapter,
  type Storage,
  StorageErrorCode,
} from '../src/index.js';
import { dialectOf } from '../src/storage.js';

const entry = (title = 'S0C7 data exception in PAYROLL'): KBEntryInput => ({
  title,
  problem: 'Program PAYROLL abends S0C7 when adding a packed decimal field that holds spaces.',
  solution: 'Initialise the COMP-3 field with MOVE ZERO and validate input with IF NUMERIC.',
  category: 'cobol',
});

interface NotesDatabase {
  notes: { id: string; text: string };
}

/** A plugin whose one write goes through the plugin context, as every plugin's writes do. */
const notesPlugin = definePlugin({
  id: 'notes',
  version: '1.0.0',
  mvp: 2,
  tables: { notes: { entity: 'notes', primaryKey: ['id'] } },
  migrations: [
    {
      id: '0001_notes',
      async up(db) {
        await db.schema
          .createTable('notes')
          .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('text', 'varchar(200)', (c) => c.notNull())
          .execute();
      },
    },
  ],
  setup(ctx: PluginContext<NotesDatabase>) {
    return {
      api: {
        add: (id: string) =>
          ctx.write('notes.add', async (scope) => {
            await scope.trx.insertInto('notes').values({ id, text: 'IEF212I' }).execute();
            scope.audit({ action: 'create', entity: 'note', entityId: id });
          }),
      },
      permissions: { 'notes.add': 'editor' },
    };
  },
});

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

let dir: string;
let path: string;
let storage: Storage;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kb-file-identity-'));
  path = join(dir, 'kb.db');
  storage = await createStorage({ database: { path } }, { plugins: [notesPlugin] });
  await storage.createEntry(entry());
});

afterEach(async () => {
  await storage.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function deleteDatabase(): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

const replaced = {
  code: StorageErrorCode.DATABASE_REPLACED,
  message: expect.stringMatching(/deleted or replaced since the store opened it.*nothing was written/),
};

describe('a database file deleted or replaced under an open store', () => {
  it('refuses the next write, names the file, and health says unhealthy', async () => {
    deleteDatabase();
    const refused = storage.createEntry(entry('U4038 after the delete'));
    await expect(refused).rejects.toMatchObject(replaced);
    await expect(refused).rejects.toThrow(path);
    // Nothing was written anywhere: not into the unlinked file, not into a new one at the path.
    expect(existsSync(path)).toBe(false);

    const health = await storage.healthCheck();
    expect(health.status).toBe('unhealthy');
    const probe = health.probes.find((p) => p.name === 'database file');
    expect(probe).toMatchObject({ status: 'unhealthy', detail: expect.stringContaining(path) });
    expect(probe?.detail).toMatch(/deleted/);
  });

  it('refuses writes once another database is renamed over the path, leaving that one untouched', async () => {
    const other = join(dir, 'other.db');
    const db = new BetterSqlite3(other);
    db.exec("create table t (x text); insert into t values ('restored elsewhere')");
    db.close();
    const before = sha256(other);
    renameSync(other, path);

    await expect(storage.createEntry(entry('VSAM status 35'))).rejects.toMatchObject(replaced);
    expect(sha256(path)).toBe(before);
    const probe = (await storage.healthCheck()).probes.find((p) => p.name === 'database file');
    expect(probe).toMatchObject({ status: 'unhealthy', detail: expect.stringMatching(/replaced/) });
  });

  it('covers every write path: plugin writes, search history, raw write transactions and migrations', async () => {
    const notes = storage.plugin('notes') as { add(id: string): Promise<void> };
    await notes.add('before');
    await storage.search('S0C7');
    deleteDatabase();

    await expect(notes.add('after')).rejects.toMatchObject(replaced);

    const errors: { operation: string; code: string }[] = [];
    storage.on('storage:error', (e) => errors.push(e));
    await storage.search('PAYROLL');
    await storage.flushSearchHistory();
    expect(errors).toContainEqual(
      expect.objectContaining({ operation: 'search-history', code: StorageErrorCode.DATABASE_REPLACED }),
    );

    const dialect = dialectOf(storage);
    await expect(
      dialect.writeTransaction((trx) => sql`create table stray (x integer)`.execute(trx)),
    ).rejects.toMatchObject(replaced);
    await expect(
      dialect.migrationTransaction((trx) => sql`create table stray (x integer)`.execute(trx)),
    ).rejects.toMatchObject(replaced);
    const migrations = new MigrationRegistry(dialect, [
      {
        namespace: 'late',
        dependsOn: ['core'],
        migrations: [
          {
            id: '0001_late',
            async up(db) {
              await sql`create table late (x integer)`.execute(db);
            },
          },
        ],
      },
      { namespace: 'core', dependsOn: [], migrations: [] },
    ]);
    const run = await migrations.up();
    expect(run.error).toMatchObject({ code: StorageErrorCode.DATABASE_REPLACED });
    await expect(storage.optimize()).rejects.toMatchObject(replaced);
  });

  it('checks just before COMMIT, so a delete while a transaction runs rolls it back', async () => {
    const dialect = dialectOf(storage);
    await expect(
      dialect.writeTransaction(async (trx) => {
        await sql`insert into kb_tags (entry_id, tag) select id, 'late' from kb_entries`.execute(trx);
        deleteDatabase();
      }),
    ).rejects.toMatchObject(replaced);
    expect((dialect as SqliteDialectAdapter).sqlite.inTransaction).toBe(false);
  });

  it('keeps accepting writes while the file is the one it opened, and in memory never checks', async () => {
    const id = await storage.createEntry(entry('IEF212I data set not found'));
    expect(await storage.getEntry(id)).toMatchObject({ title: 'IEF212I data set not found' });
    const probe = (await storage.healthCheck()).probes.find((p) => p.name === 'database file');
    expect(probe).toMatchObject({ status: 'healthy' });

    const memory = await createStorage({ database: { path: ':memory:' } });
    try {
      await memory.createEntry(entry());
      const health = await memory.healthCheck();
      expect(health.probes.find((p) => p.name === 'database file')).toMatchObject({
        status: 'healthy',
        detail: expect.stringMatching(/in memory/),
      });
    } finally {
      await memory.close();
    }
  });
});
