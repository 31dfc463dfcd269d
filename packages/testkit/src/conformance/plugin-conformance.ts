import {
  type Actor,
  createStorage,
  type PluginDefinition,
  type Storage,
  type StorageConfigInput,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rawAccessPlugin, rawDialect } from '../raw-access/raw-access-plugin.js';
import { availableTestStores, type TestStores } from '../servers/server-stores.js';

/** A round trip through a whole-store path (an export format, a backup): source in, target out. */
export interface PluginRoundTrip {
  readonly name: string;
  /** Copies `source` into the store `openTarget()` returns, the way the path does it; returns the target. */
  run(source: Storage, openTarget: () => Promise<Storage>): Promise<Storage>;
}

export interface PluginConformanceOptions {
  /** The plugin under test, exactly as its package exports it. */
  readonly plugin: PluginDefinition<string, any>;
  /** Plugins it depends on, or that the round trips need (io-formats, backup), enabled beside it. */
  readonly with?: readonly PluginDefinition<string, any>[];
  /** Its entry in `config.mvp.extensions` (options), if it needs one. */
  readonly config?: Omit<StorageConfigInput, 'database'>;
  /**
   * Writes data through the plugin's public API (as an admin) so that every table it declares, derived ones
   * aside, holds rows: the round trips must then carry each of them.
   */
  seed(storage: Storage): Promise<void>;
  /** Whole-store paths to try besides core's own table stream (`exportTables` → `importTables`). */
  readonly roundTrips?: readonly PluginRoundTrip[];
  /** API functions the viewer probe must not call (e.g. one that waits for a schedule). */
  readonly skipViewerCalls?: readonly string[];
}

const VIEWER: Actor = { id: 'conformance-viewer', role: 'viewer' };

/**
 * The contract every plugin keeps, on every dialect available (SQLite always; PostgreSQL and MySQL when
 * their URLs are set): migrations up and down, declared tables present, flat methods reachable, round trips
 * that carry every declared table with its rows, a store that opens without the plugin (its namespace
 * dormant) and gains it again, and nothing a viewer holds that writes around the role check.
 */
export function definePluginConformance(options: PluginConformanceOptions): void {
  const { plugin } = options;
  for (const target of availableTestStores()) {
    const name = `plugin conformance: ${plugin.id} on ${target.dialect}`;
    const stores = target.stores;
    if (!stores) {
      describe(`${name} (${target.skipped})`, () => {
        it.skip('runs on this dialect', () => {});
      });
      continue;
    }
    describe(name, () => {
      afterAll(() => stores.cleanup());
      definePluginChecks(options, stores);
    });
  }
}

function definePluginChecks(options: PluginConformanceOptions, stores: TestStores): void {
  const { plugin } = options;
  const plugins = [plugin, ...(options.with ?? [])];
  const declared = Object.entries(plugin.tables ?? {});
  const content = declared.filter(([, t]) => !t.derived).map(([name]) => name);

  const opened: Storage[] = [];
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close().catch(() => undefined);
  });

  /** Opens a database (again: a new store object on the same data), with or without the plugin. */
  const reopen = async (
    database: NonNullable<StorageConfigInput['database']>,
    withPlugin: boolean,
    actor?: Actor,
  ) => {
    // Without the plugin, its config entry (if the caller gave one) must not make core import it either.
    const extensions = (options.config?.mvp?.extensions ?? []).map((e) =>
      !withPlugin && e.id === plugin.id ? { ...e, enabled: false } : e,
    );
    const storage = await createStorage(
      { ...options.config, mvp: { ...options.config?.mvp, extensions }, database },
      {
        plugins: withPlugin ? [...plugins, rawAccessPlugin] : [rawAccessPlugin],
        ...(actor ? { actor } : {}),
      },
    );
    opened.push(storage);
    return storage;
  };

  const seeded = async () => {
    const database = await stores.database();
    const storage = await reopen(database, true);
    await options.seed(storage);
    return { database, storage };
  };

  it('creates every declared table, and its migrations go down and up again', async () => {
    const { storage } = await seeded();
    const existing = new Set((await rawDialect(storage).schemaTables()).map((t) => t.name));
    for (const [table] of declared) expect(existing, `declared table ${table}`).toContain(table);
    expect(storage.tables().map((t) => t.name)).toEqual(expect.arrayContaining(declared.map(([t]) => t)));
    await storage.close();
    if (!plugin.migrations?.length) return;
    // Down needs a store that holds no rows of the plugin's tables only where the migration says so; an
    // empty store is the case every plugin must support.
    const empty = await reopen(await stores.database(), true);
    const down = await empty.migrateDown({ to: `${plugin.id}:` });
    expect(down.error, String(down.error?.message)).toBeUndefined();
    const after = new Set((await rawDialect(empty).schemaTables()).map((t) => t.name));
    for (const [table] of declared) expect(after, `table ${table} after down`).not.toContain(table);
    const up = await empty.migrateUp();
    expect(up.error, String(up.error?.message)).toBeUndefined();
    const again = new Set((await rawDialect(empty).schemaTables()).map((t) => t.name));
    for (const [table] of declared) expect(again, `table ${table} after up`).toContain(table);
    await empty.close();
  });

  it('puts each flat method it provides on the store', async () => {
    const storage = await reopen(await stores.database(), true);
    for (const method of plugin.provides ?? []) {
      expect(typeof (storage as unknown as Record<string, unknown>)[method], method).toBe('function');
    }
    expect(storage.plugins.find((p) => p.id === plugin.id)?.provides).toEqual([...(plugin.provides ?? [])]);
    await storage.close();
  });

  it('writes an audit row for its changes, and seeds rows into every content table it declares', async () => {
    const { storage } = await seeded();
    const counts = await storage.rowCounts();
    for (const table of content) expect(counts[table], `rows in ${table} after seed`).toBeGreaterThan(0);
    const audit = await storage.verifyAuditChain();
    expect(audit.ok).toBe(true);
    expect(audit.rows).toBeGreaterThan(0);
    await storage.close();
  });

  const roundTrips: PluginRoundTrip[] = [
    {
      name: 'core table stream (exportTables → importTables)',
      async run(source, openTarget) {
        const target = await openTarget();
        await target.importTables(source.exportTables());
        return target;
      },
    },
    ...(options.roundTrips ?? []),
  ];
  for (const trip of roundTrips) {
    it(`carries every declared table with its rows through ${trip.name}`, async () => {
      const { storage } = await seeded();
      const before = await storage.contentHash();
      const target = await trip.run(storage, async () => reopen(await stores.database(), true));
      const after = await target.contentHash();
      for (const table of content) {
        expect(after.tables[table]?.rows, `rows of ${table}`).toBe(before.tables[table]?.rows);
        expect(after.tables[table]?.hash, `content of ${table}`).toBe(before.tables[table]?.hash);
      }
      await target.close();
      await storage.close();
    });
  }

  it('leaves its namespace dormant in a store opened without it, and starts again later', async () => {
    const { database, storage } = await seeded();
    const before = await storage.contentHash();
    await storage.close();
    const without = await reopen(database, false);
    const status = await without.migrationStatus();
    if (plugin.migrations?.length) expect(status.dormant.map((d) => d.namespace)).toContain(plugin.id);
    expect(() => without.plugin(plugin)).toThrow(StorageError);
    await without.close();
    const again = await reopen(database, true);
    expect((await again.contentHash()).hash).toBe(before.hash);
    expect(again.plugins.map((p) => p.id)).toContain(plugin.id);
    await again.close();
  });

  it('gives a viewer nothing that writes around the role check', async () => {
    const { database, storage } = await seeded();
    const before = await storage.contentHash();
    await storage.close();
    const viewer = await reopen(database, true, VIEWER);
    const handles = await reachableHandles(viewer, plugin, options.skipViewerCalls);
    expect(handles, 'database handles reachable by a viewer').toEqual([]);
    const write = await viewer
      .createEntry({ title: 'viewer write', problem: 'p', solution: 's', category: 'Other' })
      .catch((e: unknown) => e);
    expect(write).toMatchObject({ code: StorageErrorCode.FORBIDDEN });
    expect((await viewer.contentHash()).hash, 'content after the viewer called everything').toBe(before.hash);
    await viewer.close();
  });
}

