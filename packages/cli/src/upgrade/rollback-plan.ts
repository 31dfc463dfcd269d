import type { MigrationPlan, MigrationStatus } from '@mainframe-kb/storage-core';

/**
 * How a failed upgrade is undone:
 * - `restore-backup`: the pre-upgrade backup goes back over the SQLite file, byte for byte (every table,
 *   the ledger included); exact.
 * - `reverse-migrations`: the namespaces the upgrade migrated are rolled back by their `down` migrations,
 *   newest first. Only planned when that touches nothing that held data before the upgrade.
 * - `none`: neither is possible; kb upgrade refuses to start.
 */
export type RollbackMethod =
  | { readonly kind: 'restore-backup' }
  | { readonly kind: 'reverse-migrations'; readonly targets: readonly string[] }
  | { readonly kind: 'none'; readonly reason: string };

export interface RollbackInput {
  /** The SQLite file of the store; null for a server store. */
  readonly sqliteFile: string | null;
  /** Whether a backup will be taken. */
  readonly backup: boolean;
  /** Status of the store as the upgraded extensions see it (their namespaces registered). */
  readonly status: MigrationStatus;
  readonly plan: MigrationPlan;
}

/** Namespaces that depend on `namespace`, directly or through others. */
function dependentsOf(status: MigrationStatus, namespace: string): string[] {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const ns of status.namespaces) {
      if (found.has(ns.namespace)) continue;
      if (ns.dependsOn.some((d) => d === namespace || found.has(d))) {
        found.add(ns.namespace);
        grew = true;
      }
    }
  }
  return [...found];
}

/**
 * The reverse migrations that undo `plan`: for each namespace it migrates, roll back to the migration that
 * was its last before (or the whole namespace, when it had none). `kb migrate down` also rolls back every
 * namespace that depends on the one rolled back, so that must hold nothing from before the upgrade either.
 */
function reverseMigrations(input: RollbackInput): RollbackMethod {
  const irreversible = input.plan.steps.filter((s) => s.irreversible).map((s) => `${s.namespace}:${s.id}`);
  if (irreversible.length > 0) {
    return {
      kind: 'none',
      reason: `${irreversible.join(', ')} cannot be rolled back (irreversible, or no down)`,
    };
  }
  const namespaces = [...new Set(input.plan.steps.map((s) => s.namespace))];
  const appliedBefore = new Map(input.status.namespaces.map((n) => [n.namespace, n.applied]));
  const targets: string[] = [];
  for (const namespace of namespaces) {
    const kept = appliedBefore.get(namespace) ?? [];
    const holding = dependentsOf(input.status, namespace).filter(
      (d) => (appliedBefore.get(d)?.length ?? 0) > 0,
    );
    if (holding.length > 0) {
      return {
        kind: 'none',
        reason: `rolling ${namespace} back would also roll back ${holding.join(', ')}, which held data before the upgrade`,
      };
    }
    targets.push(`${namespace}:${kept.at(-1)?.id ?? ''}`);
  }
  return { kind: 'reverse-migrations', targets: targets.reverse() };
}

export function planRollback(input: RollbackInput): RollbackMethod {
  if (input.backup && input.sqliteFile !== null) return { kind: 'restore-backup' };
  return reverseMigrations(input);
}

export function describeRollback(method: RollbackMethod, sqliteFile: string | null): string {
  switch (method.kind) {
    case 'restore-backup':
      return `restore the backup over ${sqliteFile}, then check content, ledger and audit trail against before`;
    case 'reverse-migrations':
      return `reverse migrations (kb migrate down --to ${method.targets.join(', then ')}), then check content, ledger and audit trail against before`;
    case 'none':
      return `not possible: ${method.reason}`;
  }
}
