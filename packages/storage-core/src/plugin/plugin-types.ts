import type { Kysely, Transaction } from 'kysely';
import type { Actor, Role } from '../audit/audit-trail.js';
import type { StorageConfig } from '../config/storage-config.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import type { StorageEvents } from '../events/storage-events.js';
import type { HealthProbe } from '../health/health-types.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import type { Migration } from '../migration/migration-types.js';
import type { Storage } from '../storage.js';
import type { WriteScope } from '../storage-write.js';
import type { PluginCommand } from './plugin-command.js';
import type { DomainExporter, DomainImporter } from './plugin-importer.js';
import type { StandardSchema } from './standard-schema.js';

export type MvpNumber = 1 | 2 | 3 | 4 | 5;

/** A table a plugin owns, declared once in its definition. */
export interface TableDeclaration {
  /** Export entity the table belongs to (`kb`, `incidents`, `patterns`, …). */
  readonly entity: string;
  readonly primaryKey: readonly string[];
  /** Rebuilt from other tables (indexes, caches): never exported or copied row by row. */
  readonly derived?: boolean;
}

/**
 * A table of the store as backups, exports and copies see it. `storage.tables()` lists them parents
 * before children, in the order the database's foreign keys give.
 */
export interface TableContribution extends TableDeclaration {
  readonly name: string;
}

/** A domain importer (ServiceNow, Jira, COBOL, …) that `kb import --source <name>` calls. */
export interface ImporterContribution {
  /** The `--source` name, e.g. `servicenow`. */
  readonly source: string;
  readonly description: string;
  /** Entities the importer writes. */
  readonly entities: readonly string[];
  readonly handler: DomainImporter;
}

/** A domain exporter that `kb export --target <name>` calls. */
export interface ExporterContribution {
  /** The `--target` name, e.g. `notes-markdown`. */
  readonly target: string;
  readonly description: string;
  /** Entities the exporter reads. */
  readonly entities: readonly string[];
  /** The file name extension it writes, without the dot (`md`, `yaml`). */
  readonly extension: string;
  readonly handler: DomainExporter;
}

export interface PluginContributions {
  readonly importers?: readonly ImporterContribution[];
  readonly exporters?: readonly ExporterContribution[];
  readonly healthProbes?: readonly HealthProbe[];
  /** Gauges and counters reported by `getMetrics()` under the plugin's id. */
  readonly metrics?: () => Record<string, number> | Promise<Record<string, number>>;
}

export type EventHandlers = {
  [K in keyof StorageEvents]?: (payload: StorageEvents[K]) => void | Promise<void>;
};

/**
 * The store's flat methods that plugins provide (the seed interface's `createPattern`, `storeCodeAnalysis`,
 * `backup`, … and any a plugin adds). Empty in core: each plugin adds its own by module augmentation, so a
 * method is typed on the store exactly when the package that provides it is installed:
 *
 * ```ts
 * declare module '@mainframe-kb/storage-core' {
 *   interface PluginMethods { createPattern(data: PatternData): Promise<string> }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the plugins' module augmentations.
export interface PluginMethods {}

/** Any function a plugin may offer as a flat method. */
export type FlatMethod = (...args: any[]) => Promise<unknown>;

/** What a plugin's `setup` returns. */
export interface PluginSetup<Api = unknown, Db = any> {
  /** The plugin's typed API, reached with `storage.plugin(plugin)`. Must not expose a database handle. */
  readonly api?: Api;
  /** The flat methods named in the definition's `provides`: exactly those, no more. */
  readonly methods?: { readonly [K in keyof PluginMethods]?: PluginMethods[K] } & Readonly<
    Record<string, FlatMethod>
  >;
  readonly on?: EventHandlers;
  readonly contributes?: PluginContributions;
  /**
   * The least role for each of the plugin's operations (the names it passes to `ctx.write`/`ctx.read`), all
   * prefixed with its id: `{ 'patterns.detect': 'editor' }`. An operation without a rule is refused.
   */
  readonly permissions?: Readonly<Record<string, Role>>;
  /**
   * Rebuilds the plugin's derived tables (declared `derived: true`, never copied) from its other tables,
   * inside the transaction that loaded `loaded` (a copy, a logical restore, `importTables`). Called when a
   * load wrote any of the plugin's tables.
   */
  rebuildDerived?(trx: Transaction<Db>, loaded: readonly string[]): Promise<void>;
  stop?(): void | Promise<void>;
}

