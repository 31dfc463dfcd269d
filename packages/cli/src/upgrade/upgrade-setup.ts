import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type MigrationPlan,
  type MigrationStatus,
  type MvpNumber,
  type PluginDefinition,
  type Storage,
  type StorageConfigInput,
  StorageError,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { describeTarget } from '../store/db-target.js';
import { resolveCliPlugins } from '../store/enabled-plugins.js';
import { installedExtensions } from '../store/installed-extensions.js';
import { openStore } from '../store/open-store.js';
import { DEFAULT_CONFIG_FILE, type StoreSettings } from '../store/store-config.js';
import type { RoleGrant } from '../store/store-role.js';
import { type ExtensionPlan, planExtensions, refuseLevelNotKept } from './extension-plan.js';
import {
  highestMvp,
  type LedgerLevel,
  ledgerLevel,
  refuseDowngrade,
  refuseMissingExtensions,
} from './mvp-levels.js';
import type { MigrationPhase, StoreOpener } from './upgrade-runner.js';

/** Everything kb upgrade works out before it touches the store. */
export interface UpgradeSetup {
  readonly target: MvpNumber;
  /** The store's level: what its ledger records, or an enabled extension without migrations. */
  readonly from: LedgerLevel;
  readonly extensions: ExtensionPlan;
  /** The extensions of the store as it is: those the run enables whose migrations are all applied. */
  readonly settled: readonly PluginDefinition[];
  /** The extensions the upgraded store opens with (the next kb command's). */
  readonly upgraded: readonly PluginDefinition[];
  /** The upgraded store's migration status and plan, read before anything was written. */
  readonly status: MigrationStatus;
  readonly plan: MigrationPlan;
  readonly phases: readonly MigrationPhase[];
  readonly open: StoreOpener;
}

export interface SetupInput {
  readonly settings: StoreSettings;
  readonly grant: RoleGrant;
  readonly target: MvpNumber;
  readonly writeConfig: boolean;
}

/**
 * The config a store of the upgrade opens with: exactly `plugins` enabled (entries naming others are left
 * out, so core loads nothing more), no `mvp.version` to assert, and the search cache off, so the performance
 * check times searches and not the cache.
 */
function configFor(base: StorageConfigInput, plugins: readonly PluginDefinition[]): StorageConfigInput {
  const ids = new Set(plugins.map((p) => p.id));
  const named = Array.isArray(base.mvp?.extensions) ? base.mvp.extensions : [];
  const performance = base.performance ?? {};
  return {
    ...base,
    // The level is the upgrade's to judge (a store below or above the config's mvp.version is what it
    // reports), so these stores open without asserting one.
    mvp: {
      ...base.mvp,
      version: undefined,
      extensions: named.filter((e) => ids.has(e.id) && e.enabled !== false),
    },
    performance: { ...performance, caching: { ...performance.caching, enabled: false } },
  };
}

/** Namespace → ids of its applied migrations, over every ledger row (registered and dormant namespaces). */
function appliedIds(status: MigrationStatus): Map<string, Set<string>> {
  const applied = new Map<string, Set<string>>();
  for (const n of [...status.namespaces, ...status.dormant]) {
    applied.set(n.namespace, new Set(n.applied.map((m) => m.id)));
  }
  return applied;
}

/** The plan's pending migrations grouped by MVP, lowest first (core's and the service extensions' are MVP1). */
function phasesOf(plan: MigrationPlan, mvpOf: ReadonlyMap<string, MvpNumber>): MigrationPhase[] {
  const byMvp = new Map<MvpNumber, { lastOf: Map<string, string>; migrations: string[] }>();
  for (const step of plan.steps) {
    const mvp = mvpOf.get(step.namespace) ?? 1;
    const phase = byMvp.get(mvp) ?? { lastOf: new Map<string, string>(), migrations: [] };
    phase.lastOf.set(step.namespace, step.id);
    phase.migrations.push(`${step.namespace}:${step.id}`);
    byMvp.set(mvp, phase);
  }
  return [...byMvp.entries()]
    .sort(([a], [b]) => a - b)
    .map(([mvp, phase]) => ({
      name: `migrate-mvp${mvp}`,
      mvp,
      targets: [...phase.lastOf].map(([ns, id]) => `${ns}:${id}`),
      migrations: phase.migrations,
    }));
}

