/**
 * Validators for z/OS names: data set names, their qualifiers, members, programs, DD names and job names.
 * Pure functions: each returns the normalised (upper-cased) name and EVERY rule it breaks, each problem a
 * sentence naming the rule ("qualifier 'PAYROLLMASTER' is 13 characters; a qualifier holds at most 8").
 *
 * Rules (z/OS MVS JCL Reference, "Data set names"):
 * - a short name (qualifier, member, program, DD name, job name) holds 1 to 8 characters; the first is
 *   A–Z or a national character (@ # $), the others A–Z, 0–9, @ # $ — a data set qualifier (and only it)
 *   also allows a hyphen after the first character;
 * - a data set name is 1 to 44 characters in all (dots included, member or generation excluded), made of
 *   qualifiers separated by single dots;
 * - `A.B.C(MEMBER)` names a member of a partitioned data set (when the parameter allows a member);
 * - `A.B.GDG(+1)` / `(0)` / `(-1)` names a generation relative to a GDG base (when the parameter allows it);
 *   the base then holds at most 35 characters, since z/OS appends `.GnnnnVnn` (9 characters) to it.
 * Upper case: z/OS names are upper case, so ASCII a–z are upper-cased before the check (only ASCII: 'ß'
 * must not silently become 'SS'). Nothing else is changed — no trimming: a blank is reported, not dropped.
 */

/** The short-name kinds, and the word used for each in messages. */
export const SHORT_NAME_LABELS = {
  qualifier: 'qualifier',
  member: 'member name',
  program: 'program name',
  ddname: 'DD name',
  jobname: 'job name',
} as const;
export type ShortNameKind = keyof typeof SHORT_NAME_LABELS;

export const MAX_SHORT_NAME = 8;
export const MAX_DATASET_NAME = 44;
/** A GDG base name holds at most 35 characters: the generation suffix `.GnnnnVnn` takes the other 9. */
export const MAX_GDG_BASE_NAME = 35;
/** Relative generation numbers accepted: (0), (+1)…(+999), (-1)…(-999) (999 = extended GDG limit). */
export const MAX_RELATIVE_GENERATION = 999;

export interface NameCheck {
  /** The value upper-cased (ASCII letters only). */
  normalized: string;
  /** Every rule broken; empty when the name is valid. */
  problems: string[];
}

export interface DatasetNameOptions {
  /** Allow `A.B.C(MEMBER)`. Default false. */
  allowMember?: boolean;
  /** Allow a relative generation `A.B.C(+1)`, `(0)`, `(-1)`. Default false. */
  allowGdg?: boolean;
}

