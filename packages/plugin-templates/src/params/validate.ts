import { ValidationError, type ValidationIssue } from '@mainframe-kb/storage-core';
import {
  checkValue,
  type ParameterDefinitions,
  type ParameterRule,
  type ParameterValue,
  parseParameterSet,
} from './schema.js';
import { highLevelQualifier } from './zos-names.js';

/** Validated, normalised parameter values; a null-prototype object holding only declared parameters. */
export type ParameterValues = Record<string, ParameterValue>;

export interface ValidatedParameters {
  values: ParameterValues;
}

/**
 * Validates the values given for a template's parameters against its definitions (and their rules) and
 * returns them normalised, with defaults applied. Throws one ValidationError listing EVERY problem —
 * each missing required parameter, each value of the wrong type or breaking its kind's rules, each
 * unknown parameter given, each cross-parameter rule broken — with the parameter name as the path
 * (`rules.N` for a rule). Bad definitions throw a ValidationError too (paths under `definitions.`).
 *
 * - `undefined` and `null` mean "not given": the default applies, else a required parameter is missing
 *   and an optional one stays absent from the result.
 * - Normalisation: data set, member, program, DD, job names and qualifiers are upper-cased (z/OS names
 *   are upper case; ASCII a–z only); integers may be given as decimal text ('42'); booleans as
 *   'true'/'false'; `string` and `enum` values are kept exactly (no trimming, no case change).
 * - No text value may contain a control character (line break, tab …): a value goes into one source line,
 *   and a line break in a value would add JCL statements or COBOL lines the template never had.
 */
export function validateParameters(definitions: ParameterDefinitions, values: unknown): ValidatedParameters {
  const set = parseParameterSet(definitions);
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new ValidationError('Invalid template parameters: expected an object of name → value', [
      { path: '', message: 'expected an object of name → value' },
    ]);
  }
  const given = values as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const result: ParameterValues = Object.create(null);
  /** Parameters given (valid or not) or defaulted: what allOrNone / atMostOne count. */
  const supplied = new Set<string>();

  for (const def of set.parameters) {
    const raw = Object.hasOwn(given, def.name) ? given[def.name] : undefined;
    if (raw === undefined || raw === null) {
      if (def.default !== undefined) {
        supplied.add(def.name);
        const check = checkValue(def, def.default);
        if (check.value !== undefined) result[def.name] = check.value;
      } else if (def.required) {
        issues.push({ path: def.name, message: `required parameter ${def.name} is missing` });
      }
      continue;
    }
    supplied.add(def.name);
    const check = checkValue(def, raw);
    if (check.value !== undefined) result[def.name] = check.value;
    else for (const message of check.problems) issues.push({ path: def.name, message });
  }

  const declared = new Map(set.parameters.map((d) => [d.name.toUpperCase(), d.name]));
  for (const key of Object.keys(given)) {
    if (set.parameters.some((d) => d.name === key)) continue;
    const near = declared.get(key.toUpperCase());
    const hint = near
      ? `; did you mean ${near}?`
      : set.parameters.length > 0
        ? `; the template declares ${listNames(set.parameters.map((d) => d.name))}`
        : '; the template declares no parameters';
    issues.push({ path: key, message: `unknown parameter '${clip(key)}'${hint}` });
  }

  set.rules.forEach((rule, i) => {
    for (const message of ruleProblems(rule, result, supplied)) issues.push({ path: `rules.${i}`, message });
  });

  if (issues.length > 0) {
    const n = issues.length;
    throw new ValidationError(
      `Invalid template parameters (${n} problem${n === 1 ? '' : 's'}): ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return { values: result };
}

/** The problems of one cross-parameter rule over the valid values (absent or invalid parameters left out). */
function ruleProblems(rule: ParameterRule, values: ParameterValues, supplied: ReadonlySet<string>): string[] {
  const present = rule.params.filter((p) => Object.hasOwn(values, p));
  const given = rule.params.filter((p) => supplied.has(p));
  switch (rule.rule) {
    case 'differs': {
      const problems: string[] = [];
      for (let a = 0; a < present.length; a++) {
        for (let b = a + 1; b < present.length; b++) {
          const pa = present[a]!;
          const pb = present[b]!;
          if (String(values[pa]) === String(values[pb])) {
            problems.push(`${pa} and ${pb} must differ; both are '${String(values[pa])}'`);
          }
        }
      }
      return problems;
    }
    case 'sameHighLevelQualifier': {
      const hlqs = present.map((p) => ({ p, hlq: highLevelQualifier(String(values[p])) }));
      const distinct = new Set(hlqs.map((h) => h.hlq));
      if (distinct.size <= 1) return [];
      return [
        `${rule.params.join(', ')} must share one high-level qualifier; found ${hlqs.map((h) => `${h.hlq} (${h.p})`).join(', ')}`,
      ];
    }
    case 'maxTotalLength': {
      if (present.length === 0) return [];
      const joined = present.map((p) => String(values[p])).join(rule.separator);
      if (joined.length <= rule.max) return [];
      const how = rule.separator ? ` joined by '${rule.separator}'` : ' together';
      return [`${present.join(', ')}${how} make ${joined.length} characters; at most ${rule.max} allowed`];
    }
    case 'allOrNone': {
      if (given.length === 0 || given.length === rule.params.length) return [];
      const missing = rule.params.filter((p) => !supplied.has(p));
      return [
        `give all of ${rule.params.join(', ')} or none; ${given.join(', ')} given, ${missing.join(', ')} missing`,
      ];
    }
    case 'atMostOne': {
      if (given.length <= 1) return [];
      return [`give at most one of ${rule.params.join(', ')}; ${given.length} given: ${given.join(', ')}`];
    }
  }
}

function listNames(names: string[], max = 20): string {
  return names.length > max
    ? `${names.slice(0, max).join(', ')} … (${names.length} in all)`
    : names.join(', ');
}

function clip(value: string, max = 64): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
