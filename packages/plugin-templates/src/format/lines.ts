/** Text cut into lines, remembering the line ending and whether the text ended with one, so that joining gives back the same text. */
export interface SplitText {
  lines: string[];
  eol: '\n' | '\r\n';
  finalNewline: boolean;
}

export function splitLines(text: string): SplitText {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = text.endsWith('\n');
  const body = finalNewline ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  const lines = text === '' ? [] : body.split(/\r?\n/);
  return { lines, eol, finalNewline };
}

export function joinLines(split: SplitText, lines: readonly string[]): string {
  if (lines.length === 0) return '';
  return lines.join(split.eol) + (split.finalNewline ? split.eol : '');
}

/** 1-based column of the first non-blank character at or after 0-based `from`, or -1. */
export function firstNonBlankColumn(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] !== ' ') return i + 1;
  }
  return -1;
}
