import type { Transaction } from 'kysely';
import type { DatabaseSnapshot, HeldLock } from '../dialect/dialect-adapter.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { translateDatabaseError } from '../errors/translate-error.js';
import { checkLedger, driftError, type LedgerCheck } from './ledger-validation.js';
import {
  type CapturedMigration,
  CHECKSUM_ALGORITHM,
  captureMigration,
  captureMigrationSql,
} from './migration-checksum.js';
import { auditForRun, refuseDataLoss } from './migration-guards.js';
import {
  deleteLedgerRow,
  ensureHoldsTable,
  ensureLedgerTable,
  insertLedgerRow,
  type LedgerRow,
  type MigrationHold,
  readHolds,
  readLedger,
  releaseHolds,
  updateLedgerRow,
  writeHolds,
} from './migration-ledger.js';
import {
  dependencyClosure,
  dependentClosure,
  flattenMigrations,
  migrationKey,
  type OrderedMigration,
  orderNamespaces,
} from './migration-order.js';
import type {
  AppliedMigration,
  DownOptions,
  MigrationAdapter,
  MigrationAudit,
  MigrationDirection,
  MigrationPlan,
  MigrationProgressEvent,
  MigrationRegistryOptions,
  MigrationRunResult,
  MigrationStatus,
  MigrationStepResult,
  PlannedStep,
  PlanOptions,
  RepairChange,
  RepairOptions,
  RepairResult,
  UpOptions,
} from './migration-registry-types.js';
import type { MigrationContext, MigrationNamespace } from './migration-types.js';
import type { RecordedStatement } from './recording-driver.js';

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
const DEFAULT_OWNER = 'migration-registry';

type StepPicker = (rows: readonly LedgerRow[], holds: readonly MigrationHold[]) => OrderedMigration[];

/** What a successful run changes in the holds: a `down` holds what it reverted, an explicit `up` releases. */
type HoldChange = (steps: readonly OrderedMigration[]) => { hold?: MigrationHold[]; release?: string[] };

/** A step that ran in its direction and committed: applied (up) or reverted (down). */
const ran = (r: MigrationStepResult) => r.status === 'applied' || r.status === 'reverted';

interface CheckedLedger extends LedgerCheck {
  readonly rows: readonly LedgerRow[];
  readonly holds: readonly MigrationHold[];
  /** Current checksum of each declared migration that has an applied row. */
  readonly checksums: ReadonlyMap<string, string>;
}

