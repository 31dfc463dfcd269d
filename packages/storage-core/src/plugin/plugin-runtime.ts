import { Kysely, Transaction } from 'kysely';
import type { AccessControl } from '../audit/access-rules.js';
import type { Actor } from '../audit/audit-trail.js';
import type { StorageConfig } from '../config/storage-config.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { PluginNotEnabledError, StorageError } from '../errors/storage-error.js';
import type { StorageEvents } from '../events/storage-events.js';
import type { HealthProbe } from '../health/health-types.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import type { MigrationRegistry } from '../migration/migration-registry.js';
import { editCost } from '../search/spell-corrector.js';
import type { Storage } from '../storage.js';
import type { WriteScope } from '../storage-write.js';
import { FLAT_METHOD_PROVIDERS } from './flat-methods.js';
import type { ResolvedPlugin } from './plugin-host.js';
import {
  checkDeclaredAgainstMigrations,
  checkTablesExist,
  declaredTables,
  orderByForeignKeys,
  tablesCreatedBy,
} from './plugin-tables.js';
import type {
  ExporterContribution,
  FlatMethod,
  ImporterContribution,
  PluginApi,
  PluginContext,
  PluginDefinition,
  PluginInfo,
  PluginSetup,
  TableContribution,
} from './plugin-types.js';
import { ReadOnlyGuard } from './read-only-guard.js';
import { issuePath } from './standard-schema.js';

/** What the runtime needs of the store it starts plugins in. */
export interface PluginHost {
  readonly storage: Storage;
  readonly dialect: DialectAdapter;
  readonly migrations: MigrationRegistry;
  readonly config: StorageConfig;
  readonly metrics: MetricsRegistry;
  readonly actor: Actor;
  readonly access: AccessControl;
  /** Core's own tables, in load order. */
  readonly coreTables: readonly TableContribution[];
  write<T>(operation: string, fn: (scope: WriteScope) => Promise<T>): Promise<T>;
  read<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  emit(type: string, payload: unknown): void;
  listen(type: string, handler: (payload: unknown) => unknown): void;
}

interface StartedPlugin {
  readonly definition: PluginDefinition;
  readonly setup: PluginSetup<unknown>;
}

/**
 * The plugins of one open store: starts them in dependency order, checks what each declares against what it
 * does (tables against its migrations and the database, methods against `provides`, its API against the
 * database handles it must not expose), and answers the store's questions about them.
 */
export class PluginRuntime {
  readonly #host: PluginHost;
  readonly #started: StartedPlugin[] = [];
  /** Enabled plugins left out because a rollback holds their migrations: id → why. */
  #held: ReadonlyMap<string, string> = new Map();
  readonly #methods = new Map<string, { plugin: string; fn: FlatMethod }>();
  #tables: TableContribution[];

  constructor(host: PluginHost) {
    this.#host = host;
    this.#tables = [...host.coreTables];
  }

  /**
   * Checks every plugin's tables, then starts each in order. `checkDatabase` (false when the store was opened
   * without looking at its migrations) compares the declarations with the database's tables and takes the
   * foreign-key order from it.
   */
  async start(
    plugins: readonly ResolvedPlugin[],
    checkDatabase: boolean,
    held: ReadonlyMap<string, string> = new Map(),
  ): Promise<void> {
    this.#held = held;
    await this.#resolveTables(plugins, checkDatabase);
    try {
      for (const resolved of plugins) await this.#startOne(resolved);
    } catch (error) {
      await this.stop();
      throw error instanceof StorageError
        ? error
        : new StorageError(StorageErrorCode.EXTENSION_INVALID, `a plugin failed to start: ${String(error)}`, {
            cause: error,
          });
    }
  }

