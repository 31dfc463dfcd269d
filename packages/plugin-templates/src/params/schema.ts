import { validateInput } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { checkDatasetName, checkShortName, describeChar, type ShortNameKind } from './zos-names.js';

/**
 * A template's parameter definitions as stored data (JSON), and the cross-parameter rules it may carry.
 *
 * A definition: `{ name, kind, description?, required (default true), default?, ...options of the kind }`.
 * `required` means "must have a value once defaults are applied": a required parameter with a default is
 * never missing. Every default is checked against its own definition when the definitions are parsed.
 * Unknown keys are refused (a stored `maxlength` typo must not silently drop a limit).
 */

/** Parameter names: an identifier (letter or `_`, then letters, digits, `_`), 1–64 characters. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/**
 * Names a parameter may not take: everything on `Object.prototype` (`constructor`, `__proto__`,
 * `hasOwnProperty`, `toString` …) plus `prototype` — mustache resolves names through JavaScript objects,
 * and such names are the usual way into prototypes.
 */
export const RESERVED_PARAMETER_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  '__proto__',
  'prototype',
]);

export const MAX_PARAMETERS = 256;
export const MAX_RULES = 64;
/** Hard cap on any string value (a source line is 72/80 columns; this leaves room for COBOL literals). */
export const MAX_STRING_VALUE = 4096;
/** Patterns longer than this are refused (regular-expression denial of service). */
export const MAX_PATTERN_SOURCE = 200;
/** A value tested against a pattern may be at most this long; longer values are refused without testing. */
export const MAX_PATTERN_VALUE = 256;
export const MAX_ENUM_VALUES = 256;

/** Why a name cannot be a parameter name, or undefined when it can. */
export function parameterNameProblem(name: string): string | undefined {
  if (!PARAMETER_NAME.test(name)) {
    return `'${name}' is not a parameter name; a name is a letter or _ followed by letters, digits or _, 1 to 64 characters`;
  }
  if (RESERVED_PARAMETER_NAMES.has(name)) return `'${name}' is reserved and cannot name a parameter`;
  return undefined;
}

const parameterName = z.string().superRefine((name, ctx) => {
  const problem = parameterNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** C0/C1 controls and DEL (`Cc`), and the Unicode line/paragraph separators. */
const CONTROL_CHAR = /[\p{Cc}\u2028\u2029]/u;

/** Why a text value cannot go into a line of source (a control character: line break, tab …), or undefined. */
export function controlCharProblem(value: string): string | undefined {
  const match = CONTROL_CHAR.exec(value);
  if (!match) return undefined;
  return `value contains the control character ${describeChar(match[0])} at position ${match.index + 1}; a value goes into one line of source and may hold no line break, tab or other control character`;
}

/** Why `source` is not an acceptable pattern, or undefined. See `compilePattern` for the rules. */
export function patternProblem(source: string): string | undefined {
  if (source.length > MAX_PATTERN_SOURCE) {
    return `pattern is ${source.length} characters; a pattern holds at most ${MAX_PATTERN_SOURCE}`;
  }
  try {
    new RegExp(source, 'u');
  } catch (error) {
    return `pattern does not compile: ${(error as Error).message}`;
  }
  return nestedRepetition(source);
}

/**
 * A conservative guard against catastrophic backtracking: refuses backreferences and any repeated group
 * (`*`, `+`, `{n,}`, `{n,m}` with m > 1) whose body itself repeats (`*`, `+`, `?`, `{`) or alternates (`|`),
 * e.g. `(A+)+`, `(A|AB)*`, `(\.[A-Z]+)*`. Write such values with a character class, or use a mainframe kind.
 */
function nestedRepetition(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'pattern uses a backreference; backreferences are not allowed';
  // Per open group: does its body repeat or alternate?
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') stack.push(false);
    else if (ch === '|' || ch === '*' || ch === '+' || ch === '{' || (ch === '?' && source[i - 1] !== '(')) {
      if (stack.length > 0) stack[stack.length - 1] = true;
    } else if (ch === ')') {
      const complex = stack.pop() ?? false;
      const after = source.slice(i + 1);
      const repeated = /^(?:[*+]|\{\d+,\d*\})/.exec(after);
      const bounded = /^\{(\d+),(\d+)\}/.exec(after);
      const repeats = repeated !== null && !(bounded !== null && Number(bounded[2]) <= 1);
      if (complex && repeats) {
        return 'pattern repeats a group that itself repeats or alternates (catastrophic backtracking); use a character class instead';
      }
      // The group's own quantifier makes the enclosing group complex too.
      if (stack.length > 0 && (complex || /^[*+?{]/.test(after))) stack[stack.length - 1] = true;
    }
  }
  return undefined;
}

/** Compiles a checked pattern: it must match the whole value (`^(?:…)$`), with the `u` flag. */
export function compilePattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, 'u');
}