const FIRST_CHAR = /^[A-Z@#$]$/;
const NEXT_CHAR = /^[A-Z0-9@#$]$/;
const NEXT_CHAR_QUALIFIER = /^[A-Z0-9@#$-]$/;
const RELATIVE_GENERATION = /^(?:0|[+-][1-9][0-9]{0,2})$/;
const LOOKS_LIKE_GENERATION = /^[+-]?[0-9]+$/;

/** Upper-cases ASCII a–z only. */
export function upperAscii(value: string): string {
  return value.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/** A character as it reads in a message: printable ones quoted, others as U+XXXX. */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (ch === ' ') return 'a blank';
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) {
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `'${ch}'`;
}

/**
 * Checks one short name (already upper-cased) of the given kind and returns every rule it breaks.
 * `label` is the word used in messages (e.g. "qualifier 2").
 */
function shortNameProblems(
  name: string,
  kind: ShortNameKind,
  label: string = SHORT_NAME_LABELS[kind],
): string[] {
  const noun = SHORT_NAME_LABELS[kind];
  if (name.length === 0) return [`${label} is empty; a ${noun} holds 1 to ${MAX_SHORT_NAME} characters`];
  const problems: string[] = [];
  const chars = Array.from(name);
  if (chars.length > MAX_SHORT_NAME) {
    problems.push(
      `${label} '${name}' is ${chars.length} characters; a ${noun} holds at most ${MAX_SHORT_NAME}`,
    );
  }
  const first = chars[0] ?? '';
  if (!FIRST_CHAR.test(first)) {
    const why = /^[0-9]$/.test(first) ? 'starts with a digit' : `starts with ${describeChar(first)}`;
    problems.push(`${label} '${name}' ${why}; a ${noun} must start with A–Z, @, # or $`);
  }
  const next = kind === 'qualifier' ? NEXT_CHAR_QUALIFIER : NEXT_CHAR;
  const bad = new Map<string, number>();
  chars.forEach((ch, i) => {
    if (i > 0 && !next.test(ch) && !bad.has(ch)) bad.set(ch, i + 1);
  });
  if (bad.size > 0) {
    const list = [...bad].map(([ch, pos]) => `${describeChar(ch)} at position ${pos}`).join(', ');
    const allowed = kind === 'qualifier' ? 'A–Z, 0–9, @, #, $ and -' : 'A–Z, 0–9, @, # and $';
    problems.push(`${label} '${name}' contains ${list}; a ${noun} holds only ${allowed}`);
  }
  return problems;
}

/** Checks a member, program, DD, job name or qualifier: 1–8 characters, first A–Z @ # $, then A–Z 0–9 @ # $. */
export function checkShortName(value: string, kind: ShortNameKind): NameCheck {
  const normalized = upperAscii(value);
  return { normalized, problems: shortNameProblems(normalized, kind) };
}

/** Checks a data set name, optionally with a member or a relative generation in parentheses. */
export function checkDatasetName(value: string, options: DatasetNameOptions = {}): NameCheck {
  const normalized = upperAscii(value);
  const problems: string[] = [];
  let base = normalized;
  let generation = false;

  const open = normalized.indexOf('(');
  const close = normalized.lastIndexOf(')');
  if (open >= 0 || close >= 0) {
    if (
      open < 0 ||
      close !== normalized.length - 1 ||
      close < open ||
      normalized.indexOf('(', open + 1) >= 0
    ) {
      problems.push(
        `data set name '${normalized}' has unbalanced or misplaced parentheses; write A.B.C(MEMBER) or A.B.C(+1)`,
      );
      return { normalized, problems };
    }
    base = normalized.slice(0, open);
    const inner = normalized.slice(open + 1, close);
    if (LOOKS_LIKE_GENERATION.test(inner)) {
      generation = true;
      if (!options.allowGdg) {
        problems.push(
          `data set name '${normalized}' names a generation (${inner}); this parameter takes no GDG generation`,
        );
      } else if (!RELATIVE_GENERATION.test(inner) || Number(inner.slice(1)) > MAX_RELATIVE_GENERATION) {
        problems.push(
          `relative generation (${inner}) is not valid; write (0), (+n) or (-n) with n from 1 to ${MAX_RELATIVE_GENERATION}`,
        );
      }
    } else if (!options.allowMember) {
      problems.push(
        `data set name '${normalized}' names a member (${inner}); this parameter takes no member`,
      );
    } else {
      problems.push(...shortNameProblems(inner, 'member'));
    }
  }

  if (base.length === 0) {
    problems.push(`data set name is empty; a data set name holds 1 to ${MAX_DATASET_NAME} characters`);
    return { normalized, problems };
  }
  const length = Array.from(base).length;
  if (generation && options.allowGdg && length > MAX_GDG_BASE_NAME) {
    problems.push(
      `GDG base name '${base}' is ${length} characters; a GDG base holds at most ${MAX_GDG_BASE_NAME} (z/OS appends .GnnnnVnn)`,
    );
  } else if (length > MAX_DATASET_NAME) {
    problems.push(
      `data set name '${base}' is ${length} characters; a data set name holds at most ${MAX_DATASET_NAME}`,
    );
  }
  const qualifiers = base.split('.');
  qualifiers.forEach((q, i) => {
    const label = q.length === 0 ? `qualifier ${i + 1} of '${base}'` : 'qualifier';
    problems.push(...shortNameProblems(q, 'qualifier', label));
  });
  return { normalized, problems };
}

/** The high-level (first) qualifier of a data set name or qualifier, upper-cased. */
export function highLevelQualifier(name: string): string {
  const upper = upperAscii(name);
  const paren = upper.indexOf('(');
  const base = paren >= 0 ? upper.slice(0, paren) : upper;
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}
