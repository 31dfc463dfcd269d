import { ValidationError } from '@mainframe-kb/storage-core';
import { calendarDateValid } from '../util/dates.js';

/** The length of a series' buckets. Weeks start on Monday (ISO 8601), in UTC like every timestamp of the store. */
export type Interval = 'hour' | 'day' | 'week';

export const INTERVALS: readonly Interval[] = ['hour', 'day', 'week'];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** `YYYY-MM-DDTHH` for the hour holding `iso` (the first 13 characters of a store timestamp). */
export function hourOf(iso: string): string {
  return iso.slice(0, 13);
}

/** `YYYY-MM-DD` for the day holding `iso`. */
export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** The Monday (`YYYY-MM-DD`) of the ISO week holding `day` (`YYYY-MM-DD`). */
export function weekOf(day: string): string {
  const t = Date.parse(`${day.slice(0, 10)}T00:00:00.000Z`);
  const weekday = (new Date(t).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(t - weekday * DAY_MS).toISOString().slice(0, 10);
}

/** The bucket label of `iso` for `interval`. */
export function bucketOf(iso: string, interval: Interval): string {
  if (interval === 'hour') return hourOf(iso);
  if (interval === 'day') return dayOf(iso);
  return weekOf(dayOf(iso));
}

/** The first instant of a bucket label, in epoch milliseconds. */
export function bucketStart(label: string): number {
  return label.length === 13 ? Date.parse(`${label}:00:00.000Z`) : Date.parse(`${label}T00:00:00.000Z`);
}

export function bucketLength(interval: Interval): number {
  return interval === 'hour' ? HOUR_MS : interval === 'day' ? DAY_MS : 7 * DAY_MS;
}

/** The labels of every bucket that overlaps [from, to), in order. */
export function bucketsBetween(from: number, to: number, interval: Interval): string[] {
  const labels: string[] = [];
  if (to <= from) return labels;
  let label = bucketOf(new Date(from).toISOString(), interval);
  let start = bucketStart(label);
  const step = bucketLength(interval);
  while (start < to) {
    labels.push(label);
    start += step;
    label = bucketOf(new Date(start).toISOString(), interval);
  }
  return labels;
}

/** `YYYY-MM-DD` or a full ISO timestamp, checked, as epoch milliseconds. */
export function parseInstant(value: string, name: string): number {
  const text = value.trim();
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00.000Z` : text;
  const shaped = /^\d{4}-\d{2}-\d{2}T\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})$/.test(iso);
  const t = shaped && calendarDateValid(iso) ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) {
    throw new ValidationError(
      `invalid ${name}: '${value}' is not a date (YYYY-MM-DD) or an ISO-8601 timestamp`,
      [{ path: name, message: 'expected YYYY-MM-DD or an ISO-8601 timestamp with a zone' }],
    );
  }
  return t;
}

export function iso(t: number): string {
  return new Date(t).toISOString();
}