const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .superRefine((value, ctx) => {
      const problem = controlCharProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const common = {
  name: parameterName,
  description: z.string().max(2000).optional(),
  required: z.boolean().default(true),
};

const count = z.int().min(0).max(MAX_STRING_VALUE);

export const stringParameterSchema = z
  .strictObject({
    ...common,
    kind: z.literal('string'),
    default: text(0, MAX_STRING_VALUE).optional(),
    minLength: count.optional(),
    maxLength: count.optional(),
    pattern: z
      .string()
      .min(1)
      .superRefine((source, ctx) => {
        const problem = patternProblem(source);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  })
  .superRefine((def, ctx) => {
    if (def.minLength !== undefined && def.maxLength !== undefined && def.minLength > def.maxLength) {
      ctx.addIssue({
        code: 'custom',
        path: ['minLength'],
        message: `minLength ${def.minLength} is greater than maxLength ${def.maxLength}`,
      });
    }
  });

export const integerParameterSchema = z
  .strictObject({
    ...common,
    kind: z.literal('integer'),
    default: z.int().optional(),
    min: z.int().optional(),
    max: z.int().optional(),
  })
  .superRefine((def, ctx) => {
    if (def.min !== undefined && def.max !== undefined && def.min > def.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `min ${def.min} is greater than max ${def.max}`,
      });
    }
  });

export const booleanParameterSchema = z.strictObject({
  ...common,
  kind: z.literal('boolean'),
  default: z.boolean().optional(),
});

export const enumParameterSchema = z
  .strictObject({
    ...common,
    kind: z.literal('enum'),
    values: z.array(text(1, 256)).min(1).max(MAX_ENUM_VALUES),
    default: z.string().optional(),
  })
  .superRefine((def, ctx) => {
    const seen = new Set<string>();
    def.values.forEach((v, i) => {
      if (seen.has(v))
        ctx.addIssue({ code: 'custom', path: ['values', i], message: `'${v}' is listed twice` });
      seen.add(v);
    });
  });

export const datasetParameterSchema = z.strictObject({
  ...common,
  kind: z.literal('dataset'),
  default: z.string().optional(),
  /** Accept `A.B.C(MEMBER)`. Default false. */
  allowMember: z.boolean().default(false),
  /** Accept a relative generation `A.B.C(+1)`, `(0)`, `(-1)`. Default false. */
  allowGdg: z.boolean().default(false),
});

const shortNameSchema = <K extends ShortNameKind>(kind: K) =>
  z.strictObject({ ...common, kind: z.literal(kind), default: z.string().optional() });

export const memberParameterSchema = shortNameSchema('member');
export const programParameterSchema = shortNameSchema('program');
export const ddnameParameterSchema = shortNameSchema('ddname');
export const jobnameParameterSchema = shortNameSchema('jobname');
export const qualifierParameterSchema = shortNameSchema('qualifier');

export const parameterDefinitionSchema = z.discriminatedUnion('kind', [
  stringParameterSchema,
  integerParameterSchema,
  booleanParameterSchema,
  enumParameterSchema,
  datasetParameterSchema,
  memberParameterSchema,
  programParameterSchema,
  ddnameParameterSchema,
  jobnameParameterSchema,
  qualifierParameterSchema,
]);

export type ParameterDefinition = z.output<typeof parameterDefinitionSchema>;
export type ParameterDefinitionInput = z.input<typeof parameterDefinitionSchema>;
export type ParameterKind = ParameterDefinition['kind'];
export const PARAMETER_KINDS: readonly ParameterKind[] = [
  'string',
  'integer',
  'boolean',
  'enum',
  'dataset',
  'member',
  'program',
  'ddname',
  'jobname',
  'qualifier',
];

/**
 * Cross-parameter rules stored with a template — a closed set; each checks only the parameters that
 * have a valid value (after defaults); a parameter that is absent or already wrong is left out:
 * - `differs`: the values are pairwise different (e.g. input and output data sets);
 * - `sameHighLevelQualifier`: dataset/qualifier parameters share one first qualifier (e.g. one owner);
 * - `maxTotalLength`: the values joined with `separator` (default '') are at most `max` characters
 *   (e.g. `{{HLQ}}.{{APP}}.{{LLQ}}` within 44: params [HLQ, APP, LLQ], separator '.', max 44);
 * - `allOrNone`: either all of the parameters have a value or none has;
 * - `atMostOne`: at most one of the parameters has a value.
 */
const ruleParams = (min: number) => z.array(parameterName).min(min).max(32);

export const parameterRuleSchema = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('differs'), params: ruleParams(2) }),
  z.strictObject({ rule: z.literal('sameHighLevelQualifier'), params: ruleParams(2) }),
  z.strictObject({
    rule: z.literal('maxTotalLength'),
    params: ruleParams(1),
    max: z.int().min(1).max(1_000_000),
    separator: z.string().max(8).default(''),
  }),
  z.strictObject({ rule: z.literal('allOrNone'), params: ruleParams(2) }),
  z.strictObject({ rule: z.literal('atMostOne'), params: ruleParams(2) }),
]);

