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
