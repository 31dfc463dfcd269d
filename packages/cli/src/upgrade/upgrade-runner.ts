import type { MvpNumber, Storage } from '@mainframe-kb/storage-core';
import { CliError, ExitCode } from '../cli-error.js';
import type { ProgressBar } from '../progress-bar.js';
import { restoreConfig, writeConfig } from './config-file-writer.js';
import type { ExtensionPlan } from './extension-plan.js';
import { describeRollback, type RollbackMethod } from './rollback-plan.js';
import { benchmarkQueries, judgeSlowdown, type SearchTiming, timeSearches } from './search-benchmark.js';
import { captureState, checkRestored, foreignChanges, type StoreState } from './store-state.js';
import { validateStore } from './store-validation.js';
import { type BackupSettings, restoreBackup, type TakenBackup, takeBackup } from './upgrade-backup.js';
import {
  InjectedFailure,
  isIntegrityFailure,
  messageOf,
  UpgradeErrorCode,
  UpgradeFailure,
} from './upgrade-errors.js';

/** The migrations of one MVP, run as one step (`migrate-mvp3`). */
export interface MigrationPhase {
  readonly name: string;
  readonly mvp: MvpNumber;
  /** `namespace:id` of the last pending migration of each namespace: `migrateUp({ to })` for each. */
  readonly targets: readonly string[];
  /** Every migration the phase applies, in order. */
  readonly migrations: readonly string[];
}

export interface UpgradePlan {
  readonly from: MvpNumber;
  readonly to: MvpNumber;
  readonly phases: readonly MigrationPhase[];
  readonly extensions: ExtensionPlan;
  /** Null with `--no-backup`. */
  readonly backup: BackupSettings | null;
  readonly rollback: RollbackMethod;
  /**
   * What undoes the upgrade when the backup must not be restored (the store changed meanwhile): reverse
   * migrations where those are safe; null when there is nothing else.
   */
  readonly fallback: RollbackMethod | null;
  /** The store's SQLite file; null for a server store. */
  readonly sqliteFile: string | null;
  readonly maxSlowdown: number;
}

export interface UpgradeStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

export interface RollbackOutcome {
  readonly method: RollbackMethod['kind'];
  /** Undone and checked against the state before the upgrade. */
  readonly ok: boolean;
  /** Undone, but the check found the store not as it was (a verification failure). */
  readonly mismatch: boolean;
  readonly detail: string;
  readonly ms: number;
}

export interface UpgradeOutcome {
  readonly steps: readonly UpgradeStep[];
  readonly backup: string | null;
  readonly rollback: RollbackOutcome | null;
  /** Set when a step failed; the rollback (if any changes had begun) has run. */
  readonly failure?: UpgradeFailure;
}

/**
 * The stores an upgrade opens: `current` with the extensions the run enables today, `target` with those of
 * the upgraded config, `restore` with the backup extension only (what a rollback needs, and no more).
 */
export type StoreOpener = (
  which: 'current' | 'target' | 'restore',
  migrate: 'none' | 'verify',
) => Promise<Storage>;

export interface RunnerOptions {
  readonly open: StoreOpener;
  readonly progress: ProgressBar;
  /** Test hook: the step after whose work a failure is injected (`KB_UPGRADE_FAIL_AFTER`). */
  readonly failAfter?: string | undefined;
}

/** The names of a plan's steps, in the order they run. */
export function stepNames(plan: UpgradePlan): string[] {
  return [
    'backup',
    'validate-before',
    'baseline',
    ...plan.phases.map((p) => p.name),
    'validate-after',
    'performance',
    'enable-extensions',
  ];
}

/** The audit rows an upgrade writes itself: its backup and its migrations. */
const UPGRADE_ACTIONS = ['backup-create', 'migrate-up'];

/** Whether a migration step ran in its direction (`applied` up, `reverted` down). */
function ran(status: string): boolean {
  return status !== 'failed' && status !== 'skipped' && status !== 'rolled-back';
}

class StepError extends Error {
  constructor(
    readonly step: string,
    readonly error: unknown,
  ) {
    super(messageOf(error));
  }
}

/**
 * Runs an upgrade plan (Appendix B.1): backup, validate, baseline, migrate per MVP, validate, performance,
 * then the config that enables the new extensions. Until the first migration nothing in the store changes;
 * after it, a failing step rolls everything back (see RollbackMethod) and checks the store against the
 * state recorded before the backup.
 */
export class UpgradeRunner {
  readonly #steps: UpgradeStep[] = [];
  #held: { key: string; storage: Storage } | undefined;
  #backup: TakenBackup | null = null;
  #configWritten = false;

  constructor(
    private readonly plan: UpgradePlan,
    private readonly options: RunnerOptions,
  ) {}