export type ParameterRule = z.output<typeof parameterRuleSchema>;
export type ParameterRuleInput = z.input<typeof parameterRuleSchema>;
export type ParameterRuleName = ParameterRule['rule'];

/** A value's problems against its definition's kind (defaults are checked with it). See validateParameters. */
export type KindCheck = (
  def: ParameterDefinition,
  raw: unknown,
) => { value?: ParameterValue; problems: string[] };
export type ParameterValue = string | number | boolean;

export const parameterSetSchema = z
  .strictObject({
    parameters: z.array(parameterDefinitionSchema).max(MAX_PARAMETERS),
    rules: z.array(parameterRuleSchema).max(MAX_RULES).default([]),
  })
  .superRefine((set, ctx) => {
    const byName = new Map<string, ParameterDefinition>();
    const byFolded = new Map<string, string>();
    set.parameters.forEach((def, i) => {
      const folded = def.name.toUpperCase();
      const clash = byFolded.get(folded);
      if (clash !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', i, 'name'],
          message:
            clash === def.name
              ? `parameter '${def.name}' is defined twice`
              : `parameter '${def.name}' differs from '${clash}' only by case; names must differ regardless of case`,
        });
      } else {
        byFolded.set(folded, def.name);
        byName.set(def.name, def);
      }
      for (const problem of defaultProblems(def)) {
        ctx.addIssue({ code: 'custom', path: ['parameters', i, 'default'], message: problem });
      }
    });
    set.rules.forEach((rule, i) => {
      const seen = new Set<string>();
      rule.params.forEach((name, j) => {
        const path = ['rules', i, 'params', j];
        const def = byName.get(name);
        if (seen.has(name)) ctx.addIssue({ code: 'custom', path, message: `'${name}' is listed twice` });
        seen.add(name);
        if (!def) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `rule ${rule.rule} names '${name}', which is not a parameter`,
          });
        } else if (
          rule.rule === 'sameHighLevelQualifier' &&
          def.kind !== 'dataset' &&
          def.kind !== 'qualifier'
        ) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `rule sameHighLevelQualifier applies to dataset and qualifier parameters; '${name}' is a ${def.kind}`,
          });
        } else if (rule.rule === 'maxTotalLength' && def.kind === 'boolean') {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `rule maxTotalLength applies to text and integer parameters; '${name}' is a boolean`,
          });
        }
      });
    });
  });

export type ParameterSet = z.output<typeof parameterSetSchema>;
export type ParameterSetInput = z.input<typeof parameterSetSchema>;
/** Definitions as accepted by the functions here: a full set (with rules) or just the list of parameters. */
export type ParameterDefinitions = ParameterSetInput | readonly ParameterDefinitionInput[];

