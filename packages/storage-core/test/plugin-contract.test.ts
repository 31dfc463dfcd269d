import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createStorage,
  definePlugin,
  type Migration,
  type PluginContext,
  type PluginDefinition,
} from '../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-plugin-contract-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface WidgetsDatabase {
  widgets: { id: string; name: string; entry_id: string | null };
  widget_parts: { widget_id: string; part: string };
}

const widgetsMigration: Migration = {
  id: '0001_widgets',
  async up(db) {
    // Created child first on purpose: the load order must come from the foreign keys, not from here.
    await db.schema
      .createTable('widgets')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('entry_id', 'varchar(64)', (c) => c.references('kb_entries.id').onDelete('set null'))
      .execute();
    await db.schema
      .createTable('widget_parts')
      .addColumn('widget_id', 'varchar(64)', (c) => c.notNull().references('widgets.id').onDelete('cascade'))
      .addColumn('part', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('widget_parts_pk', ['widget_id', 'part'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('widget_parts').execute();
    await db.schema.dropTable('widgets').execute();
  },
};

interface WidgetsApi {
  prefix: string;
  add(name: string): Promise<string>;
  sneakyDelete(): Promise<unknown>;
  count(): Promise<number>;
}

const apiOf = (storage: { plugin(id: string): unknown }) => storage.plugin('widgets') as WidgetsApi;

/** A plugin built the way the guide builds one; `change` bends one part of it per test. */
function widgets(change: Partial<PluginDefinition<'widgets', unknown, WidgetsDatabase>> = {}) {
  return definePlugin({
    id: 'widgets',
    version: '1.0.0',
    mvp: 3,
    // Declared parent-last: the order of storage.tables() must not depend on it.
    tables: {
      widget_parts: { entity: 'widgets', primaryKey: ['widget_id', 'part'] },
      widgets: { entity: 'widgets', primaryKey: ['id'] },
    },
    options: z.strictObject({ prefix: z.string().default('w-') }),
    migrations: [widgetsMigration],
    provides: ['countWidgets'],
    setup(ctx: PluginContext<WidgetsDatabase, { prefix: string }>) {
      const count = async () =>
        Number(
          (
            await ctx.db
              .selectFrom('widgets')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        api: {
          prefix: ctx.options.prefix,
          add: (name: string) =>
            ctx.write('widgets.add', async (scope) => {
              const id = `${ctx.options.prefix}${name}`;
              await scope.trx.insertInto('widgets').values({ id, name, entry_id: null }).execute();
              scope.audit({ action: 'create', entity: 'widget', entityId: id });
              return id;
            }),
          sneakyDelete: () => ctx.db.deleteFrom('widgets').execute(),
          count: () => ctx.read('widgets.read', count),
        },
        methods: { countWidgets: () => ctx.read('widgets.read', count) },
        permissions: { 'widgets.add': 'editor', 'widgets.read': 'viewer' },
      };
    },
    ...change,
  });
}

const open = (plugins: PluginDefinition<string, any>[], name = 'kb.db', extra: object = {}) =>
  createStorage({ database: { path: join(dir, name) }, ...extra }, { plugins });

describe('plugin contract v2', () => {
  it('starts a plugin declared once: tables in foreign-key order, typed options, a flat method', async () => {
    const plugin = widgets();
    const storage = await open([plugin], 'kb.db', {
      mvp: { extensions: [{ id: 'widgets', options: { prefix: 'x-' } }] },
    });
    try {
      const names = storage.tables().map((t) => t.name);
      expect(names.indexOf('kb_entries')).toBeLessThan(names.indexOf('widgets'));
      expect(names.indexOf('widgets')).toBeLessThan(names.indexOf('widget_parts'));
      const api = apiOf(storage);
      expect(await api.add('one')).toBe('x-one');
      const flat = storage as unknown as { countWidgets(): Promise<number> };
      expect(await flat.countWidgets()).toBe(1);
      expect(storage.plugins[0]).toMatchObject({
        provides: ['countWidgets'],
        tables: ['widget_parts', 'widgets'],
      });
    } finally {
      await storage.close();
    }
  });

  it('refuses options the plugin schema rejects, naming the field', async () => {
    await expect(
      open([widgets()], 'kb.db', { mvp: { extensions: [{ id: 'widgets', options: { prefix: 3 } }] } }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('prefix') });
  });

  it('refuses a misspelt method and a declared method that setup does not return, naming it', async () => {
    const misspelt = widgets({
      setup: () => ({ methods: { countWidget: async () => 0 } }),
    });
    const error = await open([misspelt]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXTENSION_INVALID' });
    expect((error as Error).message).toMatch(/'countWidget'.*did you mean 'countWidgets'/);
    await expect(open([widgets({ setup: () => ({}) })], 'b.db')).rejects.toThrow(
      /provides 'countWidgets', but its setup\(\) returns no such method/,
    );
  });

  it('refuses a method that shadows a member of the store', async () => {
    const shadow = widgets({ provides: ['close'], setup: () => ({ methods: { close: async () => 0 } }) });
    await expect(open([shadow])).rejects.toThrow(/'close', which is already a member of the store/);
  });

  it('refuses tables the migrations create but the plugin does not declare, and the reverse', async () => {
    const undeclared = widgets({ tables: { widgets: { entity: 'widgets', primaryKey: ['id'] } } });
    await expect(open([undeclared])).rejects.toThrow(
      /create table 'widget_parts', which its 'tables' does not declare/,
    );
    const typo = widgets({
      tables: {
        widgets: { entity: 'widgets', primaryKey: ['id'] },
        widget_parts: { entity: 'widgets', primaryKey: ['widget_id', 'part'] },
        widget_part: { entity: 'widgets', primaryKey: ['id'] },
      },
    });
    await expect(open([typo], 'b.db')).rejects.toThrow(
      /declares table 'widget_part', which none of its migrations/,
    );
  });

  it('refuses to start when a declared table is missing from the database', async () => {
    const storage = await open([widgets()]);
    await storage.close();
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(join(dir, 'kb.db'));
    raw.exec('drop table widget_parts');
    raw.close();
    await expect(open([widgets()])).rejects.toMatchObject({
      code: 'MIGRATION_DRIFT',
      message: expect.stringContaining("'widget_parts'"),
    });
  });

  it('refuses a plugin given as a factory function instead of the object', async () => {
    const factory = (() => widgets()) as unknown as PluginDefinition;
    await expect(open([factory])).rejects.toThrow(/object definePlugin\(\) returns, not a function/);
  });

  it('refuses writes through ctx.db: they would bypass the role check and the audit row', async () => {
    const storage = await open([widgets()]);
    try {
      await apiOf(storage).add('keep');
      await expect(apiOf(storage).sneakyDelete()).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await apiOf(storage).count()).toBe(1);
    } finally {
      await storage.close();
    }
  });

  it('refuses a plugin whose API holds a database handle, naming where', async () => {
    const leaky = widgets({
      setup: (ctx) => ({ api: { context: ctx }, methods: { countWidgets: async () => 0 } }),
    });
    await expect(open([leaky])).rejects.toThrow(/exposes a database handle in its API at api\.context/);
    const nested = widgets({
      setup: (ctx) => ({ api: { deep: { db: ctx.dialect.db } }, methods: { countWidgets: async () => 0 } }),
    });
    await expect(open([nested], 'b.db')).rejects.toThrow(/api\.deep\.db/);
  });
});

describe('what an actor holds', () => {
  it('gives a viewer no database handle and no migration registry to write around the roles', async () => {
    const admin = await open([widgets()]);
    const id = await admin.createEntry({
      title: 'S0C7 in PAYR010',
      problem: 'Packed decimal field holds spaces.',
      solution: 'Initialise the field.',
      category: 'COBOL',
    });
    await admin.close();
    const viewer = await createStorage(
      { database: { path: join(dir, 'kb.db') } },
      { plugins: [widgets()], actor: { id: 'vera', role: 'viewer' } },
    );
    try {
      const reachable = collect(viewer);
      expect(reachable.some((v) => v instanceof Kysely)).toBe(false);
      expect('dialect' in viewer).toBe(false);
      expect('migrations' in viewer).toBe(false);
      await expect(viewer.migrateDown({ to: 'widgets:0' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(viewer.deleteEntry(id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(apiOf(viewer).add('x')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await viewer.countEntries()).toBe(1);
      expect((await viewer.migrationStatus()).pendingCount).toBe(0);
    } finally {
      await viewer.close();
    }
  });
});

/** Every object reachable from `root` through own properties (values, not getters), a few levels deep. */
function collect(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number) => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 6) return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d && 'value' in d) walk(d.value, depth + 1);
    }
  };
  walk(root, 0);
  return [...seen];
}
