import {
  type MigrationStatus,
  type MvpNumber,
  type PluginDefinition,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { ExitCode } from '../cli-error.js';
import { UpgradeErrorCode, UpgradeRefusal } from './upgrade-errors.js';

/** The package that ships each MVP's extension (DESIGN.md), named when it is not installed. */
export const MVP_PACKAGES: Readonly<Record<2 | 3 | 4 | 5, string>> = {
  2: '@mainframe-kb/plugin-patterns',
  3: '@mainframe-kb/plugin-code',
  4: '@mainframe-kb/plugin-templates',
  5: '@mainframe-kb/plugin-analytics',
};

export function isMvp(value: number): value is MvpNumber {
  return Number.isInteger(value) && value >= 1 && value <= 5;
}

/** The highest MVP among `plugins` (1, the knowledge base alone, when none is beyond it). */
export function highestMvp(plugins: readonly Pick<PluginDefinition, 'mvp'>[]): MvpNumber {
  let level: MvpNumber = 1;
  for (const p of plugins) if (p.mvp > level) level = p.mvp;
  return level;
}

export interface LedgerLevel {
  /** The highest MVP among the extensions whose migrations the store has applied. */
  readonly level: MvpNumber;
  /** Namespaces with applied migrations, registered in this run or dormant. */
  readonly namespaces: readonly string[];
  /** Of those, the ones no known extension owns (their MVP cannot be told; they do not count). */
  readonly unknown: readonly string[];
}

/**
 * The MVP level the store records: it is at MVP k when its migration ledger holds migrations of an MVP k
 * extension. The ledger is what a store carries wherever it is opened from, whichever config enables what.
 */
export function ledgerLevel(status: MigrationStatus, mvpOf: ReadonlyMap<string, MvpNumber>): LedgerLevel {
  const applied = [
    ...status.namespaces.filter((n) => n.applied.length > 0).map((n) => n.namespace),
    ...status.dormant.filter((n) => n.applied.length > 0).map((n) => n.namespace),
  ];
  let level: MvpNumber = 1;
  const unknown: string[] = [];
  for (const namespace of applied) {
    if (namespace === 'core') continue;
    const mvp = mvpOf.get(namespace);
    if (mvp === undefined) unknown.push(namespace);
    else if (mvp > level) level = mvp;
  }
  return { level, namespaces: applied, unknown };
}

/** Refuses a target below the store's level: kb upgrade only goes up, and says how to go back. */
export function refuseDowngrade(
  from: LedgerLevel,
  to: MvpNumber,
  mvpOf: ReadonlyMap<string, MvpNumber>,
): void {
  if (to >= from.level) return;
  const above = from.namespaces.filter((n) => (mvpOf.get(n) ?? 1) > to);
  throw new UpgradeRefusal(
    UpgradeErrorCode.DOWNGRADE,
    `the store is at MVP${from.level} (its migration ledger holds ${above.join(', ')}); kb upgrade only goes up. ` +
      `To go back to MVP${to}, restore a backup taken before (kb restore <id> --overwrite) or roll those ` +
      `namespaces back (kb migrate down --to <namespace>:)`,
    ExitCode.USAGE,
  );
}

/**
 * Refuses a target some MVP of which no installed extension provides: MVP N means every MVP up to N.
 * `available` are the extensions the upgraded store would enable.
 */
export function refuseMissingExtensions(available: readonly PluginDefinition[], to: MvpNumber): void {
  for (let mvp = 2; mvp <= to; mvp += 1) {
    if (available.some((p) => p.mvp === mvp)) continue;
    const pkg = MVP_PACKAGES[mvp as 2 | 3 | 4 | 5];
    throw new UpgradeRefusal(
      StorageErrorCode.EXTENSION_NOT_INSTALLED,
      `MVP${to} needs the MVP${mvp} extension, and it is not installed: install ${pkg} (pnpm add ${pkg}) and run kb upgrade again`,
      ExitCode.FAILED,
    );
  }
}