/**
 * Parses stored definitions (JSON) into a `ParameterSet`, applying defaults (`required: true`, `rules: []`,
 * `allowMember`/`allowGdg: false`); throws a ValidationError naming every bad field.
 */
export function parseParameterSet(definitions: unknown): ParameterSet {
  const input = Array.isArray(definitions) ? { parameters: definitions } : definitions;
  return validateInput(parameterSetSchema, input, 'definitions');
}

/** The problems of a definition's default against the definition itself. */
function defaultProblems(def: ParameterDefinition): string[] {
  if (def.default === undefined) return [];
  return checkValue(def, def.default).problems.map((p) => `default ${p}`);
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

function typeName(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  return article(typeof raw);
}

const KIND_LABELS: Record<ParameterKind, string> = {
  string: 'text',
  integer: 'integer',
  boolean: 'boolean',
  enum: 'one of the listed values',
  dataset: 'data set name',
  member: 'member name',
  program: 'program name',
  ddname: 'DD name',
  jobname: 'job name',
  qualifier: 'qualifier',
};

/**
 * Checks one given value (not undefined/null) against its definition and normalises it:
 * mainframe names upper-cased, integers given as decimal text turned into numbers, 'true'/'false' into
 * booleans. Returns the value, or every rule it breaks.
 */
export const checkValue: KindCheck = (def, raw) => {
  switch (def.kind) {
    case 'integer': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^[+-]?[0-9]{1,16}$/.test(raw)) n = Number(raw);
      else
        return {
          problems: [
            `expected an integer, got ${typeName(raw)}${typeof raw === 'string' ? ` '${clip(raw)}'` : ''}`,
          ],
        };
      if (!Number.isSafeInteger(n)) return { problems: [`${n} is not a safe integer`] };
      const problems: string[] = [];
      if (def.min !== undefined && n < def.min) problems.push(`${n} is less than the minimum ${def.min}`);
      if (def.max !== undefined && n > def.max) problems.push(`${n} is greater than the maximum ${def.max}`);
      return problems.length ? { problems } : { value: n, problems };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw, problems: [] };
      if (raw === 'true' || raw === 'false') return { value: raw === 'true', problems: [] };
      return { problems: [`expected a boolean (true or false), got ${typeName(raw)}`] };
    }
    default:
      break;
  }
  if (typeof raw !== 'string') {
    return { problems: [`expected ${article(KIND_LABELS[def.kind])} (text), got ${typeName(raw)}`] };
  }
  if (raw.length > MAX_STRING_VALUE) {
    return { problems: [`value is ${raw.length} characters; a value holds at most ${MAX_STRING_VALUE}`] };
  }
  const control = controlCharProblem(raw);
  if (control) return { problems: [control] };
  switch (def.kind) {
    case 'string': {
      const problems: string[] = [];
      const length = raw.length;
      if (def.minLength !== undefined && length < def.minLength) {
        problems.push(`value is ${length} characters; at least ${def.minLength} required`);
      }
      if (def.maxLength !== undefined && length > def.maxLength) {
        problems.push(`value is ${length} characters; at most ${def.maxLength} allowed`);
      }
      if (def.pattern !== undefined) {
        if (length > MAX_PATTERN_VALUE) {
          problems.push(
            `value is ${length} characters; a value checked against a pattern holds at most ${MAX_PATTERN_VALUE}`,
          );
        } else if (!compilePattern(def.pattern).test(raw)) {
          problems.push(`'${clip(raw)}' does not match the pattern ${def.pattern}`);
        }
      }
      return problems.length ? { problems } : { value: raw, problems };
    }
    case 'enum':
      return def.values.includes(raw)
        ? { value: raw, problems: [] }
        : { problems: [`'${clip(raw)}' is not one of ${def.values.map((v) => `'${v}'`).join(', ')}`] };
    case 'dataset': {
      const check = checkDatasetName(raw, { allowMember: def.allowMember, allowGdg: def.allowGdg });
      return check.problems.length ? { problems: check.problems } : { value: check.normalized, problems: [] };
    }
    default: {
      const check = checkShortName(raw, def.kind);
      return check.problems.length ? { problems: check.problems } : { value: check.normalized, problems: [] };
    }
  }
};

function clip(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
