import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { validateActor } from './audit/actor.js';
import type { Actor } from './audit/audit-trail.js';
import { openAuditTrail } from './audit/open-audit-trail.js';
import { parseStorageConfig, type StorageConfigInput } from './config/storage-config.js';
import { redactUrl } from './dialect/database-url.js';
import { openDialect } from './dialect/open-dialect.js';
import { StorageErrorCode } from './errors/error-codes.js';
import { ConfigError, StorageError } from './errors/storage-error.js';
import {
  AUDIT_TRAIL_MIGRATIONS,
  auditAppendOnlyMigration,
  auditHeadMigration,
  auditKeysMigration,
  eventsAndAuditMigration,
  kbSchemaMigration,
  usageIndexMigration,
} from './kb/kb-migrations.js';
import type { MigrationHold } from './migration/migration-ledger.js';
import { LEDGER_TABLE, ledgerExists } from './migration/migration-ledger.js';
import { MigrationRegistry } from './migration/migration-registry.js';
import type { MigrationNamespace } from './migration/migration-types.js';
import type { ResolvedPlugin } from './plugin/plugin-host.js';
import { type PluginImporter, pluginNamespaces, resolvePlugins } from './plugin/plugin-host.js';
import type { PluginDefinition } from './plugin/plugin-types.js';
import { Storage } from './storage.js';

export interface CreateStorageOptions {
  /** Extensions to enable, in addition to those `config.mvp.extensions` names. */
  plugins?: readonly PluginDefinition<string, any>[];
  /** Who is acting; every mutation's audit row names them. Default: `{ id: 'system', role: 'admin' }`. */
  actor?: Actor;
  /**
   * `auto` (default) applies pending migrations on open; `verify` refuses to open with pending ones;
   * `none` opens without looking, for tools that manage migrations themselves (`kb migrate …`): the
   * store's other methods may then fail on tables that do not exist yet.
   */
  migrate?: 'auto' | 'verify' | 'none';
  /**
   * Imports the packages `config.mvp.extensions` names. Default: a plain `import()`, then resolution from
   * the working directory. Pass `(pkg) => import(pkg)` from the application's own module to resolve them
   * exactly as the application does.
   */
  importPlugin?: PluginImporter;
  /**
   * Open only a store that exists: a SQLite file that is there, or a server database whose migration ledger
   * records core's migrations. Otherwise NOT_FOUND, and nothing is created (no file, no table). Default:
   * `false`, a missing store is created.
   */
  mustExist?: boolean;
}

function missingStore(where: string): StorageError {
  return new StorageError(StorageErrorCode.NOT_FOUND, `no store at ${where}: it does not exist`, {
    details: { entity: 'store', id: where },
  });
}

/**
 * Opens (creating and migrating as needed) a store. Validates the config, opens the dialect, collects
 * the enabled plugins, migrates core and every plugin in dependency order, then starts them.
 */
