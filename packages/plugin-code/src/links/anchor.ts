import type { CodeLanguage } from '../schema/code-database.js';

/**
 * How a line is compared when a link is re-anchored: fixed-format COBOL ignores the sequence area (columns
 * 1–6) and columns 73–80, JCL ignores columns 72–80 (renumbering changes them without changing the code);
 * trailing blanks never count.
 */
export function normaliseLine(line: string, language: CodeLanguage): string {
  if (language === 'cobol' || language === 'copybook') {
    return line.length > 6 && /^[\d ]{6}/.test(line) ? line.slice(6, 72).trimEnd() : line.trimEnd();
  }
  if (language === 'jcl') return line.slice(0, 71).trimEnd();
  return line.trimEnd();
}

export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The text of lines `start`..`end` (1-based, inclusive). */
export function snippetOf(lines: readonly string[], start: number, end: number): string {
  return lines.slice(start - 1, end).join('\n');
}

/**
 * Where a link's snippet is in a changed file: the occurrence of its lines (compared as above) nearest to
 * where it was, or undefined when the lines are no longer there together — the link is then stale, never
 * left pointing at lines that say something else.
 */
export function reanchor(
  snippet: string,
  oldStart: number,
  lines: readonly string[],
  language: CodeLanguage,
): { start: number; end: number } | undefined {
  const wanted = splitLines(snippet).map((l) => normaliseLine(l, language));
  if (wanted.length === 0) return undefined;
  const have = lines.map((l) => normaliseLine(l, language));
  let best: number | undefined;
  for (
    let i = have.indexOf(wanted[0]!);
    i >= 0 && i + wanted.length <= have.length;
    i = have.indexOf(wanted[0]!, i + 1)
  ) {
    let all = true;
    for (let k = 1; k < wanted.length && all; k++) all = have[i + k] === wanted[k];
    if (all && (best === undefined || Math.abs(i + 1 - oldStart) < Math.abs(best + 1 - oldStart))) best = i;
  }
  return best === undefined ? undefined : { start: best + 1, end: best + wanted.length };
}