/** What core hands a plugin's `setup`. `Db` is the plugin's own database interface (its tables' rows). */
export interface PluginContext<Db = any, Options = Readonly<Record<string, unknown>>> {
  /**
   * For reads: a statement that writes (insert, update, delete, DDL) is refused here, because it would
   * bypass the role check and the audit row. Write inside `ctx.write`, through `scope.trx`.
   */
  readonly db: Kysely<Db>;
  /**
   * The dialect, for service plugins that work on the whole database (snapshots, file location). Never hand
   * it, or anything holding it, to the plugin's API: an actor holding the store could reach it.
   */
  readonly dialect: DialectAdapter;
  readonly config: StorageConfig;
  /** This plugin's options from `config.mvp.extensions`, validated by the definition's `options` schema. */
  readonly options: Options;
  readonly metrics: MetricsRegistry;
  /** Who holds the store: every operation is checked against their role. */
  readonly actor: Actor;
  /**
   * Runs a change in one write transaction with its audit rows and durable events, after checking the
   * actor's role for `operation`; events are emitted after commit. Every plugin write goes through here.
   */
  write<T>(operation: string, fn: (scope: WriteScope<Db>) => Promise<T>): Promise<T>;
  /** Checks the actor's role for `operation` and times the read into the metrics. */
  read<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Checks the actor's role for `operation` without running anything (for work that is not one read). */
  authorize(operation: string): void;
  /** Emits an event that is not tied to a write (e.g. a computed alert). */
  emit<K extends keyof StorageEvents>(event: K, payload: StorageEvents[K]): void;
  /** Every table of the store (core's and each enabled plugin's), as `storage.tables()`. */
  tables(): TableContribution[];
  /** Every domain importer the enabled plugins contribute. */
  importers(): ImporterContribution[];
  /** Every domain exporter the enabled plugins contribute. */
  exporters(): ExporterContribution[];
  /** The enabled plugins. */
  plugins(): PluginInfo[];
  /**
   * The store itself, for service plugins (export, backup) that drive whole-store operations through its
   * public API. Not for use inside `write` (a store call there is refused).
   */
  storage(): Storage;
}

/**
 * A plugin: identity, dependencies, the tables it owns, its migrations, the flat methods and `kb` commands it
 * brings, and a setup. Declare one with `definePlugin`.
 */
export interface PluginDefinition<Id extends string = string, Api = unknown, Db = any, Options = any> {
  readonly id: Id;
  readonly version: string;
  readonly mvp: MvpNumber;
  /** The npm package that ships it, used in error messages. */
  readonly package?: string;
  readonly description?: string;
  /** Plugin ids (or `core`) with semver ranges, e.g. `{ core: '^0.1.0' }`. */
  readonly dependsOn?: Readonly<Record<string, string>>;
  /**
   * Validates `config.mvp.extensions[].options` (any Standard Schema: a zod schema works). The parsed value is
   * `ctx.options`; a failure refuses to open the store, naming each problem.
   */
  readonly options?: StandardSchema<unknown, Options>;
  /**
   * Every table the plugin's migrations create, by name. Backups, exports and copies take their table list
   * and its foreign-key order from here and the database; the store refuses to start when a declared table
   * is missing or a migration creates one that is not declared.
   */
  readonly tables?: Readonly<Record<string, TableDeclaration>>;
  /** One migration namespace per plugin, named by its id. */
  readonly migrations?: readonly Migration[];
  /** The flat methods this plugin puts on the store; `setup` must return exactly these in `methods`. */
  readonly provides?: readonly string[];
  /** Subcommands of `kb` this plugin brings (`kb patterns …`). */
  readonly commands?: readonly PluginCommand[];
  setup?(ctx: PluginContext<Db, Options>): PluginSetup<Api, Db> | Promise<PluginSetup<Api, Db>>;
}

export type PluginApi<P> = P extends PluginDefinition<string, infer Api> ? Api : never;

export interface PluginInfo {
  id: string;
  version: string;
  mvp: MvpNumber;
  package: string | null;
  namespace: string;
  /** The flat methods it provides. */
  provides: string[];
  /** The tables it owns. */
  tables: string[];
}
