import type { BackupType } from '../manifest/backup-metadata.js';
import { CronExpression, DEFAULT_TIMEZONE } from './cron-expression.js';

/** When one tier runs: every `intervalMs`, or at the minutes a cron expression names (in the scheduler's zone). */
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
  /** The IANA time zone cron expressions are read in (default UTC). Intervals are plain elapsed time. */
  readonly timezone?: string;
  /** For tests: the clock and the timer. */
  readonly now?: () => Date;
  readonly setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real wait of `serve`: a timer that keeps the process alive (it is the process's work). */
export const sleepUnlessAborted: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

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
  #serving = false;
  readonly history: SchedulerRun[] = [];
  /** The IANA time zone of the cron tiers. */
  readonly timezone: string;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.timezone = options.timezone ?? DEFAULT_TIMEZONE;
    const start = this.#now();
    this.#tiers = options.tiers.map((schedule) => {
      if ((schedule.intervalMs === undefined) === (schedule.cron === undefined)) {
        throw new RangeError(`the ${schedule.type} tier needs exactly one of intervalMs and cron`);
      }
      if (schedule.intervalMs !== undefined && schedule.intervalMs < 1_000) {
        throw new RangeError(`the ${schedule.type} tier's interval must be at least 1000 ms`);
      }
      const cron = schedule.cron === undefined ? undefined : new CronExpression(schedule.cron, this.timezone);
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
    if (this.#serving) throw new Error('the scheduler is serving in the foreground: abort serve() first');
    this.#stopped = false;
    this.#arm();
  }

  /**
   * Runs the schedule in the foreground until `signal` aborts: what is due runs (at most one backup at a time,
   * as `runDue`), then it waits until the next tier is due (a minute at most, so a changed clock is noticed).
   * An abort during a run lets that run finish (a backup is never cut short: its manifest, written last, either
   * exists whole or not at all) and then returns. Never together with the timer of `start`.
   */
  async serve(signal: AbortSignal, sleep: Sleep = sleepUnlessAborted): Promise<void> {
    if (!this.#stopped) throw new Error('the scheduler runs on its timer: stop() it before serve()');
    if (this.#serving) throw new Error('the scheduler is already serving');
    this.#serving = true;
    try {
      while (!signal.aborted) {
        await this.runDue();
        if (signal.aborted) break;
        await sleep(this.#untilNext(), signal);
      }
    } finally {
      this.#serving = false;
    }
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  /** Milliseconds until the earliest tier is due, at most MAX_SLEEP_MS. */
  #untilNext(): number {
    const earliest = Math.min(...this.#tiers.map((t) => t.next.getTime()));
    return Math.max(0, Math.min(MAX_SLEEP_MS, earliest - this.#now().getTime()));
  }

  #arm(): void {
    if (this.#stopped) return;
    const wait = this.#untilNext();
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
