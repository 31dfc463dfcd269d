import { resolve } from 'node:path';
import {
  type AuditRecord,
  type HealthProbe,
  isStorageError,
  type PluginContext,
  type Role,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import type { Destination } from '../destination/destination.js';
import { LocalDestination } from '../destination/local-destination.js';
import {
  BackupManager,
  type BackupRunResult,
  type PruneResult,
  type RestoreResult,
} from '../engine/backup-manager.js';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { BACKUP_TYPES, type BackupType } from '../manifest/backup-metadata.js';
import { requireManifest } from '../manifest/manifest-store.js';
import { BackupScheduler, sleepUnlessAborted } from '../scheduler/backup-scheduler.js';
import { BackupVerifier, type VerificationReport } from '../verify/backup-verifier.js';
import type {
  BackupApi,
  BackupCallOptions,
  BackupCreateOptions,
  BackupHoldOptions,
  BackupList,
  BackupRestoreOptions,
  BackupVerifyOptions,
  HoldResult,
  ReleaseResult,
  ScheduleEvent,
  ScheduleServeOptions,
  ScheduleServeSummary,
  ScheduleStatus,
} from './backup-api.js';
import type { BackupPluginOptions } from './backup-options.js';
import { checkPolicySchedule, configuredSchedule, scheduleOf } from './backup-schedule.js';

/** The plugin's database interface: it owns no table. */
export type BackupDatabase = Record<string, never>;

export type BackupContext = PluginContext<BackupDatabase, BackupPluginOptions>;

/**
 * The least role of each backup operation. Everything that writes to a repository or the store, or decrypts
 * a backup, needs admin. Listing needs viewer: it reads the clear metadata any holder of the repository folder
 * can read without the key (ids, times, sizes, entry counts), no more than the `backup-age` health probe,
 * which viewers see, already tells.
 */
export const BACKUP_PERMISSIONS = {
  'backup.create': 'admin',
  'backup.restore': 'admin',
  'backup.verify': 'admin',
  'backup.prune': 'admin',
  'backup.hold': 'admin',
  'backup.passphrase': 'admin',
  'backup.list': 'viewer',
} as const satisfies Record<string, Role>;

type Trigger = 'manual' | 'schedule';

/** What one scheduled run did: the backup, its test restore (when one ran) and the prune after it. */
interface ScheduledOutcome {
  readonly result: BackupRunResult;
  /** Whether every destination's test restore passed; undefined when none ran. */
  readonly verified: boolean | undefined;
  readonly pruned: readonly PruneResult[] | undefined;
  /** The prune after a good backup failed: reported with the backup, which stands. */
  readonly pruneError: unknown;
}

/** Longest reason a legal hold records. */
const MAX_HOLD_REASON = 1_000;

function invalid(message: string): BackupError {
  return new BackupError(StorageErrorCode.VALIDATION, BackupFailure.UNSUPPORTED, message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Splits a call's options into its own and the repository choice. */
function split<T extends BackupCallOptions>(
  options: T,
): [Omit<T, keyof BackupCallOptions>, BackupCallOptions] {
  const { destination, passphrase, ...rest } = options;
  if (destination !== undefined) {
    const index = typeof destination === 'number' && Number.isInteger(destination) && destination >= 0;
    if (!index && !(typeof destination === 'string' && destination.trim() !== '')) {
      throw invalid('destination must be a folder path, or the index or name of a configured destination');
    }
  }
  if (passphrase !== undefined && typeof passphrase !== 'string')
    throw invalid('passphrase must be a string');
  return [
    rest,
    {
      ...(destination !== undefined ? { destination } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
    },
  ];
}

/**
 * The backup operations of one store, for one actor: each checks the actor's role through the context before
 * any work, builds its manager on the call's repository, and records what it changed in the audit trail.
 * Holds the context privately: the API it hands out is functions only.
 */
export class BackupService {
  readonly #ctx: BackupContext;
  readonly #scheduler: BackupScheduler | undefined;
  #lastSuccess: Date | undefined;
  /** Set when the plugin stops: a verification cut short by the shutdown is not a failed one. */
  #stopping = false;
  /** Set while `serveSchedule` runs: one foreground schedule per process. */
  #serving = false;
  readonly #counters = {
    created: 0,
    failed: 0,
    lastDurationMs: 0,
    lastStoredBytes: 0,
    verified: 0,
    verifyFailed: 0,
  };

  constructor(ctx: BackupContext) {
    this.#ctx = ctx;
    checkPolicySchedule(ctx.config, ctx.options.timezone);
    const tiers = scheduleOf(ctx.config);
    this.#scheduler =
      (ctx.options.schedule ?? ctx.config.backup.enabled) && tiers.length > 0
        ? new BackupScheduler({
            tiers,
            timezone: ctx.options.timezone,
            run: async (type) => {
              const { pruneError } = await this.#scheduledRun(type, {}, () => this.#stopping);
              if (pruneError !== undefined) throw pruneError;
            },
            // A run refused before it started (the holder's role) has no backup:failed: say so here.
            onError: (type, error) =>
              ctx.emit('storage:error', {
                operation: `backup.schedule ${type}`,
                code: isStorageError(error) ? error.code : 'BACKUP',
                message: messageOf(error),
              }),
          })
        : undefined;
  }

  start(): void {
    this.#scheduler?.start();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#scheduler?.stop();
  }

  /** The API `storage.plugin(backupPlugin)` returns: functions over this service, nothing else. */
  api(): BackupApi {
    return {
      create: (options = {}) => this.create(options, 'manual'),
      list: (options = {}) => this.list(options),
      verify: (id, options = {}) => this.verify(id, options),
      prune: (options = {}) => this.prune(options),
      restore: (id, options = {}) => this.restore(id, options),
      hold: (id, options = {}) => this.hold(id, options),
      release: (id, options = {}) => this.release(id, options),
      changePassphrase: (newPassphrase, options = {}) => this.changePassphrase(newPassphrase, options),
      schedule: () => this.schedule(),
      runSchedule: (at) => this.runSchedule(at),
      serveSchedule: (options) => this.serveSchedule(options),
      lastSuccess: () => this.lastSuccess(),
    };
  }

  /**
   * A manager on the call's repository (or the configured ones) and passphrase. Only ever built after the
   * role check, and never handed out.
   */
  #manager(call: BackupCallOptions = {}): BackupManager {
    const { scratchDir, contentCheck } = this.#ctx.options;
    return new BackupManager(this.#ctx, {
      ...(scratchDir ? { scratchDir } : {}),
      ...(contentCheck ? { contentCheck } : {}),
      ...(call.destination !== undefined ? { destinations: [this.#destination(call.destination)] } : {}),
      ...(call.passphrase !== undefined ? { passphrase: call.passphrase } : {}),
    });
  }

  #destination(which: string | number): Destination {
    const configured = this.#ctx.config.backup.destinations.map((d) => new LocalDestination(d.path));
    if (typeof which === 'number') {
      const found = configured[which];
      if (!found) {
        throw new BackupError(
          StorageErrorCode.NOT_FOUND,
          BackupFailure.UNSUPPORTED,
          `no destination ${which}: ${configured.length} are configured`,
        );
      }
      return found;
    }
    const folder = which.startsWith('local:') ? which.slice('local:'.length) : which;
    return configured.find((d) => d.name === `local:${resolve(folder)}`) ?? new LocalDestination(folder);
  }

  async #audit(operation: string, record: AuditRecord): Promise<void> {
    await this.#ctx.write(operation, async (scope) => {
      scope.audit(record);
    });
  }

  // ─── Operations ─────────────────────────────────────────────────────────────────────────────────

  async create(options: BackupCreateOptions, trigger: Trigger): Promise<BackupRunResult> {
    this.#ctx.authorize('backup.create');
    const [request, call] = split(options);
    const type = request.type ?? 'full';
    if (!BACKUP_TYPES.includes(type)) throw invalid(`type must be ${BACKUP_TYPES.join(', ')}, not '${type}'`);
    if (request.kind !== undefined && request.kind !== 'physical' && request.kind !== 'logical')
      throw invalid(`kind must be physical or logical, not '${String(request.kind)}'`);
    const manager = this.#manager(call);
    this.#ctx.emit('backup:started', { type, trigger });
    let result: BackupRunResult;
    try {
      result = await this.#ctx.read('backup.create', () => manager.create(request));
    } catch (error) {
      this.#counters.failed += 1;
      this.#ctx.emit('backup:failed', { type, message: messageOf(error), trigger });
      throw error;
    }
    const stored = result.destinations.reduce((sum, d) => sum + (d.metadata?.compressedSize ?? 0), 0);
    this.#counters.lastDurationMs = result.durationMs;
    if (result.ok) {
      this.#counters.created += 1;
      this.#counters.lastStoredBytes = stored;
      this.#lastSuccess = new Date();
      this.#ctx.emit('backup:completed', {
        id: result.id,
        type: result.type,
        durationMs: result.durationMs,
        storedBytes: stored,
        trigger,
      });
    } else {
      this.#counters.failed += 1;
      const message = result.destinations
        .map((d) => d.error?.message)
        .filter(Boolean)
        .join('; ');
      this.#ctx.emit('backup:failed', { type, message, trigger });
    }
    if (result.destinations.some((d) => d.metadata)) {
      await this.#audit('backup.create', {
        action: 'backup-create',
        entity: 'backup',
        entityId: result.id,
        detail: {
          type: result.type,
          trigger,
          destinations: result.destinations.map((d) => ({ destination: d.destination, ok: !d.error })),
        },
      });
    }
    return result;
  }

  /** `storage.backup()`: like `create`, but a run no destination took is thrown, as the seed interface did. */
  async backup(options: BackupCreateOptions = {}): Promise<BackupRunResult> {
    const result = await this.create(options, 'manual');
    const failed = result.destinations.find((d) => d.error);
    if (failed?.error && result.destinations.every((d) => d.error)) throw failed.error;
    return result;
  }

  async list(options: BackupCallOptions): Promise<BackupList> {
    this.#ctx.authorize('backup.list');
    const [, call] = split(options);
    const manager = this.#manager(call);
    // A repository named for this call must exist; a configured one is not made before the first backup.
    return this.#ctx.read('backup.list', () =>
      manager.list(undefined, { requireFolder: call.destination !== undefined }),
    );
  }

  async verify(id: string | undefined, options: BackupVerifyOptions): Promise<VerificationReport> {
    this.#ctx.authorize('backup.verify');
    const [request, call] = split(options);
    const manager = this.#manager(call);
    const verifier = new BackupVerifier(manager);
    const report = await this.#ctx.read('backup.verify', async () => {
      if (call.destination !== undefined) await manager.requireFolder(manager.destination(undefined));
      return verifier.verify(id, request);
    });
    // A keyed verification decrypted the backup, and marked it verified (a deep one also recorded the checks
    // later restores rely on): who did so is on record.
    if (report.keyed) {
      await this.#audit('backup.verify', {
        action: 'backup-verify',
        entity: 'backup',
        entityId: id ?? null,
        detail: {
          ok: report.ok,
          deep: request.deep ?? false,
          failed: report.checks.filter((c) => !c.ok).length,
        },
      });
    }
    return report;
  }

  async prune(options: BackupCallOptions) {
    this.#ctx.authorize('backup.prune');
    const [, call] = split(options);
    const manager = this.#manager(call);
    const results = await this.#ctx.read('backup.prune', () => manager.prune());
    const removed = results.reduce((n, p) => n + p.removed.length, 0);
    const packsRemoved = results.reduce((n, p) => n + p.packsRemoved, 0);
    const bytesFreed = results.reduce((n, p) => n + p.bytesFreed, 0);
    if (removed > 0 || packsRemoved > 0) {
      await this.#audit('backup.prune', {
        action: 'backup-prune',
        entity: 'backup',
        entityId: null,
        detail: {
          destinations: results.map((r) => ({
            destination: r.destination,
            removed: r.removed,
            packsRemoved: r.packsRemoved,
            bytesFreed: r.bytesFreed,
          })),
        },
      });
    }
    this.#ctx.emit('backup:pruned', { removed, packsRemoved, bytesFreed });
    return results;
  }

  async restore(id: string, options: BackupRestoreOptions): Promise<RestoreResult> {
    this.#ctx.authorize('backup.restore');
    const [request, call] = split(options);
    const manager = this.#manager(call);
    const result = await this.#ctx.read('backup.restore', () => manager.restore(id, request));
    await this.#audit('backup.restore', {
      action: 'backup-restore',
      entity: 'backup',
      entityId: result.id,
      detail: {
        target: result.target,
        tables: request.tables ?? null,
        overwrite: request.overwrite ?? false,
        entryCount: result.entryCount,
      },
    });
    return result;
  }

  /**
   * Places a legal hold on a backup on every destination (or the call's) that holds it: NOT_FOUND when none
   * does. Each destination's hold is written under its write lock, so no prune can delete the backup once
   * this returns. A hold already in force is kept as it was; an audit row is written when one was placed.
   */
  async hold(id: string, options: BackupHoldOptions): Promise<HoldResult> {
    this.#ctx.authorize('backup.hold');
    const { reason: rawReason, ...callOptions } = options;
    const [, call] = split(callOptions);
    const reason = holdReason(rawReason);
    const manager = this.#manager(call);
    const actor = this.#ctx.actor.id;
    const placed = await this.#ctx.read('backup.hold', async () => {
      const outcomes = [];
      for (const index of await this.#destinationsHolding(manager, id))
        outcomes.push(await manager.placeHold(id, { reason, actor, destination: index }));
      return outcomes;
    });
    const changed = placed.filter((p) => p.placed);
    if (changed.length > 0) {
      await this.#audit('backup.hold', {
        action: 'backup-hold',
        entity: 'backup',
        entityId: id,
        detail: { reason, destinations: changed.map((p) => p.destination) },
      });
    }
    return {
      id,
      legalHold: true,
      hold: placed[0]!.hold,
      placed: changed.length > 0,
      destinations: placed.map((p) => ({ destination: p.destination, placed: p.placed })),
    };
  }

  /**
   * Lifts a legal hold on every destination (or the call's) that holds the backup: NOT_FOUND when none does.
   * A backup that is not held is no error: `released` is false and nothing is written (scripts may release
   * to be sure). An audit row is written when a hold was lifted.
   */
  async release(id: string, options: BackupCallOptions): Promise<ReleaseResult> {
    this.#ctx.authorize('backup.hold');
    const [, call] = split(options);
    const manager = this.#manager(call);
    const actor = this.#ctx.actor.id;
    const lifted = await this.#ctx.read('backup.hold', async () => {
      const outcomes = [];
      for (const index of await this.#destinationsHolding(manager, id))
        outcomes.push(await manager.releaseHold(id, { actor, destination: index }));
      return outcomes;
    });
    const changed = lifted.filter((r) => r.released);
    if (changed.length > 0) {
      await this.#audit('backup.hold', {
        action: 'backup-release',
        entity: 'backup',
        entityId: id,
        detail: { destinations: changed.map((r) => r.destination) },
      });
    }
    return {
      id,
      legalHold: false,
      released: changed.length > 0,
      destinations: lifted.map((r) => ({ destination: r.destination, released: r.released })),
    };
  }

  /**
   * The indexes of the manager's destinations that hold the backup; NOT_FOUND (naming the id) when none does.
   * A copy that a destination never took (its run failed there) has nothing to hold or release.
   */
  async #destinationsHolding(manager: BackupManager, id: string): Promise<number[]> {
    // None configured or named: CONFIG_INVALID, saying what to set.
    manager.destination(undefined);
    const holding: number[] = [];
    let missing: unknown;
    for (let index = 0; index < manager.destinations.length; index += 1) {
      try {
        await requireManifest(manager.destination(index), id);
        holding.push(index);
      } catch (error) {
        if (!isStorageError(error, StorageErrorCode.NOT_FOUND)) throw error;
        missing ??= error;
      }
    }
    if (holding.length === 0) {
      if (manager.destinations.length === 1) throw missing;
      throw new BackupError(
        StorageErrorCode.NOT_FOUND,
        BackupFailure.OBJECT_MISSING,
        `backup '${id}' does not exist on any of ${manager.destinations.map((d) => d.name).join(', ')}`,
        { details: { id, destinations: manager.destinations.map((d) => d.name) } },
      );
    }
    return holding;
  }

  async changePassphrase(newPassphrase: string, options: BackupCallOptions): Promise<void> {
    this.#ctx.authorize('backup.passphrase');
    const [, call] = split(options);
    const manager = this.#manager(call);
    await this.#ctx.read('backup.passphrase', () => manager.changePassphrase(newPassphrase));
    await this.#audit('backup.passphrase', {
      action: 'backup-passphrase',
      entity: 'backup',
      entityId: null,
      detail: { destinations: manager.destinations.map((d) => d.name) },
    });
  }

  schedule(): ScheduleStatus {
    this.#ctx.authorize('backup.list');
    const scheduler = this.#scheduler;
    if (!scheduler) return { running: false, tiers: [], history: [] };
    const next = scheduler.nextRuns();
    return {
      running: !this.#stopping,
      tiers: scheduleOf(this.#ctx.config).map((tier, i) => ({
        type: tier.type,
        ...(tier.intervalMs !== undefined ? { intervalMs: tier.intervalMs } : {}),
        ...(tier.cron !== undefined ? { cron: tier.cron } : {}),
        next: next[i]!.at.toISOString(),
      })),
      history: scheduler.history.map((run) => ({ type: run.type, at: new Date(run.at) })),
    };
  }

  async runSchedule(at?: Date): Promise<BackupType | undefined> {
    this.#ctx.authorize('backup.create');
    if (!this.#scheduler) {
      throw new BackupError(
        StorageErrorCode.UNSUPPORTED,
        BackupFailure.UNSUPPORTED,
        'no backup schedule runs in this process: set the plugin option schedule, or config.backup.enabled',
      );
    }
    return this.#scheduler.runDue(at);
  }

  /**
   * `kb backup schedule run`: serves the configured schedule (see `configuredSchedule`) in the foreground until
   * `signal` aborts, reporting each event through `onEvent`. It runs the schedule alone: this process's own
   * scheduler (`schedule` option or `config.backup.enabled`) is paused meanwhile, so no tier runs twice. On
   * abort a backup in progress finishes (its test restore and prune are skipped) and it returns; a backup is
   * never left half-written under its name, since its manifest is written last.
   */
  async serveSchedule(options: ScheduleServeOptions): Promise<ScheduleServeSummary> {
    this.#ctx.authorize('backup.create');
    const { signal, onEvent, now: clock, sleep, ...callOptions } = options;
    const [, call] = split(callOptions);
    if (this.#serving) {
      throw new BackupError(
        StorageErrorCode.CONFLICT,
        BackupFailure.UNSUPPORTED,
        'this process already serves the backup schedule',
      );
    }
    const tiers = configuredSchedule(this.#ctx.config, this.#ctx.options);
    const manager = this.#manager(call);
    // Refused before anything runs: no destination (CONFIG_INVALID), or encryption without a passphrase.
    manager.destination(undefined);
    if (this.#ctx.config.backup.encryption.enabled && manager.passphrase() === undefined) {
      throw new BackupError(
        StorageErrorCode.VALIDATION,
        BackupFailure.PASSPHRASE_REQUIRED,
        `the backup schedule needs the repositories' passphrase ($${this.#ctx.config.backup.encryption.passphraseEnv}, $KB_BACKUP_PASSPHRASE or --passphrase-file); set encryption: false explicitly for plaintext repositories`,
      );
    }
    const now = clock ?? (() => new Date());
    const report = (event: ScheduleEvent) => onEvent?.(event);
    const summary = { backups: 0, failed: 0 };
    let running: BackupType | undefined;
    const scheduler = new BackupScheduler({
      tiers,
      timezone: this.#ctx.options.timezone,
      now,
      run: async (type) => {
        running = type;
        try {
          const outcome = await this.#scheduledRun(type, call, () => signal.aborted || this.#stopping);
          const { result } = outcome;
          if (result.ok) summary.backups += 1;
          else summary.failed += 1;
          report(backupEvent(now(), outcome));
        } finally {
          running = undefined;
        }
      },
      onError: (type, error) => {
        summary.failed += 1;
        report({
          event: 'failed',
          at: now().toISOString(),
          type,
          code: isStorageError(error) ? error.code : 'BACKUP',
          message: messageOf(error),
        });
      },
    });
    const onAbort = () =>
      report({
        event: 'stopping',
        at: now().toISOString(),
        reason: abortReason(signal),
        ...(running !== undefined ? { finishing: running } : {}),
      });
    signal.addEventListener('abort', onAbort, { once: true });
    const embedded = this.#scheduler;
    this.#serving = true;
    try {
      await embedded?.stop();
      report({
        event: 'started',
        at: now().toISOString(),
        timezone: scheduler.timezone,
        tiers: tiers.map((tier, i) => ({
          type: tier.type,
          ...(tier.intervalMs !== undefined ? { intervalMs: tier.intervalMs } : {}),
          ...(tier.cron !== undefined ? { cron: tier.cron } : {}),
          next: scheduler.nextRuns()[i]!.at.toISOString(),
        })),
      });
      await scheduler.serve(signal, sleep ?? sleepUnlessAborted);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#serving = false;
      if (embedded && !this.#stopping) embedded.start();
    }
    report({ event: 'stopped', at: now().toISOString(), ...summary });
    return summary;
  }

  lastSuccess(): Date | undefined {
    this.#ctx.authorize('backup.list');
    return this.#lastSuccess ? new Date(this.#lastSuccess) : undefined;
  }

  // ─── The schedule ───────────────────────────────────────────────────────────────────────────────

  /**
   * One scheduled backup on the call's destinations (default: the configured ones), its test restore
   * (`verifyAfterBackup`) and its prune (`pruneAfterBackup`); `stopping` says the schedule is being stopped,
   * which skips what follows the backup.
   */
  async #scheduledRun(
    type: BackupType,
    call: BackupCallOptions,
    stopping: () => boolean,
  ): Promise<ScheduledOutcome> {
    const options = this.#ctx.options;
    const result = await this.create({ ...call, type }, 'schedule');
    const verify =
      result.ok &&
      !stopping() &&
      (options.verifyAfterBackup === 'all' ||
        (options.verifyAfterBackup === 'full' && result.type === 'full'));
    const verified = verify ? await this.#verifyScheduled(result, call, stopping) : undefined;
    let pruned: PruneResult[] | undefined;
    let pruneError: unknown;
    // A backup that failed its test restore must not count toward retention: pruning now could delete the
    // last good backup it would replace. The next run prunes. A stopping schedule prunes nothing either.
    if (options.pruneAfterBackup && verified !== false && !stopping()) {
      try {
        pruned = await this.prune(call);
      } catch (error) {
        pruneError = error;
      }
    }
    return { result, verified, pruned, pruneError };
  }

  /**
   * The deep verification of a scheduled backup on every destination (one `backup:verified` event and one
   * count each); a failure is reported, not thrown. Returns whether every destination's passed, or undefined
   * when the schedule stopped before they all ran (a verification cut short is not a failed one).
   */
  async #verifyScheduled(
    result: BackupRunResult,
    call: BackupCallOptions,
    stopping: () => boolean,
  ): Promise<boolean | undefined> {
    let allPassed = true;
    for (let destination = 0; destination < result.destinations.length; destination += 1) {
      if (stopping()) return undefined;
      const started = performance.now();
      let failed: string[];
      try {
        // The comparison with the live store only informs, and right after the backup it has nothing to say.
        const report = await this.verify(result.id, {
          deep: true,
          compareSource: false,
          ...call,
          // The call's one repository, else the configured destination of this index.
          destination: call.destination ?? destination,
        });
        failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
        if (!report.ok && failed.length === 0) failed = ['verification failed'];
      } catch (error) {
        if (stopping()) return undefined;
        failed = [`verification could not run: ${messageOf(error)}`];
      }
      if (failed.length === 0) this.#counters.verified += 1;
      else this.#counters.verifyFailed += 1;
      allPassed &&= failed.length === 0;
      this.#ctx.emit('backup:verified', {
        id: result.id,
        type: result.type,
        destination: result.destinations[destination]!.destination,
        ok: failed.length === 0,
        durationMs: performance.now() - started,
        failed,
      });
    }
    return allPassed;
  }

  // ─── Health and metrics ─────────────────────────────────────────────────────────────────────────

  /** The newest backup's age, from this process's last success or else the first destination's listing. */
  async #lastBackupAt(manager: BackupManager): Promise<Date | undefined> {
    if (this.#lastSuccess) return this.#lastSuccess;
    const { backups } = await manager.list();
    const newest = backups[backups.length - 1];
    return newest ? new Date(newest.timestamp) : undefined;
  }

  /** `backup-age`: runs under the store's health check, whose role (viewer) it needs and no more. */
  healthProbe(): HealthProbe {
    const config = this.#ctx.config;
    const tiers = scheduleOf(config);
    const expectedEveryMs = Math.min(...tiers.map((t) => t.intervalMs ?? 86_400_000), config.backup.interval);
    return {
      name: 'backup-age',
      run: async () => {
        const manager = this.#manager();
        if (manager.destinations.length === 0) {
          // Not an error of the store, but nothing protects it: a warning, never a pass.
          return config.backup.enabled
            ? { status: 'unhealthy', detail: 'backups are enabled but no destination is configured' }
            : {
                status: 'degraded',
                detail: 'not configured: no backup destination (set config.backup.destinations)',
                data: { configured: false },
              };
        }
        const at = await this.#lastBackupAt(manager);
        if (!at) return { status: config.backup.enabled ? 'unhealthy' : 'degraded', detail: 'no backup yet' };
        const ageSeconds = Math.round((Date.now() - at.getTime()) / 1000);
        const data = { ageSeconds, lastBackupAt: at.toISOString() };
        if (ageSeconds * 1000 > 2 * expectedEveryMs) {
          return { status: 'degraded', detail: `the last successful backup is ${ageSeconds} s old`, data };
        }
        return { status: 'healthy', detail: `last successful backup ${ageSeconds} s ago`, data };
      },
    };
  }

  metrics(): Record<string, number> {
    const counters = this.#counters;
    const last = this.#lastSuccess;
    return {
      backupsCreated: counters.created,
      backupsFailed: counters.failed,
      lastBackupDurationMs: counters.lastDurationMs,
      lastBackupStoredBytes: counters.lastStoredBytes,
      lastSuccessAgeSeconds: last ? Math.round((Date.now() - last.getTime()) / 1000) : -1,
      backupsVerified: counters.verified,
      backupsVerifyFailed: counters.verifyFailed,
    };
  }
}

