import type { Kysely } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { LedgerRow } from './migration-ledger.js';
import { migrationKey, type OrderedMigration } from './migration-order.js';
import type { MigrationAudit, MigrationDirection } from './migration-registry-types.js';

/**
 * Refuses, before anything changes, a rollback that would drop a table its migration keeps from being
 * dropped while it holds rows (`refuseDownWhileRowsIn`), naming each table and its row count.
 */
export async function refuseDataLoss(
  db: Kysely<any>,
  direction: MigrationDirection,
  steps: readonly OrderedMigration[],
): Promise<void> {
  if (direction !== 'down') return;
  const held: { migration: string; table: string; rows: number }[] = [];
  for (const step of steps) {
    for (const table of step.migration.refuseDownWhileRowsIn ?? []) {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      const rows = Number((row as { n: unknown }).n);
      if (rows > 0) held.push({ migration: step.key, table, rows });
    }
  }
  if (held.length === 0) return;
  const what = held.map((h) => `${h.migration} would drop ${h.table}, which holds ${h.rows} rows`);
  throw new StorageError(
    StorageErrorCode.MIGRATION_IRREVERSIBLE,
    `cannot roll back: ${what.join('; ')}. The audit trail and the event log are never dropped while they hold rows. ` +
      'Nothing was changed; to start over, create a new store (or restore a backup taken before these migrations)',
    { details: { held } },
  );
}

/**
 * The audit writer for a run's steps, or undefined when the run must write none: every migration the audit
 * trail requires has to be applied both before the run and after it.
 */
export function auditForRun(
  audit: MigrationAudit | undefined,
  rows: readonly LedgerRow[],
  direction: MigrationDirection,
  steps: readonly OrderedMigration[],
): MigrationAudit | undefined {
  if (!audit) return undefined;
  const before = new Set(
    rows.filter((r) => r.status === 'applied').map((r) => migrationKey(r.namespace, r.id)),
  );
  const after = new Set(before);
  for (const step of steps) {
    if (direction === 'up') after.add(step.key);
    else after.delete(step.key);
  }
  return audit.requires.every((key) => before.has(key) && after.has(key)) ? audit : undefined;
}
