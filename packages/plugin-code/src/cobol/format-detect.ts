import type { CobolSourceFormat } from './source-reader.js';

/** How many non-blank lines the detection looks at. */
const SAMPLE_LINES = 200;
const INDICATORS = new Set([' ', '*', '/', '-', 'D', 'd', '$']);

/**
 * Guesses the reference format from the first {@link SAMPLE_LINES} non-blank lines.
 *
 * - A leading `>>SOURCE FORMAT FREE|FIXED` directive decides.
 * - A line votes *fixed* when column 7 holds `*` or `/`, or when columns 1–6 are digits / blanks and
 *   column 7 is a valid indicator while the text starts in column 7 or later.
 * - A line votes *free* when its text starts in columns 1–6 without looking like a sequence
 *   number area (`*>` comment, `IDENTIFICATION DIVISION.` in column 1 …).
 * - Lines indented to column 8 or more fit both formats and do not vote.
 *
 * Free wins only with strictly more votes than fixed; with no evidence the answer is fixed, the
 * mainframe default.
 */
export function detectSourceFormat(lines: readonly string[]): CobolSourceFormat {
  let fixed = 0;
  let free = 0;
  let seen = 0;
  for (const line of lines) {
    if (seen >= SAMPLE_LINES) break;
    const first = line.search(/\S/);
    if (first === -1) continue;
    seen++;
    if (seen === 1) {
      const m = /^>>\s*SOURCE\s+(?:FORMAT\s+)?(?:IS\s+)?(FIXED|FREE)\b/i.exec(line.trim());
      if (m) return m[1]!.toLowerCase() as CobolSourceFormat;
    }
    if (first >= 7) continue;
    const indicator = line[6] ?? ' ';
    if (indicator === '*' || indicator === '/') {
      fixed++;
    } else if (/^[0-9 ]{6}$/.test(line.slice(0, 6).padEnd(6)) && INDICATORS.has(indicator)) {
      fixed++;
    } else {
      free++;
    }
  }
  return free > fixed ? 'free' : 'fixed';
}