/**
 * The database handles (kysely instances or transactions) an actor can reach from the store and a plugin's
 * API: through their properties, and through what every API function and flat method returns when called
 * with no arguments. Whatever those calls do must be refused or harmless for the actor's role.
 */
export async function reachableHandles(
  storage: Storage,
  plugin: PluginDefinition<string, any>,
  skipCalls: readonly string[] = [],
): Promise<string[]> {
  const found: string[] = [];
  const note = (root: unknown, path: string) => {
    const seen: { value: unknown; path: string }[] = [];
    collect(root, seen, path);
    for (const { value, path: at } of seen) if (isQueryBuilder(value)) found.push(at);
  };
  const api = storage.plugin(plugin) as unknown;
  note(api, 'api');
  note(storage, 'storage');
  const calls: [string, (...args: unknown[]) => unknown, unknown][] = [
    ...functionsOf(api).map(
      ([k, f]) => [`api.${k}()`, f, api] as [string, (...a: unknown[]) => unknown, unknown],
    ),
    ...(plugin.provides ?? []).map(
      (m) =>
        [
          `storage.${m}()`,
          (storage as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!,
          storage,
        ] as [string, (...a: unknown[]) => unknown, unknown],
    ),
  ];
  for (const [name, fn, self] of calls) {
    if (skipCalls.some((skip) => name === `api.${skip}()` || name === `storage.${skip}()`)) continue;
    try {
      note(await fn.call(self), name);
    } catch {
      // Refused (FORBIDDEN, a validation error for the missing arguments): nothing handed out.
    }
  }
  return found;
}

/** A kysely instance or transaction, from any copy of kysely: it builds every kind of statement. */
function isQueryBuilder(value: unknown): boolean {
  const v = value as Record<string, unknown>;
  return ['selectFrom', 'insertInto', 'deleteFrom', 'updateTable'].every((k) => typeof v[k] === 'function');
}

function functionsOf(api: unknown): [string, (...args: unknown[]) => unknown][] {
  if (api === null || typeof api !== 'object') return [];
  const out: [string, (...args: unknown[]) => unknown][] = [];
  for (const key of Reflect.ownKeys(api)) {
    const value = (api as Record<PropertyKey, unknown>)[key];
    if (typeof value === 'function') out.push([String(key), value as (...args: unknown[]) => unknown]);
  }
  return out;
}

/** Every object reachable from `root` through own data properties, with its path, a few levels deep. */
function collect(
  root: unknown,
  into: { value: unknown; path: string }[],
  path: string,
  depth = 0,
  seen = new Set<unknown>(),
): void {
  if (root === null || typeof root !== 'object' || seen.has(root) || depth > 6) return;
  seen.add(root);
  into.push({ value: root, path });
  for (const key of Reflect.ownKeys(root)) {
    const descriptor = Object.getOwnPropertyDescriptor(root, key);
    if (descriptor && 'value' in descriptor) {
      collect(descriptor.value, into, `${path}.${String(key)}`, depth + 1, seen);
    }
  }
}