/**
 * Works out the upgrade: which extensions the upgraded store enables and how that persists (see
 * ExtensionPlan), the store's level from its migration ledger, and the migrations to run, per MVP. Reads
 * the store (opened without migrating) and writes nothing. Refuses a target that cannot be reached or kept.
 */
export async function setUpUpgrade(input: SetupInput): Promise<UpgradeSetup> {
  const { settings, target } = input;
  const installed = await installedExtensions();
  const current = (await resolveCliPlugins(settings.config, settings.cwd)).enabled;
  const configFile =
    settings.configFile === null
      ? null
      : { path: settings.configFile, text: readFileSync(settings.configFile, 'utf8') };
  const extensions = planExtensions({
    target,
    installed,
    configFile,
    defaultConfigPath: resolve(settings.cwd, DEFAULT_CONFIG_FILE),
    writeConfig: input.writeConfig,
    storeConfig: settings.config,
  });
  const upgraded = (await resolveCliPlugins(extensions.storeConfig, settings.cwd)).enabled;

  const mvpOf = new Map<string, MvpNumber>([['core', 1]]);
  for (const p of [...installed, ...current, ...upgraded]) mvpOf.set(p.id, p.mvp);

  const open = (
    plugins: readonly PluginDefinition[],
    config: StorageConfigInput,
    migrate: 'none' | 'verify',
  ) =>
    openStore(
      { ...settings, config: configFor(config, plugins) },
      {
        migrate,
        actorId: settings.actor.id,
        grant: input.grant,
        plugins,
      },
    );

  let status: MigrationStatus;
  let plan: MigrationPlan;
  const planning: Storage = await open(upgraded, extensions.storeConfig, 'none');
  try {
    status = await planning.migrationStatus();
    plan = await planning.planMigrations({ direction: 'up' });
  } finally {
    await planning.close();
  }
  const core = status.namespaces.find((n) => n.namespace === 'core');
  if (!core || core.applied.length === 0) {
    throw new StorageError(
      StorageErrorCode.NOT_FOUND,
      `no store at ${describeTarget(settings.target)} (it has no migrations applied); 'kb init' creates one`,
    );
  }
  if (plan.problems.length > 0) {
    throw new StorageError(
      StorageErrorCode.MIGRATION_DRIFT,
      `the migration ledger disagrees with the code, so kb upgrade does not start: ${plan.problems
        .map((p) => p.message)
        .join('; ')}. See kb migrate status, and kb migrate repair`,
    );
  }

  const applied = appliedIds(status);
  const settled = current.filter((p) => (p.migrations ?? []).every((m) => applied.get(p.id)?.has(m.id)));
  const recorded = ledgerLevel(status, mvpOf);
  const withoutLedger = highestMvp(settled.filter((p) => (p.migrations?.length ?? 0) === 0));
  const from: LedgerLevel = withoutLedger > recorded.level ? { ...recorded, level: withoutLedger } : recorded;
  // The store's own level first: a lower target is a downgrade, whatever the config says.
  refuseDowngrade(from, target, mvpOf);
  refuseLevelNotKept(upgraded, { target, configFile, writeConfig: input.writeConfig });
  refuseMissingExtensions(upgraded, target);

  const backupPlugin = settled.filter((p) => p.id === 'backup');
  const opener: StoreOpener = (which, migrate) => {
    if (which === 'current') return open(settled, settings.config, migrate);
    if (which === 'target') return open(upgraded, extensions.storeConfig, migrate);
    return open(backupPlugin, settings.config, migrate);
  };
  return {
    target,
    from,
    extensions,
    settled,
    upgraded,
    status,
    plan,
    phases: phasesOf(plan, mvpOf),
    open: opener,
  };
}