/** A hold's reason as recorded: trimmed, null when empty; refused when not a string or too long. */
function holdReason(reason: unknown): string | null {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string') throw invalid('a hold reason must be a string');
  const trimmed = reason.trim();
  if (trimmed.length > MAX_HOLD_REASON)
    throw invalid(`a hold reason takes at most ${MAX_HOLD_REASON} characters, not ${trimmed.length}`);
  return trimmed === '' ? null : trimmed;
}

/** Why the schedule was stopped: the signal's name when a signal aborted it. */
function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  return reason instanceof Error ? reason.message : 'aborted';
}

function backupEvent(at: Date, outcome: ScheduledOutcome): ScheduleEvent {
  const { result, verified, pruned, pruneError } = outcome;
  return {
    event: 'backup',
    at: at.toISOString(),
    type: result.type,
    id: result.id,
    ok: result.ok,
    durationMs: Math.round(result.durationMs),
    destinations: result.destinations.map((d) => ({
      destination: d.destination,
      ok: !d.error,
      ...(d.error ? { error: d.error.message } : {}),
    })),
    verified: verified ?? null,
    pruned: pruned ? pruned.reduce((n, p) => n + p.removed.length, 0) : null,
    ...(pruneError !== undefined ? { pruneError: messageOf(pruneError) } : {}),
  };
}
