import { checkOutput } from '../format/index.js';
import { parseParameterSet, validateParameters } from '../params/index.js';
import { assertTemplate, renderTemplate } from '../render/index.js';
import type { TemplateLanguage } from '../schema/templates-database.js';
import type { OutputProblem } from '../types.js';

/**
 * A version's definition checked before it is stored: the parameter definitions and rules parse (every
 * problem named), and the content uses only declared parameters and allowed tags (no partials, no delimiter
 * changes, no dotted names). Returns the definitions as they will be stored (defaults filled in).
 */
export function checkDefinition(
  content: string,
  parameters: readonly unknown[],
  rules: readonly unknown[],
): { parameters: unknown[]; rules: unknown[] } {
  const set = parseParameterSet({ parameters, rules });
  assertTemplate(content, set);
  return { parameters: [...set.parameters], rules: [...set.rules] };
}

/**
 * Validates the values (every bad or missing one named), renders the version with them, and checks the output
 * for its language, wrapping lines where the language allows it when `wrap` is set.
 */
export function renderChecked(
  content: string,
  parameters: readonly unknown[],
  rules: readonly unknown[],
  values: unknown,
  language: TemplateLanguage,
  wrap: boolean,
): { text: string; wrapped: number[]; problems: OutputProblem[]; values: Record<string, unknown> } {
  const set = parseParameterSet({ parameters, rules });
  const valid = validateParameters(set, values).values;
  const text = renderTemplate(content, valid, { definitions: set });
  const checked = checkOutput(text, language, { wrap });
  return {
    text: checked.text,
    wrapped: [...checked.wrapped],
    problems: [...checked.problems],
    values: valid,
  };
}
