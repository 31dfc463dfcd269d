import type { Kysely } from 'kysely';
import type { Actor, Role } from '../audit/audit-trail.js';
import type { StorageConfig } from '../config/storage-config.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import type { StorageEvents } from '../events/storage-events.js';
import type { HealthProbe } from '../health/health-types.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import type { Migration } from '../migration/migration-types.js';
import type { Storage } from '../storage.js';
import type { WriteScope } from '../storage-write.js';

export type MvpNumber = 1 | 2 | 3 | 4 | 5;

/** A table an extension owns; backups and exports include every contributed table. */
export interface TableContribution {
  name: string;
  /** Export entity the table belongs to (`kb`, `incidents`, `patterns`, …). */
  entity: string;
  primaryKey: readonly string[];
  /** Derived tables (indexes, caches) are rebuilt, not exported. */
  derived?: boolean;
}

/** A domain importer (ServiceNow, Jira, COBOL, …) that the io-formats pipeline can call. */
export interface ImporterContribution {
  /** The `--source` name, e.g. `servicenow`. */
  source: string;
  description: string;
  /** Entities the importer writes. */
  entities: readonly string[];
  /** Signature defined by the io-formats package; core only registers and lists importers. */
  handler: unknown;
}

export interface ExporterContribution {
  entity: string;
  description: string;
  handler: unknown;
}

export interface PluginContributions {
  importers?: readonly ImporterContribution[];
  exporters?: readonly ExporterContribution[];
  healthProbes?: readonly HealthProbe[];
  /** Gauges and counters reported by `getMetrics()` under the extension's id. */
  metrics?: () => Record<string, number> | Promise<Record<string, number>>;
  tables?: readonly TableContribution[];
}

export type EventHandlers = {
  [K in keyof StorageEvents]?: (payload: StorageEvents[K]) => void | Promise<void>;
};

/** What an extension's `setup` returns. */
export interface PluginSetup<Api = unknown> {
  /** The extension's typed API, reached with `storage.extension(plugin)`. */
  api?: Api;
  /** Implementations of the seed interface's flat methods this extension provides (`createPattern`, …). */
  methods?: Record<string, (...args: any[]) => Promise<unknown>>;
  on?: EventHandlers;
  contributes?: PluginContributions;
  /**
   * The least role for each of the extension's operations (the names it passes to `ctx.write`/`ctx.read`),
   * all prefixed with its id: `{ 'patterns.detect': 'editor' }`. An operation without a rule is refused.
   */
  permissions?: Readonly<Record<string, Role>>;
  stop?: () => void | Promise<void>;
}

/** What core hands an extension's `setup`. */
export interface PluginContext {
  readonly db: Kysely<any>;
  readonly dialect: DialectAdapter;
  readonly config: StorageConfig;
  /** This extension's `options` from `config.mvp.extensions`. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly metrics: MetricsRegistry;
  readonly actor: Actor;
  /**
   * Runs a change in one write transaction with its audit rows and durable events; events are emitted
   * after commit. Every extension write goes through here.
   */
  write<T>(operation: string, fn: (scope: WriteScope) => Promise<T>): Promise<T>;
  /** Times a read operation into the metrics. */
  read<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Emits an event that is not tied to a write (e.g. a computed alert). */
  emit<K extends keyof StorageEvents>(event: K, payload: StorageEvents[K]): void;
  /** Every table of the store (core's and each enabled extension's), as `storage.tables()`. */
  tables(): TableContribution[];
  /** Every domain importer the enabled extensions contribute. */
  importers(): ImporterContribution[];
  /** The enabled extensions. */
  plugins(): PluginInfo[];
  /**
   * The store itself, for service extensions (export, backup) that drive whole-store operations through its
   * public API. Not for use inside `write` (a store call there is refused).
   */
  storage(): Storage;
}

/** An extension: as small as kysely's Dialect — identity, dependencies, migrations, setup. */
export interface PluginDefinition<Id extends string = string, Api = unknown> {
  readonly id: Id;
  readonly version: string;
  readonly mvp: MvpNumber;
  /** The npm package that ships it, used in error messages. */
  readonly package?: string;
  readonly description?: string;
  /** Extension ids (or `core`) with semver ranges, e.g. `{ core: '^0.1.0' }`. */
  readonly dependsOn?: Readonly<Record<string, string>>;
  /** One migration namespace per extension, named by its id. */
  readonly migrations?: readonly Migration[];
  setup?(ctx: PluginContext): PluginSetup<Api> | Promise<PluginSetup<Api>>;
}

export type PluginApi<P> = P extends PluginDefinition<string, infer Api> ? Api : never;

export interface PluginInfo {
  id: string;
  version: string;
  mvp: MvpNumber;
  package: string | null;
  namespace: string;
}
