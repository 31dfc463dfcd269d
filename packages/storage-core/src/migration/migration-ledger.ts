import { type Kysely, sql } from 'kysely';

/** The one table that records which migrations of which namespace the database has. */
export const LEDGER_TABLE = 'kb_migrations';

export type LedgerStatus = 'applied' | 'running' | 'failed';

export interface LedgerRow {
  readonly namespace: string;
  readonly id: string;
  readonly checksum: string;
  readonly checksumAlgorithm: string;
  /** `running` and `failed` exist only on dialects without transactional DDL, where a crash can leave them. */
  readonly status: LedgerStatus;
  /** ISO-8601 UTC. */
  readonly appliedAt: string;
  readonly durationMs: number;
  readonly irreversible: boolean;
  readonly error: string | null;
}

interface LedgerRecord {
  namespace: string;
  id: string;
  checksum: string;
  checksum_algorithm: string;
  status: string;
  applied_at: string;
  duration_ms: number | bigint;
  irreversible: number | bigint | boolean;
  error: string | null;
}

/**
 * Creates the ledger if it is missing. Through the schema builder, so every dialect gets its own DDL; the
 * registry calls it under the migration lock before anything else is written.
 */
export async function ensureLedgerTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(LEDGER_TABLE)
    .ifNotExists()
    .addColumn('namespace', 'varchar(64)', (c) => c.notNull())
    .addColumn('id', 'varchar(255)', (c) => c.notNull())
    .addColumn('checksum', 'varchar(64)', (c) => c.notNull())
    .addColumn('checksum_algorithm', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) =>
      c.notNull().check(sql`status in ('applied', 'running', 'failed')`),
    )
    .addColumn('applied_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('irreversible', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('kb_migrations_pk', ['namespace', 'id'])
    .execute();
}

/** Whether the ledger exists, without creating it: `status()` and `plan()` must not write. */
export async function ledgerExists(db: Kysely<any>): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name === LEDGER_TABLE && !t.isView);
}

export async function readLedger(db: Kysely<any>): Promise<LedgerRow[]> {
  if (!(await ledgerExists(db))) return [];
  const records = (await db
    .selectFrom(LEDGER_TABLE)
    .selectAll()
    .orderBy('namespace')
    .orderBy('applied_at')
    .orderBy('id')
    .execute()) as LedgerRecord[];
  return records.map((r) => ({
    namespace: r.namespace,
    id: r.id,
    checksum: r.checksum,
    checksumAlgorithm: r.checksum_algorithm,
    status: r.status as LedgerStatus,
    appliedAt: r.applied_at,
    durationMs: Number(r.duration_ms),
    irreversible: Boolean(Number(r.irreversible)),
    error: r.error,
  }));
}

export async function insertLedgerRow(db: Kysely<any>, row: LedgerRow): Promise<void> {
  await db
    .insertInto(LEDGER_TABLE)
    .values({
      namespace: row.namespace,
      id: row.id,
      checksum: row.checksum,
      checksum_algorithm: row.checksumAlgorithm,
      status: row.status,
      applied_at: row.appliedAt,
      duration_ms: Math.round(row.durationMs),
      irreversible: row.irreversible ? 1 : 0,
      error: row.error,
    })
    .execute();
}

export async function updateLedgerRow(
  db: Kysely<any>,
  namespace: string,
  id: string,
  patch: Partial<
    Pick<LedgerRow, 'status' | 'checksum' | 'checksumAlgorithm' | 'durationMs' | 'error' | 'appliedAt'>
  >,
): Promise<void> {
  const values: Record<string, unknown> = {};
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.checksum !== undefined) values.checksum = patch.checksum;
  if (patch.checksumAlgorithm !== undefined) values.checksum_algorithm = patch.checksumAlgorithm;
  if (patch.durationMs !== undefined) values.duration_ms = Math.round(patch.durationMs);
  if (patch.error !== undefined) values.error = patch.error;
  if (patch.appliedAt !== undefined) values.applied_at = patch.appliedAt;
  await db
    .updateTable(LEDGER_TABLE)
    .set(values)
    .where('namespace', '=', namespace)
    .where('id', '=', id)
    .execute();
}

export async function deleteLedgerRow(db: Kysely<any>, namespace: string, id: string): Promise<void> {
  await db.deleteFrom(LEDGER_TABLE).where('namespace', '=', namespace).where('id', '=', id).execute();
}

/**
 * Namespaces a rollback (`down`) holds where it left them: opening the store does not migrate them up again
 * until an explicit `up` does. Created by the first `down`; a store that never rolled back has no such table.
 */
export const HOLDS_TABLE = 'kb_migration_holds';

export interface MigrationHold {
  readonly namespace: string;
  /** The `down` target that left it there (`namespace:id`, or `namespace:` for all of it). */
  readonly to: string;
  /** ISO-8601 UTC. */
  readonly since: string;
}

export async function ensureHoldsTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable(HOLDS_TABLE)
    .ifNotExists()
    .addColumn('namespace', 'varchar(64)', (c) => c.notNull().primaryKey())
    .addColumn('held_to', 'varchar(320)', (c) => c.notNull())
    .addColumn('held_since', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function readHolds(db: Kysely<any>): Promise<MigrationHold[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === HOLDS_TABLE && !t.isView)) return [];
  const rows = (await db.selectFrom(HOLDS_TABLE).selectAll().orderBy('namespace').execute()) as {
    namespace: string;
    held_to: string;
    held_since: string;
  }[];
  return rows.map((r) => ({ namespace: r.namespace, to: r.held_to, since: r.held_since }));
}

/** Replaces the holds of `holds`' namespaces. */
export async function writeHolds(db: Kysely<any>, holds: readonly MigrationHold[]): Promise<void> {
  if (holds.length === 0) return;
  await db
    .deleteFrom(HOLDS_TABLE)
    .where(
      'namespace',
      'in',
      holds.map((h) => h.namespace),
    )
    .execute();
  await db
    .insertInto(HOLDS_TABLE)
    .values(holds.map((h) => ({ namespace: h.namespace, held_to: h.to, held_since: h.since })))
    .execute();
}

export async function releaseHolds(db: Kysely<any>, namespaces: readonly string[]): Promise<void> {
  if (namespaces.length === 0) return;
  await db.deleteFrom(HOLDS_TABLE).where('namespace', 'in', namespaces).execute();
}