export async function createStorage(
  config: StorageConfigInput = {},
  options: CreateStorageOptions = {},
): Promise<Storage> {
  const parsed = parseStorageConfig(config);
  const plugins = await resolvePlugins(parsed, options.plugins ?? [], options.importPlugin);
  checkMvpVersion(parsed.mvp.version, plugins);
  const { database } = parsed;
  // A store is a database with the migration ledger: a SQLite file is looked into read-only, so another
  // application's database (or an empty file) is neither migrated nor switched to WAL.
  if (options.mustExist && database.type === 'sqlite' && database.path !== ':memory:') {
    if (!sqliteHoldsLedger(database.path)) throw missingStore(database.path);
  }
  const dialect = await openDialect(parsed);
  let running: Storage | undefined;
  try {
    if (options.mustExist && database.type !== 'sqlite' && !(await ledgerExists(dialect.db))) {
      // Opening may have created the schema or set the collation: a database with no store keeps neither.
      await dialect.undoOpen?.();
      throw missingStore(database.url ? redactUrl(database.url) : (database.database ?? database.type));
    }
    const namespaces: MigrationNamespace[] = [
      {
        namespace: 'core',
        dependsOn: [],
        migrations: [
          kbSchemaMigration,
          eventsAndAuditMigration,
          ...dialect.searchIndex.migrations,
          auditHeadMigration,
          usageIndexMigration,
          auditKeysMigration,
          auditAppendOnlyMigration,
          ...(dialect.searchIndex.laterMigrations ?? []),
        ],
      },
      ...pluginNamespaces(plugins),
    ];
    const actor = validateActor(options.actor);
    let storage: Storage | undefined;
    const audit = openAuditTrail(parsed, dialect);
    // Each migration step writes its audit row in its own transaction (see MigrationAudit for which runs can).
    const migrations = new MigrationRegistry(dialect, namespaces, {
      audit: {
        requires: AUDIT_TRAIL_MIGRATIONS,
        // The actor acting when the step runs: a runAs scope's, once the store is open.
        append: (trx, record) =>
          audit.append(trx, storage?.actor ?? actor, [record], new Date().toISOString()),
        assertWritable: (db) => audit.assertWritable(db),
      },
    });
    const requested = options.migrate ?? 'auto';
    // A read-only store cannot migrate: it opens only when nothing is pending, and otherwise names what is.
    const mode = requested === 'auto' && dialect.fileState?.().readOnly ? 'verify' : requested;
    const holds = mode === 'none' ? [] : await migrations.holds();
    refuseHeldCore(holds, mode);
    if (mode === 'auto') {
      // A namespace a rollback holds (and what depends on it) stays where it is until kb migrate up.
      const result = await migrations.up({ respectHolds: true });
      if (result.error) throw result.error;
    } else if (mode === 'verify') {
      const status = await migrations.status();
      const heldBack = new Set(migrations.heldClosure(holds));
      const pending = status.namespaces
        .filter((n) => !heldBack.has(n.namespace))
        .flatMap((n) => n.pending.map((m) => `${n.namespace}:${m.id}`));
      if (pending.length > 0) {
        throw new StorageError(
          StorageErrorCode.MIGRATION_PENDING,
          `the store has ${pending.length} pending migrations (${pending.slice(0, 5).join(', ')}); run 'kb migrate up'`,
          { details: { pending } },
        );
      }
    }
    const { started, held } =
      mode === 'none' ? { started: plugins, held: new Map() } : heldBack(plugins, holds);
    storage = new Storage(parsed, dialect, migrations, actor, audit);
    await storage.start(started, mode !== 'none', held);
    running = storage;
    return storage;
  } catch (error) {
    // A store whose plugins started is closed as a whole (plugins stopped, then the dialect).
    await (running ? running.close() : dialect.close()).catch(() => undefined);
    throw error;
  }
}

/**
 * `config.mvp.version`, when set, must be the level the enabled extensions make (the highest MVP among them,
 * 1 with none); checked before anything is opened or migrated.
 */
function checkMvpVersion(version: string | undefined, plugins: readonly ResolvedPlugin[]): void {
  if (version === undefined) return;
  const level = Math.max(1, ...plugins.map((p) => p.definition.mvp));
  if (Number(version) === level) return;
  const enabled = plugins.map((p) => `${p.definition.id} (MVP${p.definition.mvp})`).join(', ') || 'none';
  throw new ConfigError(
    `config.mvp.version is ${version}, but the enabled extensions make this store MVP${level} (${enabled}): enable the extensions of MVP${version} or change mvp.version`,
    [{ path: 'mvp.version', message: `the enabled extensions make MVP${level}` }],
  );
}

/** Whether a SQLite file holds the migration ledger; read-only, so nothing in the file changes. */
function sqliteHoldsLedger(path: string): boolean {
  if (!existsSync(path)) return false;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    return (
      db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(LEDGER_TABLE) !==
      undefined
    );
  } catch {
    // Not a database (or not readable as one): not a store either; opening it says why if asked to create.
    return false;
  } finally {
    db?.close();
  }
}

const heldReason = (h: MigrationHold) =>
  `its migrations were rolled back to ${h.to} on ${h.since} (migrate down); migrate up applies them again`;

/** Core rolled back on purpose serves nothing: refused before anything else is migrated. */
function refuseHeldCore(holds: readonly MigrationHold[], mode: 'auto' | 'verify' | 'none'): void {
  const core = holds.find((h) => h.namespace === 'core');
  if (!core) return;
  throw new StorageError(
    StorageErrorCode.MIGRATION_PENDING,
    `the store cannot open (${mode}): core ${heldReason(core)}`,
    {
      details: { held: holds },
    },
  );
}

/**
 * The plugins to start, without those whose migrations a rollback holds (and those depending on them): their
 * tables are not all there. Calls to them say why.
 */
function heldBack(
  plugins: readonly ResolvedPlugin[],
  holds: readonly MigrationHold[],
): { started: readonly ResolvedPlugin[]; held: Map<string, string> } {
  const held = new Map<string, string>();
  if (holds.length === 0) return { started: plugins, held };
  for (const h of holds) held.set(h.namespace, heldReason(h));
  // A plugin that depends on one held back cannot start either.
  let changed = true;
  while (changed) {
    changed = false;
    for (const { definition } of plugins) {
      if (held.has(definition.id)) continue;
      const on = Object.keys(definition.dependsOn ?? {}).find((d) => held.has(d));
      if (on !== undefined) {
        held.set(definition.id, `it depends on '${on}': ${held.get(on)}`);
        changed = true;
      }
    }
  }
  return { started: plugins.filter((p) => !held.has(p.definition.id)), held };
}