  async #resolveTables(plugins: readonly ResolvedPlugin[], checkDatabase: boolean): Promise<void> {
    const tables = [...this.#host.coreTables];
    const owners: { owner: string; tables: TableContribution[] }[] = [];
    for (const { definition } of plugins) {
      const created = tablesCreatedBy(
        definition.migrations?.length ? await this.#host.migrations.statementsOf(definition.id) : [],
      );
      checkDeclaredAgainstMigrations(definition, created);
      const own = declaredTables(definition);
      const clash = own.find((t) => tables.some((u) => u.name === t.name));
      if (clash) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${definition.id}' declares table '${clash.name}', which another plugin or core owns`,
          { details: { plugin: definition.id, table: clash.name } },
        );
      }
      tables.push(...own);
      owners.push({ owner: definition.id, tables: own });
    }
    if (!checkDatabase) {
      this.#tables = tables;
      return;
    }
    const schema = await this.#host.dialect.schemaTables();
    const existing = new Set(schema.map((t) => t.name));
    checkTablesExist('core', this.#host.coreTables, existing);
    for (const { owner, tables: own } of owners) checkTablesExist(owner, own, existing);
    this.#tables = orderByForeignKeys(tables, schema);
  }

  async #startOne(resolved: ResolvedPlugin): Promise<void> {
    const { definition } = resolved;
    const ctx = this.#contextFor(definition, await this.#options(resolved));
    const setup: PluginSetup<unknown> = (await definition.setup?.(ctx)) ?? {};
    this.#started.push({ definition, setup });
    this.#addPermissions(definition, setup);
    this.#addMethods(definition, setup);
    assertNoHandles(definition.id, setup.api, [ctx, this.#host.dialect, this.#host.migrations]);
    for (const [event, handler] of Object.entries(setup.on ?? {})) {
      if (handler) this.#host.listen(event, handler as (payload: unknown) => unknown);
    }
  }

  async #options(resolved: ResolvedPlugin): Promise<unknown> {
    const schema = resolved.definition.options;
    if (!schema) return resolved.options;
    const result = await schema['~standard'].validate(resolved.options);
    if (result.issues === undefined) return result.value;
    const id = resolved.definition.id;
    throw new StorageError(
      StorageErrorCode.CONFIG_INVALID,
      `config.mvp.extensions[${id}].options: ${result.issues.map((i) => `${issuePath(i) || '(root)'}: ${i.message}`).join('; ')}`,
      {
        details: {
          plugin: id,
          issues: result.issues.map((i) => ({ path: issuePath(i), message: i.message })),
        },
      },
    );
  }

  #addPermissions(definition: PluginDefinition, setup: PluginSetup<unknown>): void {
    const access = this.#host.access;
    for (const operation of Object.keys(setup.permissions ?? {})) {
      if (!operation.startsWith(`${definition.id}.`) || access.hasRule(operation)) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${definition.id}' declares a rule for '${operation}'; its operations must start with '${definition.id}.' and may not redefine an existing rule`,
        );
      }
    }
    access.addRules(setup.permissions ?? {});
  }

  /** The methods `setup` returns must be exactly those the definition says it provides. */
  #addMethods(definition: PluginDefinition, setup: PluginSetup<unknown>): void {
    const id = definition.id;
    const provides = new Set(definition.provides ?? []);
    const given = Object.entries(setup.methods ?? {});
    for (const [name, fn] of given) {
      if (!provides.has(name)) {
        const near = nearest(name, [...provides]);
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${id}' returns a method '${name}' that its definition does not list in 'provides'${near ? ` (did you mean '${near}'?)` : ''}`,
          { details: { plugin: id, method: name } },
        );
      }
      if (typeof fn !== 'function') {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${id}': method '${name}' is not a function`,
        );
      }
    }
    for (const name of provides) {
      if (!given.some(([n]) => n === name)) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${id}' declares that it provides '${name}', but its setup() returns no such method`,
          { details: { plugin: id, method: name } },
        );
      }
      const taken = this.#methods.get(name);
      if (taken) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugins '${taken.plugin}' and '${id}' both provide '${name}'; enable one of them`,
          { details: { plugin: id, method: name, other: taken.plugin } },
        );
      }
      if (!Object.hasOwn(FLAT_METHOD_PROVIDERS, name) && name in this.#host.storage) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `plugin '${id}' provides '${name}', which is already a member of the store; choose another name`,
          { details: { plugin: id, method: name } },
        );
      }
    }
    for (const [name, fn] of given) this.#methods.set(name, { plugin: id, fn: fn as FlatMethod });
  }

  #contextFor(definition: PluginDefinition, options: unknown): PluginContext {
    const host = this.#host;
    return {
      db: host.dialect.db.withPlugin(new ReadOnlyGuard(definition.id)),
      dialect: host.dialect,
      config: host.config,
      options: options as Readonly<Record<string, unknown>>,
      metrics: host.metrics,
      // The actor acting now (a runAs scope's), read when the plugin looks.
      get actor() {
        return host.actor;
      },
      write: (operation, fn) => host.write(operation, fn),
      read: (operation, fn) => host.read(operation, fn),
      authorize: (operation) => host.access.check(host.actor, operation),
      emit: <K extends keyof StorageEvents>(event: K, payload: StorageEvents[K]) => host.emit(event, payload),
      // Evaluated when called: plugins started later contribute too.
      tables: () => this.tables(),
      importers: () => this.importers(),
      exporters: () => this.exporters(),
      plugins: () => this.info(),
      storage: () => host.storage,
    };
  }

  /** Calls the flat method `name`, or fails naming the package that provides it. */
  call(name: string, args: readonly unknown[]): Promise<unknown> {
    const method = this.#methods.get(name);
    if (method) return method.fn(...args);
    const provider = FLAT_METHOD_PROVIDERS[name as keyof typeof FLAT_METHOD_PROVIDERS];
    return Promise.reject(
      provider
        ? new PluginNotEnabledError(name, provider.plugin, provider.package)
        : new StorageError(StorageErrorCode.EXTENSION_NOT_ENABLED, `no enabled plugin provides '${name}'`),
    );
  }

  /** Flat methods provided by plugins beyond the seed interface's, which the store defines itself. */
  addedMethods(): string[] {
    return [...this.#methods.keys()].filter((name) => !Object.hasOwn(FLAT_METHOD_PROVIDERS, name));
  }

  api<P extends PluginDefinition<string, any>>(plugin: P | P['id']): PluginApi<P> {
    const id = typeof plugin === 'string' ? plugin : plugin.id;
    const started = this.#started.find((p) => p.definition.id === id);
    const held = this.#held.get(id);
    if (!started && held !== undefined) {
      throw new StorageError(
        StorageErrorCode.EXTENSION_NOT_ENABLED,
        `plugin '${id}' is not started: ${held}`,
        {
          details: { plugin: id, held: true },
        },
      );
    }
    if (!started) {
      const pkg =
        (typeof plugin === 'string' ? undefined : plugin.package) ?? `the package providing '${id}'`;
      throw new StorageError(
        StorageErrorCode.EXTENSION_NOT_ENABLED,
        `plugin '${id}' is not enabled in this store: install ${pkg} and add { id: '${id}' } to config.mvp.extensions`,
        { details: { plugin: id } },
      );
    }
    return started.setup.api as PluginApi<P>;
  }

  info(): PluginInfo[] {
    return this.#started.map(({ definition }) => ({
      id: definition.id,
      version: definition.version,
      mvp: definition.mvp,
      package: definition.package ?? null,
      namespace: definition.id,
      provides: [...(definition.provides ?? [])],
      tables: Object.keys(definition.tables ?? {}),
    }));
  }

  tables(): TableContribution[] {
    return [...this.#tables];
  }

  importers(): ImporterContribution[] {
    return this.#started.flatMap((p) => p.setup.contributes?.importers ?? []);
  }

  exporters(): ExporterContribution[] {
    return this.#started.flatMap((p) => p.setup.contributes?.exporters ?? []);
  }

  healthProbes(): HealthProbe[] {
    return this.#started.flatMap((p) => p.setup.contributes?.healthProbes ?? []);
  }

  async metrics(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const { definition, setup } of this.#started) {
      if (setup.contributes?.metrics) out[definition.id] = await setup.contributes.metrics();
    }
    return out;
  }

  /** Lets each plugin whose tables a load wrote rebuild its derived tables, in the load's transaction. */
  async rebuildDerived(trx: Transaction<any>, loaded: readonly string[]): Promise<void> {
    for (const { definition, setup } of this.#started) {
      const own = Object.keys(definition.tables ?? {});
      if (setup.rebuildDerived && own.some((t) => loaded.includes(t)))
        await setup.rebuildDerived(trx, loaded);
    }
  }

  /** Stops plugins in reverse order; every one is asked even when an earlier one fails. */
  async stop(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const { setup } of [...this.#started].reverse()) {
      try {
        await setup.stop?.();
      } catch (error) {
        errors.push(error);
      }
    }
    this.#started.length = 0;
    this.#methods.clear();
    return errors;
  }
}

/**
 * Refuses a plugin whose API holds a database handle: the store's holder, whatever their role, could write
 * through it around the role check and the audit trail. Looks through plain objects and arrays a few levels
 * deep; what a function returns is the conformance suite's to try.
 */
function assertNoHandles(plugin: string, api: unknown, forbidden: readonly unknown[]): void {
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 4) return;
    seen.add(value);
    if (forbidden.includes(value) || value instanceof Kysely || value instanceof Transaction) {
      throw new StorageError(
        StorageErrorCode.EXTENSION_INVALID,
        `plugin '${plugin}' exposes a database handle in its API at ${path}: anyone holding the store could write around the role check and the audit trail. Keep the context inside the plugin`,
        { details: { plugin, path } },
      );
    }
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) walk(descriptor.value, `${path}.${String(key)}`, depth + 1);
    }
  };
  walk(api, 'api', 0);
}

/** The candidate closest to `name`, if close enough to be a typo. */
function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestCost = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const cost = editCost(name.toLowerCase(), candidate.toLowerCase(), 2);
    if (cost < bestCost) {
      best = candidate;
      bestCost = cost;
    }
  }
  return best;
}
