/**
 * Whether the `YYYY-MM-DD` at the start of `text` is a day of the calendar. JavaScript's Date reads
 * 2026-02-30 as 2 March; a store refuses it rather than count a day nobody meant.
 */
export function calendarDateValid(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
