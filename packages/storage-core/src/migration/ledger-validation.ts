import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { CHECKSUM_ALGORITHM } from './migration-checksum.js';
import type { LedgerRow } from './migration-ledger.js';
import { migrationKey, type OrderedMigration } from './migration-order.js';

/**
 * - `checksum`: an applied migration's SQL changed since it was applied.
 * - `missing`: a declared migration is not applied although a later one of its namespace is.
 * - `unknown`: the ledger has a migration of a registered namespace that the code does not declare.
 * - `incomplete`: a migration was left `running` or `failed` (dialects without transactional DDL).
 */
export type DriftKind = 'checksum' | 'missing' | 'unknown' | 'incomplete';

export interface DriftProblem {
  readonly kind: DriftKind;
  readonly namespace: string;
  readonly id: string;
  /** What is wrong and what to do about it. */
  readonly message: string;
  /** For `checksum`: what the ledger recorded and what the code plans now. */
  readonly recorded?: string;
  readonly current?: string;
}

export interface LedgerCheck {
  readonly problems: DriftProblem[];
  /** Namespaces that have ledger rows but are not registered in this process (a plugin not loaded). */
  readonly dormant: string[];
}

/**
 * Compares the ledger with the declarations. `checksums` holds the current checksum of every declared
 * migration that has an applied row.
 */
export function checkLedger(
  declared: readonly OrderedMigration[],
  rows: readonly LedgerRow[],
  checksums: ReadonlyMap<string, string>,
): LedgerCheck {
  const problems: DriftProblem[] = [];
  const declaredKeys = new Map(declared.map((m) => [m.key, m]));
  const namespaces = new Set(declared.map((m) => m.namespace));
  const rowsByKey = new Map(rows.map((r) => [migrationKey(r.namespace, r.id), r]));
  const dormant = new Set<string>();

  for (const row of rows) {
    const key = migrationKey(row.namespace, row.id);
    if (!namespaces.has(row.namespace)) {
      dormant.add(row.namespace);
      continue;
    }
    if (row.status !== 'applied') {
      problems.push({
        kind: 'incomplete',
        namespace: row.namespace,
        id: row.id,
        message:
          `${key} was left '${row.status}'${row.error ? ` (${row.error})` : ''}: this dialect cannot roll DDL back, so ` +
          'check by hand what of it reached the schema and fix that, then run repair({ clearFailed: true })',
      });
      continue;
    }
    if (!declaredKeys.has(key)) {
      problems.push({
        kind: 'unknown',
        namespace: row.namespace,
        id: row.id,
        message:
          `${key} is applied in the database but not declared by this code (is the code older than the database?): ` +
          'run a version that declares it, or drop it from the ledger with repair({ forgetUnknown: true })',
      });
      continue;
    }
    const current = checksums.get(key);
    if (current !== undefined && (current !== row.checksum || row.checksumAlgorithm !== CHECKSUM_ALGORITHM)) {
      problems.push({
        kind: 'checksum',
        namespace: row.namespace,
        id: row.id,
        recorded: `${row.checksumAlgorithm}:${row.checksum}`,
        current: `${CHECKSUM_ALGORITHM}:${current}`,
        message:
          `${key} was changed after it was applied (its SQL no longer matches the ledger): restore the migration as ` +
          'it was and put the change in a new migration, or accept the new SQL with repair({ acceptChecksums: true })',
      });
    }
  }

  const byNamespace = new Map<string, OrderedMigration[]>();
  for (const m of declared) byNamespace.set(m.namespace, [...(byNamespace.get(m.namespace) ?? []), m]);
  for (const [namespace, migrations] of byNamespace) {
    const isApplied = (m: OrderedMigration) => rowsByKey.get(m.key)?.status === 'applied';
    let lastApplied = -1;
    migrations.forEach((m, i) => {
      if (isApplied(m)) lastApplied = i;
    });
    if (lastApplied < 0) continue;
    for (const m of migrations.slice(0, lastApplied)) {
      if (isApplied(m) || rowsByKey.has(m.key)) continue;
      const later = migrations.slice(m.index + 1).find(isApplied);
      problems.push({
        kind: 'missing',
        namespace,
        id: m.migration.id,
        message:
          `${m.key} is declared but not applied, while the later ${later?.key ?? 'migration'} is: a new migration ` +
          'must be added after the last applied one of its namespace; move it to the end',
      });
    }
  }

  return { problems, dormant: [...dormant].sort() };
}

export function driftError(problems: readonly DriftProblem[]): StorageError {
  const shown = problems.slice(0, 5).map((p) => p.message);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return new StorageError(
    StorageErrorCode.MIGRATION_DRIFT,
    `the migration ledger disagrees with the declared migrations; nothing was migrated. ${shown.join('. ')}${more}`,
    { details: { problems } },
  );
}
