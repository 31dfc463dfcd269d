/**
 * Which files of a workspace folder are members, of what type, under what z/OS member name.
 *
 * Convention (IBM zopeneditor-sample layout: COBOL/, COPYBOOK/, COPYLIB/, JCL/, PLI/, INCLUDES/, ASM/,
 * ASMMAC/, REXX/ …; folder and extension compared case-insensitively):
 * - the file's extension decides when it is a known source extension (`.cbl` → cobol, `.cpy` → copybook …);
 * - otherwise the nearest enclosing folder with a known name decides (`COPYBOOK/X` → copybook);
 * - otherwise the file is not a member (README.md, pipeline files, …) and is ignored.
 * PL/I include files (`INCLUDES/`, `.inc` there) count as `pli`; assembler macros as `asm`.
 * The member name is the file name up to its first dot, ASCII upper-cased. A name z/OS cannot hold
 * (1–8 characters of A–Z 0–9 @ # $, the first not a digit) keeps its file but becomes type `other`, with
 * an issue saying why.
 */
import type { WorkspaceMemberType } from './types.js';

const EXTENSION_TYPES: Record<string, WorkspaceMemberType> = {
  cbl: 'cobol',
  cob: 'cobol',
  cobol: 'cobol',
  cpy: 'copybook',
  copy: 'copybook',
  jcl: 'jcl',
  cntl: 'jcl',
  proc: 'jcl',
  prc: 'jcl',
  pli: 'pli',
  pl1: 'pli',
  plinc: 'pli',
  asm: 'asm',
  hlasm: 'asm',
  mac: 'asm',
  asmmac: 'asm',
  rexx: 'rexx',
  rex: 'rexx',
  exec: 'rexx',
};

const FOLDER_TYPES: Record<string, WorkspaceMemberType> = {
  cobol: 'cobol',
  cbl: 'cobol',
  cob: 'cobol',
  copybook: 'copybook',
  copybooks: 'copybook',
  copylib: 'copybook',
  cobcopy: 'copybook',
  cpy: 'copybook',
  jcl: 'jcl',
  jcllib: 'jcl',
  jclproc: 'jcl',
  proclib: 'jcl',
  cntl: 'jcl',
  pli: 'pli',
  pl1: 'pli',
  includes: 'pli',
  includelib: 'pli',
  pliinc: 'pli',
  asm: 'asm',
  assembler: 'asm',
  hlasm: 'asm',
  asmmac: 'asm',
  asmcopy: 'asm',
  maclib: 'asm',
  rexx: 'rexx',
  rexxlib: 'rexx',
  rexxinc: 'rexx',
  exec: 'rexx',
};

/** The member type of the file at `relPath` ('/'-separated), or undefined when it is not a member. */
export function memberTypeOf(relPath: string): WorkspaceMemberType | undefined {
  const segments = relPath.split('/');
  const file = segments[segments.length - 1] ?? '';
  const dot = file.lastIndexOf('.');
  if (dot > 0) {
    const byExtension = EXTENSION_TYPES[file.slice(dot + 1).toLowerCase()];
    if (byExtension) return byExtension;
  }
  for (let k = segments.length - 2; k >= 0; k--) {
    const byFolder = FOLDER_TYPES[(segments[k] ?? '').toLowerCase()];
    if (byFolder) return byFolder;
  }
  return undefined;
}

const MEMBER_NAME = /^[A-Z@#$][A-Z0-9@#$]{0,7}$/;

/** Upper-cases ASCII a–z only (a German ß must not silently become SS). */
export function upperAscii(value: string): string {
  return value.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/** The member name of a file (up to the first dot, upper-cased) and, when z/OS cannot hold it, why. */
export function memberNameOf(fileName: string): { name: string; problem?: string } {
  const dot = fileName.indexOf('.', 1);
  const name = upperAscii(dot > 0 ? fileName.slice(0, dot) : fileName);
  if (MEMBER_NAME.test(name)) return { name };
  let problem: string;
  if (name.length === 0) problem = 'the member name is empty';
  else if (name.length > 8)
    problem = `member name '${name}' is ${name.length} characters; a member name holds at most 8`;
  else if (/^[0-9]/.test(name)) problem = `member name '${name}' starts with a digit`;
  else problem = `member name '${name}' holds characters other than A–Z, 0–9, @, # and $`;
  return { name, problem };
}

export function isValidMemberName(name: string): boolean {
  return MEMBER_NAME.test(name);
}

const QUALIFIER = /^[A-Z@#$][A-Z0-9@#$-]{0,7}$/;

/** Why `name` is not a valid data set name (upper case expected), or undefined when it is valid. */
export function datasetNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the data set name is empty';
  if (name.length > 44) return `data set name '${name}' is ${name.length} characters; at most 44`;
  for (const q of name.split('.')) {
    if (!QUALIFIER.test(q))
      return `data set name '${name}': qualifier '${q}' is not 1–8 of A–Z 0–9 @ # $ - starting with a letter or @ # $`;
  }
  return undefined;
}

/**
 * Why `relPath` is not a safe relative member path ('/'-separated, no empty, '.' or '..' segments, not
 * absolute, no backslash, colon, NUL or control character), or undefined when it is safe.
 */
export function relativePathProblem(relPath: string): string | undefined {
  if (relPath.length === 0) return 'the path is empty';
  if (relPath.length > 1024) return 'the path is longer than 1024 characters';
  if (relPath.startsWith('/')) return `path '${relPath}' is absolute`;
  const control = [...relPath].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || relPath.includes('\\') || relPath.includes(':'))
    return `path '${relPath}' holds a backslash, colon or control character`;
  for (const segment of relPath.split('/')) {
    if (segment === '..') return `path '${relPath}' climbs out of the folder with '..'`;
    if (segment === '' || segment === '.') return `path '${relPath}' has an empty or '.' segment`;
  }
  return undefined;
}