  async run(): Promise<UpgradeOutcome> {
    let before: StoreState | undefined;
    let baseline: { queries: string[]; timing: SearchTiming } | undefined;
    try {
      await this.#step('backup', async () => {
        const store = await this.#store('current', 'none');
        // Read before the backup: the backup adds its own audit row after it took the image.
        before = await captureState(store);
        if (!this.plan.backup)
          return 'not taken (--no-backup): a failed step is undone by reverse migrations';
        this.#backup = await takeBackup(store, this.plan.backup);
        return this.#backup.detail;
      });
      await this.#step('validate-before', async () => validateStore(await this.#store('current', 'none')));
      await this.#step('baseline', async () => {
        const store = await this.#store('current', 'none');
        const queries = await benchmarkQueries(store);
        baseline = { queries, timing: await timeSearches(store, queries) };
        return `${queries.length} searches, ${baseline.timing.totalMs.toFixed(2)} ms (fastest of 5 runs each; reference work ${baseline.timing.referenceMs.toFixed(2)} ms)`;
      });
    } catch (error) {
      // Nothing was changed yet (a backup only adds to its repository): nothing to roll back.
      await this.#release().catch(() => undefined);
      return this.#failed(error, null);
    }
    try {
      for (const phase of this.plan.phases) {
        await this.#step(phase.name, async () => this.#migrate(await this.#store('target', 'none'), phase));
      }
      // Opened as the next kb command opens it: refused if anything were still pending.
      await this.#step('validate-after', async () =>
        validateStore(await this.#store('target', 'verify'), { before: before!.tables }),
      );
      await this.#step('performance', async () => {
        const store = await this.#store('target', 'verify');
        const judge = async () =>
          judgeSlowdown(
            baseline!.timing,
            await timeSearches(store, baseline!.queries),
            this.plan.maxSlowdown,
          );
        let verdict = await judge();
        // A busy machine can slow one measurement down: a slowdown must show in two more before it fails.
        for (let again = 0; again < 2 && !verdict.ok; again += 1) {
          const second = await judge();
          if (second.ratio < verdict.ratio) verdict = second;
        }
        if (!verdict.ok) throw new CliError(UpgradeErrorCode.TOO_SLOW, verdict.detail, ExitCode.FAILED);
        return verdict.detail;
      });
      await this.#step('enable-extensions', async () => {
        await this.#release();
        return this.#persist();
      });
    } catch (error) {
      const rollback = await this.#rollBack(before!);
      return this.#failed(error, rollback);
    }
    return { steps: this.#steps, backup: this.#backup?.id ?? null, rollback: null };
  }

  async #step(name: string, work: () => Promise<string>): Promise<void> {
    const start = performance.now();
    try {
      const detail = await work();
      if (this.options.failAfter === name) throw new InjectedFailure(name);
      this.#steps.push({ name, ok: true, detail, ms: performance.now() - start });
    } catch (error) {
      this.#steps.push({ name, ok: false, detail: messageOf(error), ms: performance.now() - start });
      throw new StepError(name, error);
    } finally {
      this.options.progress.tick();
    }
  }

  /** One open store at a time: the one asked for, opened once and reused until another is needed. */
  async #store(which: 'current' | 'target', migrate: 'none' | 'verify'): Promise<Storage> {
    const key = `${which}/${migrate}`;
    if (this.#held?.key === key) return this.#held.storage;
    await this.#release();
    const storage = await this.options.open(which, migrate);
    this.#held = { key, storage };
    return storage;
  }

  async #release(): Promise<void> {
    const held = this.#held;
    this.#held = undefined;
    await held?.storage.close();
  }

  async #migrate(storage: Storage, phase: MigrationPhase): Promise<string> {
    const applied: string[] = [];
    for (const to of phase.targets) {
      const result = await storage.migrateUp({ to });
      applied.push(...result.results.filter((r) => ran(r.status)).map((r) => `${r.namespace}:${r.id}`));
      if (result.error) throw result.error;
    }
    return applied.length > 0 ? `applied ${applied.join(', ')}` : 'nothing was pending';
  }

  async #persist(): Promise<string> {
    const { extensions, to } = this.plan;
    if (extensions.write) {
      await writeConfig(extensions.write);
      this.#configWritten = true;
      const verb = extensions.write.original === null ? 'created' : 'updated';
      return `${extensions.write.file} ${verb}: ${extensions.changes.join('; ')}`;
    }
    if (extensions.persistence === 'ledger') {
      return 'no config file: kb enables every installed extension, and the migration ledger records the level';
    }
    return `the config already enables MVP${to}`;
  }

  async #rollBack(before: StoreState): Promise<RollbackOutcome> {
    const start = performance.now();
    let method = this.plan.rollback;
    const notes: string[] = [];
    const done = (ok: boolean, mismatch: boolean): RollbackOutcome => ({
      method: method.kind,
      ok,
      mismatch,
      detail: notes.join('; '),
      ms: performance.now() - start,
    });
    try {
      await this.#release();
    } catch (error) {
      notes.push(`closing the upgraded store failed (${messageOf(error)})`);
    }
    try {
      const write = this.plan.extensions.write;
      if (this.#configWritten && write) notes.push(await restoreConfig(write));
      // Changes others made meanwhile are kept, whichever way the upgrade is undone.
      const foreign = await this.#withStore('current', (s) => foreignChanges(s, before, UPGRADE_ACTIONS));
      if (method.kind === 'restore-backup') {
        if (foreign.length > 0) {
          // Restoring would put back the store as it was before those changes: they would be lost.
          notes.push(
            `the backup was not restored, because the store changed during the upgrade (${foreign.join('; ')})`,
          );
          method = this.plan.fallback ?? { kind: 'none', reason: 'nothing else can undo the upgrade' };
        }
      }
      let recorded: string[];
      if (method.kind === 'restore-backup') {
        notes.push(await this.#restore());
        recorded = ['backup-restore'];
      } else if (method.kind === 'reverse-migrations') {
        notes.push(...(await this.#reverse(method.targets)));
        recorded = ['backup-create', 'migrate-up', 'migrate-down'];
      } else {
        throw new Error(describeRollback(method, this.plan.sqliteFile));
      }
      const check = await this.#withStore('current', (s) =>
        checkRestored(s, before, recorded, { keep: foreign }),
      );
      notes.push(check.ok ? check.detail : `but the store is not as it was: ${check.detail}`);
      return done(check.ok, !check.ok);
    } catch (error) {
      notes.push(`the rollback failed: ${messageOf(error)}`);
      return done(false, false);
    }
  }

  /** Opens a store for one piece of work and closes it after. */
  async #withStore<T>(
    which: 'current' | 'target' | 'restore',
    work: (storage: Storage) => Promise<T>,
  ): Promise<T> {
    const storage = await this.options.open(which, 'none');
    try {
      return await work(storage);
    } finally {
      await storage.close();
    }
  }

  async #restore(): Promise<string> {
    const { backup, sqliteFile } = this.plan;
    const taken = this.#backup;
    if (!taken || !backup || sqliteFile === null) throw new Error('there is no backup to restore');
    return this.#withStore('restore', (s) => restoreBackup(s, taken, backup, sqliteFile));
  }

  async #reverse(targets: readonly string[]): Promise<string[]> {
    return this.#withStore('target', async (store) => {
      const undone: string[] = [];
      for (const to of targets) {
        const result = await store.migrateDown({ to });
        undone.push(...result.results.filter((r) => ran(r.status)).map((r) => `${r.namespace}:${r.id}`));
        if (result.error) throw result.error;
      }
      const notes = [undone.length > 0 ? `rolled back ${undone.join(', ')}` : 'no migration to roll back'];
      const held = (await store.migrationStatus()).namespaces.filter((n) => (n as { held?: unknown }).held);
      if (held.length > 0) {
        notes.push(
          `kb migrate down holds ${held.map((n) => n.namespace).join(', ')} where it left them: opening the ` +
            'store does not migrate them again until kb migrate up (or kb upgrade) does',
        );
      }
      return notes;
    });
  }

  #failed(thrown: unknown, rollback: RollbackOutcome | null): UpgradeOutcome {
    const step = thrown instanceof StepError ? thrown.step : 'upgrade';
    const error = thrown instanceof StepError ? thrown.error : thrown;
    const backup = this.#backup;
    let outcome: string;
    if (rollback === null) outcome = 'nothing had been changed';
    else if (rollback.ok)
      outcome = `rolled back (${rollback.method}): the store is as it was before, checked`;
    else outcome = `and the rollback did not succeed (${rollback.detail})${this.#restoreHint()}`;
    const failure = new UpgradeFailure(
      step,
      `kb upgrade failed at ${step}: ${messageOf(error)}; ${outcome}`,
      {
        cause: error,
        // A validation that found damage, or a store that could not be shown to be as it was: exit 5.
        integrity: isIntegrityFailure(error) || rollback?.mismatch === true,
        changed: rollback !== null,
      },
    );
    return { steps: this.#steps, backup: backup?.id ?? null, rollback, failure };
  }

  /** How the operator puts the backup back by hand when the rollback could not. */
  #restoreHint(): string {
    const backup = this.#backup;
    if (!backup) return '';
    const to = this.plan.sqliteFile ? ` --to ${this.plan.sqliteFile}` : '';
    const dest = this.plan.backup?.call.destination;
    return `; backup ${backup.id} holds the store as it was: kb restore ${backup.id}${to} --overwrite${
      typeof dest === 'string' ? ` --dest ${dest}` : ''
    }`;
  }
}
