/**
 * Building blocks for `handledConditions`: which fields carry error conditions, how a comparison of
 * such a field is read, and which error codes a DISPLAYed message names.
 */
import type { ConditionKind, DataItem, SelectEntry } from './analysis-types.js';
import type { CobolToken } from './tokenizer.js';
import { constantValue, isVerb, isWord } from './words.js';

/** Fields whose comparisons are error-condition checks, by upper-cased name. */
export type TrackedFields = Map<string, ConditionKind>;

export interface ConditionName {
  name: string;
  kind: ConditionKind;
  values: string[];
  line: number;
  file?: string;
}

const BUILT_IN_FIELDS: readonly [string, ConditionKind][] = [
  ['SQLCODE', 'sqlcode'],
  ['SQLSTATE', 'sqlstate'],
  ['RETURN-CODE', 'return-code'],
];

/**
 * SQLCODE, SQLSTATE, RETURN-CODE, the FILE STATUS fields of `selects`, and fields that receive one of
 * them in `MOVE tracked TO field …` (in source order, so aliases of aliases are found too).
 */
export function trackedFields(
  selects: readonly SelectEntry[],
  procedure: readonly CobolToken[],
): TrackedFields {
  const tracked: TrackedFields = new Map(BUILT_IN_FIELDS);
  for (const s of selects) if (s.fileStatus) tracked.set(s.fileStatus.toUpperCase(), 'file-status');
  procedure.forEach((t, i) => {
    if (!isWord(t, 'MOVE')) return;
    const kind = tracked.get(procedure[i + 1]?.upper ?? '');
    if (!kind || !isWord(procedure[i + 2], 'TO')) return;
    for (let j = i + 3; j < procedure.length; j++) {
      const target = procedure[j]!;
      if (target.kind === 'separator') continue;
      if (isWord(target, 'OF', 'IN')) {
        j++; // qualifier of the previous receiving field
        continue;
      }
      if (target.kind !== 'word' || isVerb(target) || isWord(target, 'ELSE', 'WHEN', 'THEN')) break;
      if (target.upper.startsWith('END-')) break;
      if (!tracked.has(target.upper)) tracked.set(target.upper, kind);
    }
  });
  return tracked;
}

/** Level-88 entries whose conditional variable is a tracked field. */
export function conditionNames(
  items: readonly DataItem[],
  tracked: TrackedFields,
): Map<string, ConditionName> {
  const names = new Map<string, ConditionName>();
  for (const item of items) {
    const kind = item.level === 88 && item.parent ? tracked.get(item.parent.toUpperCase()) : undefined;
    if (!kind) continue;
    names.set(item.name.toUpperCase(), {
      name: item.name,
      kind,
      values: item.values ?? [],
      line: item.line,
      ...(item.file === undefined ? {} : { file: item.file }),
    });
  }
  return names;
}

const NEGATED: Readonly<Record<string, string>> = {
  '=': '<>',
  '<>': '=',
  '<': '>=',
  '>': '<=',
  '<=': '>',
  '>=': '<',
};

/** Reads a relational operator at `i`: `=`, `<>`, `EQUAL TO`, `GREATER THAN OR EQUAL TO` …; with a leading `IS` / `NOT`. */
function relationalOperator(
  tokens: readonly CobolToken[],
  start: number,
): { operator: string; next: number } | undefined {
  let i = start;
  if (isWord(tokens[i], 'IS')) i++;
  let negated = false;
  if (isWord(tokens[i], 'NOT')) {
    negated = true;
    i++;
  }
  const t = tokens[i];
  if (!t) return undefined;
  let operator: string | undefined;
  if (t.kind === 'punct' && t.text in NEGATED) {
    operator = t.text;
    i++;
  } else if (isWord(t, 'EQUAL', 'EQUALS')) {
    operator = '=';
    i++;
  } else if (isWord(t, 'GREATER', 'LESS')) {
    operator = t.upper === 'GREATER' ? '>' : '<';
    i++;
    if (isWord(tokens[i], 'THAN')) i++;
    if (isWord(tokens[i], 'OR') && isWord(tokens[i + 1], 'EQUAL')) {
      operator += '=';
      i += 2;
    }
  }
  if (!operator) return undefined;
  if (isWord(tokens[i], 'TO', 'THAN')) i++;
  return { operator: negated ? NEGATED[operator]! : operator, next: i };
}

export interface Comparison {
  operator: string;
  value: string;
}

/**
 * The comparisons of the field at `start` with constants: `F = 35`, `F IS NOT EQUAL TO ZERO`, and the
 * abbreviated objects that follow (`F = -911 OR -904`, `F = '00' OR = '10'`).
 */
export function comparisonsAt(tokens: readonly CobolToken[], start: number): Comparison[] {
  let i = start + 1;
  while (isWord(tokens[i], 'OF', 'IN')) i += 2;
  const first = relationalOperator(tokens, i);
  if (!first) return [];
  const value = constantValue(tokens[first.next]);
  if (value === undefined) return [];
  const found: Comparison[] = [{ operator: first.operator, value }];
  let operator = first.operator;
  i = first.next + 1;
  while (isWord(tokens[i], 'AND', 'OR')) {
    const explicit = relationalOperator(tokens, i + 1);
    const at = explicit ? explicit.next : i + 1;
    const next = constantValue(tokens[at]);
    if (next === undefined || relationalOperator(tokens, at + 1)) break;
    if (explicit) operator = explicit.operator;
    found.push({ operator, value: next });
    i = at + 1;
  }
  return found;
}

const MESSAGE_PATTERNS: readonly [ConditionKind, RegExp][] = [
  ['sqlcode', /\bSQLCODE\s*(?:IS\s*|=\s*|:\s*)?([+-]?\d{1,5})\b/gi],
  ['file-status', /\b(?:FILE\s+)?STATUS(?:\s+CODE)?\s*(?:IS\s*|=\s*|:\s*)?'?(\d{2})\b/gi],
  ['abend', /\bABEND(?:\s+CODE)?\s*(?:IS\s*|=\s*|:\s*)?([SU]?[0-9A-F]{3,4})\b/gi],
  ['abend', /\b(S0C[0-9A-F]|U\d{4})\b/g],
  ['message', /\b([A-Z]{3}[A-Z0-9]{0,2}\d{3,4}[IEWSAD])\b/g],
];

/** Error codes named in a message text: `SQLCODE -911`, `FILE STATUS 35`, `ABEND S0C7`, `U4038`, `IGZ0035S` … */
export function errorCodesInMessage(text: string): { kind: ConditionKind; value: string }[] {
  const found: { kind: ConditionKind; value: string }[] = [];
  const seen = new Set<string>();
  for (const [kind, pattern] of MESSAGE_PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const value = m[1]!.toUpperCase();
      if (seen.has(value)) continue;
      seen.add(value);
      found.push({ kind, value });
    }
  }
  return found;
}
