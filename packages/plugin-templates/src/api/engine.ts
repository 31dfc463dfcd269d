import { checkOutput } from '../format/index.js';
import { parseParameterSet, validateParameters } from '../params/index.js';
import { assertTemplate, type CompiledTemplate, compileTemplate } from '../render/index.js';
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

/** Compiled versions, by content hash: versions are immutable, so a compiled one never goes stale. */
const compiled = new Map<string, { template: CompiledTemplate; set: ReturnType<typeof parseParameterSet> }>();
const COMPILED_VERSIONS = 256;

/** A version parsed and checked once (mustache's parse is most of a render's cost), then reused. */
function compiledVersion(
  hash: string,
  content: string,
  parameters: readonly unknown[],
  rules: readonly unknown[],
): { template: CompiledTemplate; set: ReturnType<typeof parseParameterSet> } {
  const found = compiled.get(hash);
  if (found && found.template.content === content) return found;
  const set = parseParameterSet({ parameters, rules });
  const entry = { template: compileTemplate(content, set), set };
  compiled.set(hash, entry);
  if (compiled.size > COMPILED_VERSIONS) compiled.delete(compiled.keys().next().value!);
  return entry;
}

/**
 * Validates the values (every bad or missing one named), renders the version with them, and checks the output
 * for its language, wrapping lines where the language allows it when `wrap` is set. `hash` is the version's
 * content hash: the compiled version is kept under it.
 */
export function renderChecked(
  hash: string,
  content: string,
  parameters: readonly unknown[],
  rules: readonly unknown[],
  values: unknown,
  language: TemplateLanguage,
  wrap: boolean,
): { text: string; wrapped: number[]; problems: OutputProblem[]; values: Record<string, unknown> } {
  const { template, set } = compiledVersion(hash, content, parameters, rules);
  const valid = validateParameters(set, values).values;
  const text = template.render(valid);
  const checked = checkOutput(text, language, { wrap });
  return {
    text: checked.text,
    wrapped: [...checked.wrapped],
    problems: [...checked.problems],
    values: valid,
  };
}
