import type { FieldValue } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';

const TRUE = new Set(['true', '1', 'yes', 'y', 'on']);
const FALSE = new Set(['false', '0', 'no', 'n', 'off', '']);

/**
 * A ServiceNow-style flag as a boolean: `true`/`1`/`yes`/`on` and `false`/`0`/`no`/`off`/empty (ServiceNow
 * exports an unset flag as an empty string). Anything else is refused, not guessed.
 */
export function toBoolean(value: FieldValue, field = 'value'): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  const text = String(value).trim().toLowerCase();
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw formatError(
    'csv',
    FormatErrorReason.BAD_VALUE,
    `${field}: '${String(value)}' is not a yes/no value`,
    { field },
  );
}

/** A number from text, refusing what a double cannot hold exactly and empty text (null). */
export function toNumber(value: FieldValue, field = 'value'): number | null {
  if (value === null || value === '') return null;
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || (/^-?\d+$/.test(text) && !Number.isSafeInteger(n))) {
    throw formatError(
      'csv',
      FormatErrorReason.BAD_VALUE,
      `${field}: '${text}' is not a number held exactly`,
      { field },
    );
  }
  return n;
}

const ZONED = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

/**
 * A date-time from text. Text with a zone (`Z`, `+02:00`) is exact. Text without one (ServiceNow's
 * `2024-05-01 10:00:00`) is read in `timeZone` (an IANA name such as `Europe/Lisbon`) and refused when no
 * zone is given: a wall-clock time without a zone names no instant.
 */
export function toTimestamp(
  value: FieldValue,
  options: { timeZone?: string | undefined } = {},
  field = 'value',
): Date | null {
  if (value === null || value === '') return null;
  if (value instanceof Date) return value;
  const text = String(value).trim();
  if (ZONED.test(text)) {
    const date = new Date(text.replace(' ', 'T'));
    if (Number.isFinite(date.getTime())) return date;
  }
  const wall = WALL.exec(text);
  if (wall === null) {
    throw formatError('csv', FormatErrorReason.BAD_VALUE, `${field}: '${text}' is not a date-time`, {
      field,
    });
  }
  if (options.timeZone === undefined) {
    throw formatError(
      'csv',
      FormatErrorReason.BAD_VALUE,
      `${field}: '${text}' has no time zone; pass the zone the source writes its times in (e.g. timeZone: 'UTC')`,
      { field },
    );
  }
  const [y, mo, d, h, mi, s, ms] = wall.slice(1).map((part) => Number(part ?? 0)) as number[];
  const guess = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s, ms);
  // The zone's offset at the guessed instant, then once more at the corrected one (around DST changes).
  let instant = guess - offsetOf(guess, options.timeZone);
  instant = guess - offsetOf(instant, options.timeZone);
  return new Date(instant);
}

function offsetOf(instant: number, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(instant));
  } catch (cause) {
    throw formatError('csv', FormatErrorReason.BAD_VALUE, `unknown time zone '${timeZone}'`, { cause });
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}
