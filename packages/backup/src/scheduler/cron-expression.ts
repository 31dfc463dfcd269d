import { StorageErrorCode, ValidationError } from '@mainframe-kb/storage-core';

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

function invalid(expression: string, why: string): ValidationError {
  const message = `cron expression '${expression}': ${why}`;
  return new ValidationError(message, [{ path: 'cron', message }], {
    details: { code: StorageErrorCode.VALIDATION },
  });
}

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week; `*`, lists, ranges, steps;
 * Sunday is 0 or 7), evaluated in UTC. When both day fields are restricted, either matching is enough,
 * as in Vixie cron.
 */
export class CronExpression {
  readonly source: string;
  readonly #sets: Set<number>[];
  readonly #anyDayOfMonth: boolean;
  readonly #anyDayOfWeek: boolean;

  constructor(expression: string) {
    this.source = expression;
    const parts = expression.trim().split(/\s+/);
    if (parts.length !== 5) throw invalid(expression, 'needs five fields: minute hour day month weekday');
    this.#sets = parts.map((part, i) => parseField(part, FIELDS[i]!, expression));
    const dow = this.#sets[4]!;
    if (dow.has(7)) dow.add(0);
    this.#anyDayOfMonth = parts[2] === '*';
    this.#anyDayOfWeek = parts[4] === '*';
  }

  matches(at: Date): boolean {
    const [minute, hour, dom, month, dow] = this.#sets as [
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
      Set<number>,
    ];
    if (!minute.has(at.getUTCMinutes()) || !hour.has(at.getUTCHours()) || !month.has(at.getUTCMonth() + 1)) {
      return false;
    }
    const domOk = dom.has(at.getUTCDate());
    const dowOk = dow.has(at.getUTCDay());
    if (this.#anyDayOfMonth || this.#anyDayOfWeek) return domOk && dowOk;
    return domOk || dowOk;
  }

  /** The first matching minute strictly after `after`, searched up to four years ahead. */
  next(after: Date): Date {
    const at = new Date(after.getTime());
    at.setUTCSeconds(0, 0);
    at.setUTCMinutes(at.getUTCMinutes() + 1);
    const limit = after.getTime() + 4 * 366 * 86_400_000;
    while (at.getTime() <= limit) {
      if (!this.#sets[3]!.has(at.getUTCMonth() + 1)) {
        at.setUTCMonth(at.getUTCMonth() + 1, 1);
        at.setUTCHours(0, 0);
        continue;
      }
      if (!this.#dayMatches(at)) {
        at.setUTCDate(at.getUTCDate() + 1);
        at.setUTCHours(0, 0);
        continue;
      }
      if (!this.#sets[1]!.has(at.getUTCHours())) {
        at.setUTCHours(at.getUTCHours() + 1, 0);
        continue;
      }
      if (this.matches(at)) return at;
      at.setUTCMinutes(at.getUTCMinutes() + 1);
    }
    throw invalid(this.source, 'never matches');
  }

  #dayMatches(at: Date): boolean {
    const domOk = this.#sets[2]!.has(at.getUTCDate());
    const dowOk = this.#sets[4]!.has(at.getUTCDay());
    if (this.#anyDayOfMonth || this.#anyDayOfWeek) return domOk && dowOk;
    return domOk || dowOk;
  }
}

function parseField(part: string, field: (typeof FIELDS)[number], expression: string): Set<number> {
  const values = new Set<number>();
  for (const item of part.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw invalid(expression, `'${item}' is not a valid ${field.name}`);
    const step = match[4] === undefined ? 1 : Number(match[4]);
    let from: number = field.min;
    let to: number = field.max;
    if (match[1] !== '*') {
      from = Number(match[2]);
      to = match[3] === undefined ? (match[4] === undefined ? from : field.max) : Number(match[3]);
    }
    if (step < 1 || from < field.min || to > field.max || from > to) {
      throw invalid(expression, `'${item}' is out of range for ${field.name} (${field.min}-${field.max})`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}
