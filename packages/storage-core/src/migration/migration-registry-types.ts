import type { Kysely, Transaction } from 'kysely';
import type { AuditRecord } from '../audit/audit-trail.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import type { StorageError } from '../errors/storage-error.js';
import type { DriftProblem } from './ledger-validation.js';
import type { RecordedStatement } from './recording-driver.js';

/** What the registry needs of a dialect adapter. */
export type MigrationAdapter = Pick<
  DialectAdapter,
  | 'name'
  | 'capabilities'
  | 'columnTypes'
  | 'appendOnlyGuard'
  | 'db'
  | 'writeTransaction'
  | 'readTransaction'
  | 'migrationTransaction'
  | 'acquireMigrationLock'
  | 'snapshot'
>;

export type MigrationDirection = 'up' | 'down';

export interface MigrationProgressEvent {
  readonly phase: 'snapshot' | 'migrate' | 'restore';
  readonly direction: MigrationDirection;
  readonly namespace?: string;
  readonly id?: string;
  /** 0-based position of the step in this run; for `restore`, how many steps had run. */
  readonly index: number;
  readonly total: number;
}

export interface MigrationRegistryOptions {
  /** Recorded in the lock row so a waiting process can say who holds it. */
  readonly owner?: string;
  /** How long `up`/`down`/`repair` wait for another process's migration lock. Default 30 s. */
  readonly lockTimeoutMs?: number;
  /** Called before each phase; a throwing callback is ignored. */
  readonly onProgress?: (event: MigrationProgressEvent) => void;
  /** Writes an audit row for each step a run applies or rolls back. */
  readonly audit?: MigrationAudit;
}

/**
 * How the registry records migrations in the audit trail: one row per step (`migrate-up` / `migrate-down`,
 * entity `migration`, id `namespace:id`), in the step's own transaction (on a database without
 * transactional DDL, in the transaction that records the step as done). A run writes rows only when every
 * migration in `requires` is applied both before and after it: the run that creates a new store (or the
 * tables audit rows need) cannot record itself, and a run that removes them has nowhere to.
 */
export interface MigrationAudit {
  /** `namespace:id` of the migrations the audit trail needs. */
  readonly requires: readonly string[];
  append(trx: Transaction<any>, record: AuditRecord): Promise<void>;
  /**
   * Throws when `append` would refuse the run's rows (a keyed chain, and no key in this process): called
   * before the first step, so a run that could not record itself changes nothing. Without transactional DDL
   * the step itself would otherwise be in the schema, unrecorded, its ledger row left `running`.
   */
  assertWritable?(db: Kysely<any>): Promise<void>;
}

/** `namespace:id`; for `down`, `namespace:` (empty id) rolls the whole namespace back. */
export type MigrationTarget = string;

export interface UpOptions {
  /** Stop after this migration (and what it depends on). Default: everything pending. */
  readonly to?: MigrationTarget;
  /**
   * Leave the namespaces a `down` holds where it left them (what opening a store does). Default `false`: an
   * explicit `up` migrates them and releases their holds.
   */
  readonly respectHolds?: boolean;
}

export interface DownOptions {
  /** Roll back everything applied after this migration, dependents first. */
  readonly to: MigrationTarget;
}

export interface PlanOptions {
  readonly direction?: MigrationDirection;
  /** As in `up` (optional) or `down` (required). */
  readonly to?: MigrationTarget;
}

/**
 * `applied`: an `up` step ran and its ledger row is committed. `reverted`: a `down` step ran and its ledger
 * row is removed. `rolled-back`: it had
 * applied, then a later step failed and the pre-migration snapshot was restored. `skipped`: not attempted
 * because an earlier step failed.
 */
export type MigrationStepStatus = 'applied' | 'reverted' | 'failed' | 'skipped' | 'rolled-back';

export interface MigrationStepResult {
  readonly namespace: string;
  readonly id: string;
  readonly direction: MigrationDirection;
  readonly status: MigrationStepStatus;
  readonly durationMs: number;
  readonly error?: StorageError;
}

export interface MigrationRunResult {
  readonly results: MigrationStepResult[];
  /** Set when the run refused to start or a step failed; `results` say how far it got. */
  readonly error?: StorageError;
  /** The pre-migration snapshot, when one was taken: discarded after success, restored after a failure, kept when restoring failed. */
  readonly snapshot?: { readonly location: string; readonly outcome: 'discarded' | 'restored' | 'kept' };
}

export interface AppliedMigration {
  readonly id: string;
  readonly checksum: string;
  readonly checksumAlgorithm: string;
  readonly appliedAt: string;
  readonly durationMs: number;
  readonly irreversible: boolean;
}

export interface PendingMigration {
  readonly id: string;
  readonly description?: string;
}

export interface NamespaceStatus {
  readonly namespace: string;
  readonly dependsOn: readonly string[];
  readonly applied: AppliedMigration[];
  readonly pending: PendingMigration[];
  /** Drift in this namespace; `up` refuses while any namespace has some. */
  readonly problems: DriftProblem[];
  /** Set when a `down` left the namespace where it is: opening the store leaves it there until `up`. */
  readonly held?: { readonly to: string; readonly since: string };
}

export interface DormantNamespace {
  readonly namespace: string;
  readonly applied: AppliedMigration[];
}

export interface MigrationStatus {
  /** Registered namespaces in run order. */
  readonly namespaces: NamespaceStatus[];
  /** Namespaces the database has but this process does not register; not an error. */
  readonly dormant: DormantNamespace[];
  /** Why `up` would refuse to run, over all namespaces; empty when the ledger agrees with the code. */
  readonly problems: DriftProblem[];
  readonly pendingCount: number;
}

export interface PlannedStep {
  readonly namespace: string;
  readonly id: string;
  readonly description?: string;
  readonly direction: MigrationDirection;
  /** The statements the step issues, as planned (reads answered with no rows). */
  readonly statements: readonly RecordedStatement[];
  /** Checksum of the `up` statements; what the ledger will record. */
  readonly checksum: string;
  readonly checksumAlgorithm: string;
  readonly irreversible: boolean;
}

export interface MigrationPlan {
  readonly direction: MigrationDirection;
  readonly steps: PlannedStep[];
  /** Drift that would make `up`/`down` refuse; the steps are what would run once it is repaired. */
  readonly problems: DriftProblem[];
}

export interface RepairOptions {
  /** Record the current checksum of applied migrations whose SQL changed. */
  readonly acceptChecksums?: true;
  /** Delete ledger rows of registered namespaces that the code does not declare. */
  readonly forgetUnknown?: true;
  /** Delete `running`/`failed` rows (after fixing the schema by hand), so the migration is pending again. */
  readonly clearFailed?: true;
}

export interface RepairChange {
  readonly action: 'checksum-accepted' | 'unknown-forgotten' | 'failed-cleared';
  readonly namespace: string;
  readonly id: string;
  readonly before?: string;
  readonly after?: string;
}

export interface RepairResult {
  readonly changes: RepairChange[];
  /** Problems repair was not asked to fix, or cannot fix (`missing` needs a code change). */
  readonly remaining: DriftProblem[];
}
