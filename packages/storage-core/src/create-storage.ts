import { validateActor } from './audit/actor.js';
import type { Actor } from './audit/audit-trail.js';
import { openAuditTrail } from './audit/open-audit-trail.js';
import { parseStorageConfig, type StorageConfigInput } from './config/storage-config.js';
import { openDialect } from './dialect/open-dialect.js';
import { StorageErrorCode } from './errors/error-codes.js';
import { StorageError } from './errors/storage-error.js';
import {
  AUDIT_TRAIL_MIGRATIONS,
  auditAppendOnlyMigration,
  auditHeadMigration,
  auditKeysMigration,
  eventsAndAuditMigration,
  kbSchemaMigration,
  usageIndexMigration,
} from './kb/kb-migrations.js';
import { MigrationRegistry } from './migration/migration-registry.js';
import type { MigrationNamespace } from './migration/migration-types.js';
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
  const dialect = await openDialect(parsed);
  try {
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
      },
    });
    const requested = options.migrate ?? 'auto';
    // A read-only store cannot migrate: it opens only when nothing is pending, and otherwise names what is.
    const mode = requested === 'auto' && dialect.fileState?.().readOnly ? 'verify' : requested;
    if (mode === 'auto') {
      const result = await migrations.up();
      if (result.error) throw result.error;
    } else if (mode === 'verify') {
      const status = await migrations.status();
      const pending = status.namespaces.flatMap((n) => n.pending.map((m) => `${n.namespace}:${m.id}`));
      if (pending.length > 0) {
        throw new StorageError(
          StorageErrorCode.MIGRATION_PENDING,
          `the store has ${pending.length} pending migrations (${pending.slice(0, 5).join(', ')}); run 'kb migrate up'`,
          { details: { pending } },
        );
      }
    }
    storage = new Storage(parsed, dialect, migrations, actor, audit);
    await storage.start(plugins, mode !== 'none');
    return storage;
  } catch (error) {
    await dialect.close().catch(() => undefined);
    throw error;
  }
}