function toStorageError(error: unknown, operation: string): StorageError {
  return error instanceof StorageError ? error : translateDatabaseError(error, operation);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function appliedView(row: LedgerRow): AppliedMigration {
  return {
    id: row.id,
    checksum: row.checksum,
    checksumAlgorithm: row.checksumAlgorithm,
    appliedAt: row.appliedAt,
    durationMs: row.durationMs,
    irreversible: row.irreversible,
  };
}

/**
 * Applies the migrations of core and of every enabled plugin, one namespace per plugin, against one
 * ledger. `up` and `down` return a result per step instead of throwing halfway; `status`, `plan` and
 * `repair` throw a `StorageError` when they cannot answer.
 */
export class MigrationRegistry {
  readonly #adapter: MigrationAdapter;
  readonly #ordered: readonly MigrationNamespace[];
  readonly #declared: readonly OrderedMigration[];
  readonly #byKey: ReadonlyMap<string, OrderedMigration>;
  readonly #ctx: MigrationContext;
  readonly #owner: string;
  readonly #lockTimeoutMs: number;
  readonly #onProgress: ((event: MigrationProgressEvent) => void) | undefined;
  readonly #audit: MigrationAudit | undefined;
  readonly #captured = new Map<string, Promise<CapturedMigration>>();

  /** Throws MIGRATION_INVALID when the declarations are inconsistent (cycle, unknown or duplicate names). */
  constructor(
    adapter: MigrationAdapter,
    namespaces: readonly MigrationNamespace[],
    options: MigrationRegistryOptions = {},
  ) {
    this.#adapter = adapter;
    this.#ordered = orderNamespaces(namespaces);
    this.#declared = flattenMigrations(this.#ordered);
    this.#byKey = new Map(this.#declared.map((m) => [m.key, m]));
    this.#ctx = {
      dialect: adapter.name,
      capabilities: adapter.capabilities,
      types: adapter.columnTypes,
      appendOnly: adapter.appendOnlyGuard,
    };
    this.#owner = options.owner ?? DEFAULT_OWNER;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#onProgress = options.onProgress;
    this.#audit = options.audit;
  }

  /** Registered namespaces in run order. */
  get namespaces(): string[] {
    return this.#ordered.map((ns) => ns.namespace);
  }

  async status(): Promise<MigrationStatus> {
    const { rows, problems, dormant, holds } = await this.#check();
    const applied = new Map(
      rows.filter((r) => r.status === 'applied').map((r) => [migrationKey(r.namespace, r.id), r]),
    );
    const namespaces = this.#ordered.map((ns) => {
      const declared = this.#declared.filter((m) => m.namespace === ns.namespace);
      // In the order they are declared (which is the order they ran): migrations applied within one
      // millisecond tie on applied_at. Rows no longer declared follow, in ledger order.
      const position = new Map(declared.map((m, i) => [m.migration.id, i]));
      const ranked = rows
        .filter((r) => r.namespace === ns.namespace && r.status === 'applied')
        .map((r, i) => ({ r, at: position.get(r.id) ?? declared.length + i }))
        .sort((a, b) => a.at - b.at)
        .map(({ r }) => r);
      return {
        namespace: ns.namespace,
        dependsOn: [...ns.dependsOn],
        applied: ranked.map(appliedView),
        pending: declared
          .filter((m) => !applied.has(m.key))
          .map((m) =>
            m.migration.description === undefined
              ? { id: m.migration.id }
              : { id: m.migration.id, description: m.migration.description },
          ),
        problems: problems.filter((p) => p.namespace === ns.namespace),
        ...heldView(holds, ns.namespace),
      };
    });
    return {
      namespaces,
      dormant: dormant.map((namespace) => ({
        namespace,
        applied: rows.filter((r) => r.namespace === namespace).map(appliedView),
      })),
      problems,
      pendingCount: namespaces.reduce((n, ns) => n + ns.pending.length, 0),
    };
  }

  /** The namespaces a `down` holds where it left them (see `UpOptions.respectHolds`). */
  async holds(): Promise<MigrationHold[]> {
    return (await this.#check()).holds.slice();
  }

  /** The held namespaces and every registered namespace that depends on one: what opening leaves alone. */
  heldClosure(holds: readonly MigrationHold[]): string[] {
    const out = new Set<string>();
    for (const { namespace } of holds) {
      if (!this.namespaces.includes(namespace)) continue;
      for (const ns of dependentClosure(this.#ordered, namespace)) out.add(ns);
    }
    return [...out];
  }

  /** What `up` (or `down`) would run, with the SQL of each step. Writes nothing, takes no lock. */
  async plan(options: PlanOptions = {}): Promise<MigrationPlan> {
    const direction = options.direction ?? 'up';
    if (direction === 'down' && options.to === undefined) {
      throw new StorageError(
        StorageErrorCode.VALIDATION,
        "plan({ direction: 'down' }) needs `to`: 'namespace:id'",
      );
    }
    const pick = direction === 'up' ? this.#upSteps(options.to) : this.#downSteps(options.to ?? '');
    const { rows, problems, holds } = await this.#check();
    const picked = pick(rows, holds);
    const steps: PlannedStep[] = [];
    for (const step of picked) {
      const { checksum, statements: upStatements } = await this.#capture(step);
      const { migration } = step;
      const reversible = migration.down !== undefined && migration.irreversible === undefined;
      const statements =
        direction === 'up'
          ? upStatements
          : reversible
            ? await captureMigrationSql(this.#adapter.db, migration, this.#ctx, step.key, 'down')
            : [];
      steps.push({
        namespace: step.namespace,
        id: migration.id,
        ...(migration.description === undefined ? {} : { description: migration.description }),
        direction,
        statements,
        checksum,
        checksumAlgorithm: CHECKSUM_ALGORITHM,
        irreversible: !reversible,
      });
    }
    return { direction, steps, problems };
  }

  /**
   * The statements every `up` of a namespace issues, in order, captured without running them: what the
   * namespace's migrations build, for checking a plugin's table declaration against them.
   */
  async statementsOf(namespace: string): Promise<RecordedStatement[]> {
    const statements: RecordedStatement[] = [];
    for (const step of this.#declared.filter((m) => m.namespace === namespace)) {
      statements.push(...(await this.#capture(step)).statements);
    }
    return statements;
  }

  /** Applies pending migrations in order, each in one transaction with its ledger row. Never throws. */
  up(options: UpOptions = {}): Promise<MigrationRunResult> {
    try {
      const pick = this.#upSteps(options.to);
      if (options.respectHolds) {
        return this.#run('up', (rows, holds) => {
          const held = new Set(this.heldClosure(holds));
          return pick(rows, holds).filter((m) => !held.has(m.namespace));
        });
      }
      // An explicit up releases the holds of the namespaces it brings up to date.
      const scope = options.to === undefined ? undefined : this.#upScope(options.to);
      return this.#run('up', pick, () => ({
        release: this.namespaces.filter((ns) => scope === undefined || scope.has(ns)),
      }));
    } catch (error) {
      return Promise.resolve({ results: [], error: toStorageError(error, 'migrating up') });
    }
  }

  /**
   * Rolls back what was applied after `to` (`namespace:id`; `namespace:` for the whole namespace) and in
   * namespaces depending on it, dependents first. Refuses before changing anything when a step on the way
   * is irreversible. Never throws.
   */
  down(options: DownOptions): Promise<MigrationRunResult> {
    try {
      const since = new Date().toISOString();
      return this.#run('down', this.#downSteps(options.to), (steps) => ({
        hold: [...new Set(steps.map((s) => s.namespace))].map((namespace) => ({
          namespace,
          to: options.to,
          since,
        })),
      }));
    } catch (error) {
      return Promise.resolve({ results: [], error: toStorageError(error, 'migrating down') });
    }
  }

  /** Realigns the ledger with the code where explicitly asked, in one transaction; returns what changed. */
  async repair(options: RepairOptions): Promise<RepairResult> {
    if (!options.acceptChecksums && !options.forgetUnknown && !options.clearFailed) {
      throw new StorageError(
        StorageErrorCode.VALIDATION,
        'repair() changes nothing unless told what: { acceptChecksums: true }, { forgetUnknown: true } and/or { clearFailed: true }',
      );
    }
    const lock = await this.#adapter.acquireMigrationLock(this.#owner, this.#lockTimeoutMs);
    let outcome: RepairResult;
    try {
      const { problems, checksums } = await this.#check();
      const changes: RepairChange[] = [];
      for (const p of problems) {
        if (p.kind === 'checksum' && options.acceptChecksums) {
          changes.push({
            action: 'checksum-accepted',
            namespace: p.namespace,
            id: p.id,
            before: p.recorded,
            after: p.current,
          });
        } else if (p.kind === 'unknown' && options.forgetUnknown) {
          changes.push({ action: 'unknown-forgotten', namespace: p.namespace, id: p.id });
        } else if (p.kind === 'incomplete' && options.clearFailed) {
          changes.push({ action: 'failed-cleared', namespace: p.namespace, id: p.id });
        }
      }
      if (changes.length > 0) {
        await this.#adapter.writeTransaction(async (trx) => {
          for (const change of changes) {
            if (change.action === 'checksum-accepted') {
              const checksum = checksums.get(migrationKey(change.namespace, change.id));
              if (checksum === undefined) continue;
              await updateLedgerRow(trx, change.namespace, change.id, {
                checksum,
                checksumAlgorithm: CHECKSUM_ALGORITHM,
              });
            } else {
              await deleteLedgerRow(trx, change.namespace, change.id);
            }
          }
        });
      }
      const after = await this.#check();
      outcome = { changes, remaining: after.problems };
    } finally {
      await lock.release();
    }
    return outcome;
  }

  /** The namespaces an `up --to` brings up to date: the target's and those it depends on. */
  #upScope(to: string): ReadonlySet<string> {
    return dependencyClosure(this.#ordered, this.#target(to, false).namespace);
  }

  #upSteps(to: string | undefined): StepPicker {
    let inScope: (m: OrderedMigration) => boolean = () => true;
    if (to !== undefined) {
      const target = this.#target(to, false);
      const lastIndex = target.migration?.index ?? -1;
      const closure = dependencyClosure(this.#ordered, target.namespace);
      inScope = (m) => closure.has(m.namespace) && (m.namespace !== target.namespace || m.index <= lastIndex);
    }
    return (rows) => {
      const recorded = new Set(rows.map((r) => migrationKey(r.namespace, r.id)));
      return this.#declared.filter((m) => inScope(m) && !recorded.has(m.key));
    };
  }

  #downSteps(to: string): StepPicker {
    const target = this.#target(to, true);
    const keepThrough = target.migration?.index ?? -1;
    const dependents = dependentClosure(this.#ordered, target.namespace);
    return (rows) => {
      const applied = new Set(
        rows.filter((r) => r.status === 'applied').map((r) => migrationKey(r.namespace, r.id)),
      );
      return this.#declared
        .filter(
          (m) =>
            dependents.has(m.namespace) &&
            (m.namespace !== target.namespace || m.index > keepThrough) &&
            applied.has(m.key),
        )
        .reverse();
    };
  }

  #target(to: string, allowWholeNamespace: boolean): { namespace: string; migration?: OrderedMigration } {
    const colon = typeof to === 'string' ? to.indexOf(':') : -1;
    const namespace = colon < 0 ? '' : to.slice(0, colon);
    const id = colon < 0 ? '' : to.slice(colon + 1);
    const registered = this.namespaces;
    if (colon < 0 || !registered.includes(namespace)) {
      throw new StorageError(
        StorageErrorCode.VALIDATION,
        `migration target '${String(to)}' must be 'namespace:id' with a registered namespace (${registered.join(', ')})`,
        { details: { to } },
      );
    }
    if (id === '' && allowWholeNamespace) return { namespace };
    const migration = this.#byKey.get(migrationKey(namespace, id));
    if (!migration) {
      const ids = this.#declared.filter((m) => m.namespace === namespace).map((m) => m.migration.id);
      throw new StorageError(
        StorageErrorCode.VALIDATION,
        `migration '${to}' is not declared; namespace '${namespace}' declares: ${ids.join(', ') || '(none)'}`,
        { details: { to } },
      );
    }
    return { namespace, migration };
  }

  #capture(step: OrderedMigration): Promise<CapturedMigration> {
    let captured = this.#captured.get(step.key);
    if (!captured) {
      captured = captureMigration(this.#adapter.db, step.migration, this.#ctx, step.key);
      this.#captured.set(step.key, captured);
    }
    return captured;
  }

  async #check(): Promise<CheckedLedger> {
    const [rows, holds] = await this.#adapter.readTransaction(
      async (trx) => [await readLedger(trx), await readHolds(trx)] as const,
    );
    const checksums = new Map<string, string>();
    for (const row of rows) {
      const step = this.#byKey.get(migrationKey(row.namespace, row.id));
      if (step && row.status === 'applied') checksums.set(step.key, (await this.#capture(step)).checksum);
    }
    return { rows, holds, checksums, ...checkLedger(this.#declared, rows, checksums) };
  }

  #refuseIrreversible(direction: MigrationDirection, steps: readonly OrderedMigration[]): void {
    if (direction !== 'down') return;
    const blocked = steps.filter(
      (s) => s.migration.irreversible !== undefined || s.migration.down === undefined,
    );
    if (blocked.length === 0) return;
    const reasons = blocked.map((s) => `${s.key} (${s.migration.irreversible ?? 'it has no down()'})`);
    throw new StorageError(
      StorageErrorCode.MIGRATION_IRREVERSIBLE,
      `cannot roll back: ${reasons.join('; ')}. Nothing was changed; restore a backup taken before these migrations instead`,
      { details: { migrations: blocked.map((s) => s.key) } },
    );
  }

  #progress(event: MigrationProgressEvent): void {
    try {
      this.#onProgress?.(event);
    } catch {
      // A progress display must not decide what gets migrated.
    }
  }

  async #run(
    direction: MigrationDirection,
    pick: StepPicker,
    holdChange?: HoldChange,
  ): Promise<MigrationRunResult> {
    try {
      // Look before locking: an up-to-date store (every open) then costs no write and opens read-only too.
      const { rows, problems, holds } = await this.#check();
      if (problems.length > 0) return { results: [], error: driftError(problems) };
      const steps = pick(rows, holds);
      const releasing = holdChange?.(steps).release?.some((ns) => holds.some((h) => h.namespace === ns));
      if (steps.length === 0 && !releasing) return { results: [] };
      this.#refuseIrreversible(direction, steps);
      await refuseDataLoss(this.#adapter.db, direction, steps);
    } catch (error) {
      return { results: [], error: toStorageError(error, `migrating ${direction}`) };
    }

    let lock: HeldLock;
    try {
      lock = await this.#adapter.acquireMigrationLock(this.#owner, this.#lockTimeoutMs);
    } catch (error) {
      return { results: [], error: toStorageError(error, 'taking the migration lock') };
    }
    let outcome: MigrationRunResult;
    try {
      outcome = await this.#runLocked(direction, pick, holdChange);
    } catch (error) {
      outcome = { results: [], error: toStorageError(error, `migrating ${direction}`) };
    }
    try {
      await lock.release();
    } catch (error) {
      if (!outcome.error)
        outcome = { ...outcome, error: toStorageError(error, 'releasing the migration lock') };
    }
    return outcome;
  }

  async #runLocked(
    direction: MigrationDirection,
    pick: StepPicker,
    holdChange: HoldChange | undefined,
  ): Promise<MigrationRunResult> {
    await ensureLedgerTable(this.#adapter.db);
    // Re-read under the lock: another process may have migrated while this one waited.
    const { rows, problems, holds } = await this.#check();
    if (problems.length > 0) return { results: [], error: driftError(problems) };
    const steps = pick(rows, holds);
    const change = holdChange?.(steps);
    if (steps.length === 0) {
      await this.#changeHolds({ ...change, release: await this.#upToDate(change?.release) }, holds);
      return { results: [] };
    }
    this.#refuseIrreversible(direction, steps);
    await refuseDataLoss(this.#adapter.db, direction, steps);
    const audit = auditForRun(this.#audit, rows, direction, steps);
    await audit?.assertWritable?.(this.#adapter.db);
    // Every checksum is known before the first write, so an unplannable migration stops the run up front.
    const captured = await Promise.all(steps.map((s) => this.#capture(s)));

    const total = steps.length;
    let snapshot: DatabaseSnapshot | undefined;
    if (this.#adapter.capabilities.migrationSnapshot) {
      this.#progress({ phase: 'snapshot', direction, index: 0, total });
      snapshot = await this.#adapter.snapshot();
    }
    // A rollback is held before its first step (after the snapshot, which a failure restores): a crash or a
    // failure half-way never lets the next open migrate the reverted steps up again. Undone below if the
    // run reverted nothing in the end.
    if (change?.hold) await this.#changeHolds({ hold: change.hold }, holds);

    const results: MigrationStepResult[] = [];
    let failure: StorageError | undefined;
    for (const [index, step] of steps.entries()) {
      const base = { namespace: step.namespace, id: step.migration.id, direction };
      if (failure) {
        results.push({ ...base, status: 'skipped', durationMs: 0 });
        continue;
      }
      this.#progress({
        phase: 'migrate',
        direction,
        namespace: step.namespace,
        id: step.migration.id,
        index,
        total,
      });
      const started = performance.now();
      try {
        await this.#applyStep(step, direction, captured[index]?.checksum ?? '', audit);
        const status = direction === 'up' ? 'applied' : 'reverted';
        results.push({ ...base, status, durationMs: performance.now() - started });
      } catch (error) {
        failure = this.#stepError(step, direction, error);
        results.push({ ...base, status: 'failed', durationMs: performance.now() - started, error: failure });
      }
    }
    const outcome = await this.#finish(direction, results, failure, snapshot);
    // Still under the lock. An up releases the holds of the namespaces it brought fully up to date; a down
    // that reverted nothing in the end (its snapshot restored, its first step failed) puts the holds back.
    if (direction === 'up' && !outcome.error) {
      await this.#changeHolds({ release: await this.#upToDate(change?.release) }, holds);
    } else if (
      direction === 'down' &&
      change?.hold &&
      !outcome.results.some((r) => r.status === 'reverted')
    ) {
      await this.#restoreHolds(
        change.hold.map((h) => h.namespace),
        holds,
      );
    }
    return outcome;
  }

  /** Those of `namespaces` with nothing pending now. */
  async #upToDate(namespaces: readonly string[] | undefined): Promise<string[]> {
    if (!namespaces || namespaces.length === 0) return [];
    const { rows } = await this.#check();
    const applied = new Set(
      rows.filter((r) => r.status === 'applied').map((r) => migrationKey(r.namespace, r.id)),
    );
    const pending = new Set(this.#declared.filter((m) => !applied.has(m.key)).map((m) => m.namespace));
    return namespaces.filter((ns) => !pending.has(ns));
  }

  /** Puts the holds of `namespaces` back as they were in `before` (a snapshot restore may have done so). */
  async #restoreHolds(namespaces: readonly string[], before: readonly MigrationHold[]): Promise<void> {
    const now = new Set((await this.#check()).holds.map((h) => h.namespace));
    const previous = before.filter((h) => namespaces.includes(h.namespace));
    const added = namespaces.filter((ns) => now.has(ns) && !previous.some((h) => h.namespace === ns));
    await this.#changeHolds({ hold: previous, release: added }, (await this.#check()).holds);
  }

  async #changeHolds(
    change: { hold?: MigrationHold[]; release?: string[] } | undefined,
    current: readonly MigrationHold[],
  ): Promise<void> {
    const release = (change?.release ?? []).filter((ns) => current.some((h) => h.namespace === ns));
    const hold = change?.hold ?? [];
    if (hold.length === 0 && release.length === 0) return;
    if (hold.length > 0) await ensureHoldsTable(this.#adapter.db);
    await this.#adapter.writeTransaction(async (trx) => {
      await writeHolds(trx, hold);
      await releaseHolds(trx, release);
    });
  }

  async #finish(
    direction: MigrationDirection,
    results: MigrationStepResult[],
    failure: StorageError | undefined,
    snapshot: DatabaseSnapshot | undefined,
  ): Promise<MigrationRunResult> {
    const discard = async () => {
      try {
        await snapshot?.discard();
      } catch {
        // A snapshot left behind is swept by the next snapshot; it must not turn a good run into an error.
      }
    };
    const appliedCount = results.filter(ran).length;
    if (!failure) {
      await discard();
      return snapshot
        ? { results, snapshot: { location: snapshot.location, outcome: 'discarded' } }
        : { results };
    }
    const failed = failure;
    const runError = (how: string, final = results) =>
      new StorageError(StorageErrorCode.MIGRATION_FAILED, `${failed.message}. ${how}`, {
        cause: failed.cause ?? failed,
        details: { ...failed.details, results: final.map((r) => `${r.namespace}:${r.id} ${r.status}`) },
      });
    if (appliedCount === 0 && this.#adapter.capabilities.transactionalDdl) {
      await discard();
      return {
        results,
        error: runError(
          'Its transaction rolled back and no earlier step of this run had applied: the store is as it was',
        ),
        ...(snapshot ? { snapshot: { location: snapshot.location, outcome: 'discarded' as const } } : {}),
      };
    }
    if (!snapshot) {
      const how = [
        ...(appliedCount > 0
          ? [`The ${appliedCount} earlier step(s) of this run stay applied (this database takes no snapshot)`]
          : []),
        this.#adapter.capabilities.transactionalDdl
          ? 'the failed step rolled back'
          : "the failed step may have left part of its changes (this database cannot roll DDL back), and its ledger row says so ('failed', or 'running' when even that could not be written) until repair({ clearFailed: true })",
        'fix the migration and run it again',
      ];
      return { results, error: runError(how.join('; ')) };
    }
    const attempted = results.filter((r) => r.status !== 'skipped').length;
    this.#progress({ phase: 'restore', direction, index: attempted, total: results.length });
    try {
      await snapshot.restore();
    } catch (restoreError) {
      return {
        results,
        error: new StorageError(
          StorageErrorCode.MIGRATION_FAILED,
          `${failure.message}. Restoring the pre-migration snapshot failed too (${errorText(restoreError)}): ` +
            `the ${appliedCount} earlier step(s) stay applied; the snapshot is kept at ${snapshot.location} to restore by hand`,
          {
            cause: failure.cause ?? failure,
            details: { ...failure.details, restoreError: errorText(restoreError) },
          },
        ),
        snapshot: { location: snapshot.location, outcome: 'kept' },
      };
    }
    await discard();
    const rolledBack = results.map(
      (r): MigrationStepResult => (ran(r) ? { ...r, status: 'rolled-back' } : r),
    );
    return {
      results: rolledBack,
      error: runError(
        'The store was restored from the pre-migration snapshot: every step of this run is undone',
        rolledBack,
      ),
      snapshot: { location: snapshot.location, outcome: 'restored' },
    };
  }

  async #applyStep(
    step: OrderedMigration,
    direction: MigrationDirection,
    checksum: string,
    audit: MigrationAudit | undefined,
  ): Promise<void> {
    const adapter = this.#adapter;
    // Written by the registry around the step, never by up()/down(): their SQL is what the checksum covers.
    const record = async (trx: Transaction<any>) =>
      audit?.append(trx, {
        action: `migrate-${direction}`,
        entity: 'migration',
        entityId: step.key,
        detail: { checksum, checksumAlgorithm: CHECKSUM_ALGORITHM },
      });
    const { namespace, migration } = step;
    const row = (status: LedgerRow['status'], durationMs: number): LedgerRow => ({
      namespace,
      id: migration.id,
      checksum,
      checksumAlgorithm: CHECKSUM_ALGORITHM,
      status,
      appliedAt: new Date().toISOString(),
      durationMs,
      irreversible: migration.irreversible !== undefined,
      error: null,
    });
    const run = async (trx: Transaction<any>) => {
      if (direction === 'up') await migration.up(trx, this.#ctx);
      else if (migration.down) await migration.down(trx, this.#ctx);
    };

    if (adapter.capabilities.transactionalDdl) {
      await adapter.migrationTransaction(async (trx) => {
        const started = performance.now();
        await run(trx);
        if (direction === 'up') await insertLedgerRow(trx, row('applied', performance.now() - started));
        else await deleteLedgerRow(trx, namespace, migration.id);
        await record(trx);
      });
      return;
    }

    // Without transactional DDL a crash can leave half a migration behind; the `running` row written first
    // makes the next open refuse until someone has looked (repair({ clearFailed })).
    if (direction === 'up') await adapter.writeTransaction((trx) => insertLedgerRow(trx, row('running', 0)));
    else {
      await adapter.writeTransaction((trx) =>
        updateLedgerRow(trx, namespace, migration.id, { status: 'running', error: 'rolling back' }),
      );
    }
    const started = performance.now();
    try {
      await adapter.migrationTransaction(run);
    } catch (error) {
      try {
        await adapter.writeTransaction((trx) =>
          updateLedgerRow(trx, namespace, migration.id, {
            status: 'failed',
            error: errorText(error).slice(0, 2000),
          }),
        );
      } catch {
        // The `running` row already tells the next open that this step did not finish.
      }
      throw error;
    }
    const durationMs = performance.now() - started;
    await adapter.writeTransaction(async (trx) => {
      if (direction === 'up') {
        await updateLedgerRow(trx, namespace, migration.id, {
          status: 'applied',
          durationMs,
          appliedAt: new Date().toISOString(),
        });
      } else {
        await deleteLedgerRow(trx, namespace, migration.id);
      }
      await record(trx);
    });
  }

  #stepError(step: OrderedMigration, direction: MigrationDirection, error: unknown): StorageError {
    const cause = toStorageError(error, `migration ${step.key}`);
    const what = direction === 'up' ? 'migration' : 'rolling back migration';
    return new StorageError(
      StorageErrorCode.MIGRATION_FAILED,
      `${what} ${step.key} failed: ${errorText(error)}`,
      {
        cause: error,
        details: { namespace: step.namespace, id: step.migration.id, direction, causeCode: cause.code },
      },
    );
  }
}

function heldView(
  holds: readonly MigrationHold[],
  namespace: string,
): { held?: { to: string; since: string } } {
  const hold = holds.find((h) => h.namespace === namespace);
  return hold ? { held: { to: hold.to, since: hold.since } } : {};
}
