import type { CodeLanguage } from '../schema/code-database.js';

const EXTENSIONS: Readonly<Record<string, CodeLanguage>> = {
  cbl: 'cobol',
  cob: 'cobol',
  cobol: 'cobol',
  cpy: 'copybook',
  copy: 'copybook',
  cbk: 'copybook',
  jcl: 'jcl',
  prc: 'jcl',
  proc: 'jcl',
  jcllib: 'jcl',
};

const DIVISION = /\b(IDENTIFICATION|ID)\s+DIVISION\b|\bPROGRAM-ID\b/i;
const JCL_STATEMENT = /^\/\/[A-Z@#$]?[A-Z0-9@#$.]{0,16}\s+(JOB|EXEC|PROC|DD|SET|JCLLIB|INCLUDE|PEND)\b/i;
const DATA_ENTRY = /^\s*(0?[1-9]|[1-4][0-9]|66|77|88)\s+[A-Z0-9][A-Z0-9-]*(\s|\.|$)/i;

/** The code area of a line: fixed format drops the sequence area (columns 1–6) when it holds one. */
function codeArea(line: string): string {
  return /^[\d ]{6}[ *\-/Dd]/.test(line) || /^[A-Z0-9 ]{6}[*/]/.test(line) ? line.slice(7, 72) : line;
}

/**
 * The language of a source, by what it holds: JCL statements, a COBOL division or PROGRAM-ID, or data
 * description entries only (a copybook). The file name decides only when the content says nothing (a
 * copybook of comments, say); `unknown` otherwise. Reads at most the first 400 lines.
 */
export function detectLanguage(path: string, text: string): CodeLanguage {
  let jcl = 0;
  let data = 0;
  let other = 0;
  const lines = text.split(/\r?\n/, 400);
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (line.startsWith('//')) {
      if (JCL_STATEMENT.test(line)) jcl++;
      continue;
    }
    const code = codeArea(line);
    const indicator = line.length > 6 && code !== line ? line[6] : ' ';
    if (indicator === '*' || indicator === '/' || code.trimStart().startsWith('*>')) continue;
    if (DIVISION.test(code)) return 'cobol';
    if (DATA_ENTRY.test(code)) data++;
    else if (code.trim() !== '') other++;
  }
  if (jcl > 0 && jcl >= data) return 'jcl';
  if (data > 0 && data >= other / 2) return 'copybook';
  return languageOfName(path);
}

/** The language a file's extension names (`.cbl`, `.cpy`, `.jcl` …), or `unknown`. */
export function languageOfName(path: string): CodeLanguage {
  const extension = /\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase();
  return (extension && EXTENSIONS[extension]) || 'unknown';
}

/** Whether a copybook holds data description entries (a record layout), not procedure code only. */
export function hasDataEntries(text: string): boolean {
  for (const line of text.split(/\r?\n/, 2000)) {
    const code = codeArea(line);
    const indicator = line.length > 6 && code !== line ? line[6] : ' ';
    if (indicator === '*' || indicator === '/') continue;
    if (DATA_ENTRY.test(code)) return true;
  }
  return false;
}

/** A file that is not text: a NUL byte in its first 8 KiB (sources never hold one). */
export function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8192);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}
