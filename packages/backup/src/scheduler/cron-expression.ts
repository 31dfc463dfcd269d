import { StorageErrorCode, ValidationError } from '@mainframe-kb/storage-core';
import { Cron } from 'croner';

/** The zone a cron expression is read in when none is given: the scheduler has always run on UTC. */
export const DEFAULT_TIMEZONE = 'UTC';

/**
 * Whether `name` is an IANA time zone name this runtime knows (`Europe/Berlin`, `UTC`, `America/New_York`).
 * UTC offsets such as `+01:00`, which some runtimes also accept, are refused: an offset has no daylight
 * saving time, so a schedule written with one would silently drift by an hour twice a year.
 */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone !== '';
  } catch {
    return false;
  }
}

function invalid(expression: string, why: string): ValidationError {
  const message = `cron expression '${expression}': ${why}`;
  return new ValidationError(message, [{ path: 'cron', message }], {
    details: { code: StorageErrorCode.VALIDATION },
  });
}

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week), evaluated by croner in an IANA
 * time zone (default UTC). Fields take `*`, lists, ranges, steps, month and weekday names (`JAN`, `MON`);
 * Sunday is 0 or 7; nicknames such as `@daily` are accepted. When both day fields are restricted, either
 * matching is enough, as in Vixie cron.
 *
 * Daylight saving time, in zones that have it: a job at one fixed time (`30 2 * * *`) whose time does not
 * exist on the day clocks spring forward runs at the first minute after the gap (03:00 in Europe/Berlin), and
 * runs once on the day a time occurs twice (at its first occurrence). A job with a wildcard, step, list or
 * range in its minute or hour (`*\/30 2 * * *`) skips the minutes that do not exist and runs at both
 * occurrences of those that occur twice.
 */
export class CronExpression {
  readonly source: string;
  readonly timezone: string;
  readonly #cron: Cron;

  constructor(expression: string, timezone: string = DEFAULT_TIMEZONE) {
    this.source = expression;
    this.timezone = timezone;
    if (typeof expression !== 'string') throw invalid(String(expression), 'must be a string');
    if (!isTimeZone(timezone)) {
      throw invalid(expression, `'${timezone}' is not an IANA time zone name (such as Europe/Berlin or UTC)`);
    }
    try {
      // mode '5-part': a sixth field (croner's seconds) is refused, as a five-field cron would.
      this.#cron = new Cron(expression.trim(), { mode: '5-part', timezone, paused: true });
    } catch (error) {
      throw invalid(expression, String((error as Error).message).replace(/^CronPattern: /, ''));
    }
    // A pattern that parses may still name no real time (`0 0 31 2 *`, the 31st of February).
    if (this.#cron.nextRun(new Date()) === null) throw invalid(expression, 'never matches');
  }

  /** Whether `at` falls on a minute the expression names, in its time zone. */
  matches(at: Date): boolean {
    const minute = new Date(at.getTime());
    minute.setUTCSeconds(0, 0);
    return this.#cron.match(minute);
  }

  /** The first matching minute strictly after `after`. */
  next(after: Date): Date {
    const next = this.#cron.nextRun(after);
    if (next === null) throw invalid(this.source, `has no run after ${after.toISOString()}`);
    return next;
  }
}
