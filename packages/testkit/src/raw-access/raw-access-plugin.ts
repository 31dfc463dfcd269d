import {
  type DialectAdapter,
  definePlugin,
  type PluginContext,
  type Storage,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import type { Kysely, Transaction } from 'kysely';

const contexts = new WeakMap<Storage, PluginContext>();

/**
 * A plugin that hands a test the database under a store, for tests that tamper with rows on purpose (an
 * edited audit row, a sabotaged table). The store itself exposes no handle: only the code that opens a
 * store chooses its plugins, so only that code can reach the database this way.
 *
 * ```ts
 * const storage = await createStorage(config, { plugins: [rawAccessPlugin] });
 * await rawDb(storage).deleteFrom('kb_audit').execute();
 * ```
 */
export const rawAccessPlugin = definePlugin({
  id: 'test-raw-access',
  version: '1.0.0',
  mvp: 1,
  description: 'tests only: the database under the store, for tampering on purpose',
  setup(ctx) {
    contexts.set(ctx.storage(), ctx);
    return {};
  },
});

function contextOf(storage: Storage): PluginContext {
  const ctx = contexts.get(storage);
  if (!ctx) {
    throw new StorageError(
      StorageErrorCode.EXTENSION_NOT_ENABLED,
      'open the store with { plugins: [rawAccessPlugin] } to reach its database in a test',
    );
  }
  return ctx;
}

/**
 * The plugin context of a store opened with `rawAccessPlugin`: for tests of a plugin's internals that are
 * built from a context (a service below the plugin's own role checks).
 */
export function rawContext(storage: Storage): PluginContext {
  return contextOf(storage);
}

/** The dialect under a store opened with `rawAccessPlugin`. */
export function rawDialect(storage: Storage): DialectAdapter {
  return contextOf(storage).dialect;
}

/** The unguarded kysely instance under a store opened with `rawAccessPlugin`: writes bypass roles and audit. */
export function rawDb(storage: Storage): Kysely<any> {
  return contextOf(storage).dialect.db;
}

/**
 * Runs `fn` in a write transaction with the database's append-only guard lifted, as only the store's own
 * whole-table loads do: a test's deliberate tamper with the audit trail, standing for someone who got past
 * the database's refusal (dropped the trigger, or owns the table), to show that the chain still tells.
 */
export function tamperAudit<T>(storage: Storage, fn: (trx: Transaction<any>) => Promise<T>): Promise<T> {
  const dialect = rawDialect(storage);
  return dialect.writeTransaction((trx) => dialect.appendOnlyGuard.lifted(trx, () => fn(trx)));
}
