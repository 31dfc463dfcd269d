import { CodeAnalysisError } from '../errors.js';

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

/** Last significant column of a JCL statement; columns 72–80 are ignored. */
export const LAST_COLUMN = 71;

/** True for a code unit that never appears in JCL text: C0 controls other than TAB/LF/CR, DEL, U+FFFD. */
function isBinary(code: number): boolean {
  if (code < 0x20) return code !== 0x09 && code !== 0x0a && code !== 0x0d;
  return code === 0x7f || code === 0xfffd;
}

/**
 * Splits text into physical lines (CRLF or LF), refusing binary input and over-long lines in one pass
 * that stops at the first offence, so a multi-megabyte single line is rejected without further work.
 */
export function splitLines(text: string, maxLineLength: number, file: string | undefined): string[] {
  let lineStart = 0;
  let lineNumber = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a) {
      lineStart = i + 1;
      lineNumber++;
    } else if (isBinary(code)) {
      throw new CodeAnalysisError(
        'BINARY_INPUT',
        `not JCL text: control character U+${code.toString(16).padStart(4, '0')}`,
        { file, line: lineNumber },
      );
    } else if (i - lineStart >= maxLineLength && code !== 0x0d) {
      throw new CodeAnalysisError('LINE_TOO_LONG', `line longer than ${maxLineLength} characters`, {
        file,
        line: lineNumber,
      });
    }
  }
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
