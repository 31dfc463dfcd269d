import type { BackupType } from '../manifest/backup-metadata.js';
import { CronExpression } from './cron-expression.js';

/** When one tier runs: every `intervalMs`, or at the minutes a cron expression names (UTC). */
export interface TierSchedule {
  readonly type: BackupType;
  readonly intervalMs?: number | undefined;
  readonly cron?: string | undefined;
}

export interface SchedulerRun {
  readonly type: BackupType;
  readonly at: Date;
}

export interface SchedulerOptions {
  readonly tiers: readonly TierSchedule[];
  /** Runs one backup of a type (and whatever follows it, such as a prune); rejections are reported, not thrown. */
  readonly run: (type: BackupType) => Promise<void>;
  readonly onError?: (type: BackupType, error: unknown) => void;
  /** For tests: the clock and the timer. */
  readonly now?: () => Date;
  readonly setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

const RANK: Record<BackupType, number> = { incremental: 0, differential: 1, full: 2 };
/** Timers are capped so a clock change is noticed within this long. */
const MAX_SLEEP_MS = 60_000;

/**
 * Runs the policy's tiers inside a long-running process, one backup at a time. When several tiers are due
 * together only the largest runs (a full covers a differential and an incremental); a run that is due while
 * another is in progress runs after it, never concurrently.
 */
export class BackupScheduler {
  readonly #tiers: { schedule: TierSchedule; cron?: CronExpression; next: Date }[];
  readonly #options: SchedulerOptions;
  readonly #now: () => Date;
  #timer: { cancel(): void } | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  readonly history: SchedulerRun[] = [];

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    const start = this.#now();
    this.#tiers = options.tiers.map((schedule) => {
      if ((schedule.intervalMs === undefined) === (schedule.cron === undefined)) {
        throw new RangeError(`the ${schedule.type} tier needs exactly one of intervalMs and cron`);
      }
      if (schedule.intervalMs !== undefined && schedule.intervalMs < 1_000) {
        throw new RangeError(`the ${schedule.type} tier's interval must be at least 1000 ms`);
      }
      const cron = schedule.cron === undefined ? undefined : new CronExpression(schedule.cron);
      return {
        schedule,
        ...(cron ? { cron } : {}),
        next: cron ? cron.next(start) : new Date(start.getTime() + schedule.intervalMs!),
      };
    });
  }

  /** When each tier runs next. */
  nextRuns(): { type: BackupType; at: Date }[] {
    return this.#tiers.map((t) => ({ type: t.schedule.type, at: t.next }));
  }

  /** Runs what is due at `now` (at most one backup) and moves each due tier's next time past `now`. */
  async runDue(now = this.#now()): Promise<BackupType | undefined> {
    const due = this.#tiers.filter((t) => t.next.getTime() <= now.getTime());
    if (due.length === 0) return undefined;
    for (const t of due) {
      t.next = t.cron ? t.cron.next(now) : new Date(now.getTime() + t.schedule.intervalMs!);
    }
    const type = due.map((t) => t.schedule.type).sort((a, b) => RANK[b] - RANK[a])[0]!;
    this.history.push({ type, at: now });
    try {
      await this.#options.run(type);
    } catch (error) {
      this.#options.onError?.(type, error);
    }
    return type;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#arm();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  #arm(): void {
    if (this.#stopped) return;
    const earliest = Math.min(...this.#tiers.map((t) => t.next.getTime()));
    const wait = Math.max(0, Math.min(MAX_SLEEP_MS, earliest - this.#now().getTime()));
    const setTimer =
      this.#options.setTimer ??
      ((fn: () => void, ms: number) => {
        const handle = setTimeout(fn, ms);
        // A scheduler alone must not keep the process alive.
        handle.unref();
        return { cancel: () => clearTimeout(handle) };
      });
    this.#timer = setTimer(() => {
      this.#running = this.runDue().then(
        () => undefined,
        () => undefined,
      );
      void this.#running.then(() => this.#arm());
    }, wait);
  }
}
