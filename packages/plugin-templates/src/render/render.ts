import { ValidationError, type ValidationIssue } from '@mainframe-kb/storage-core';
import Mustache from 'mustache';
import { controlCharProblem, type ParameterDefinitions, parameterNameProblem } from '../params/schema.js';
import { declaredNames, parseTemplate, TEMPLATE_TAGS, templateIssues } from './check.js';

/** A value a template can receive: primitives only (no objects, arrays or functions — hence no lambdas). */
export type RenderValue = string | number | boolean;

export interface RenderTemplateOptions {
  /**
   * The template's parameter definitions. When given, the template may reference exactly these names
   * (an optional parameter without a value renders empty / skips its section) and a value for any other
   * name is refused. Without them, the names of `values` are the declared names.
   */
  definitions?: ParameterDefinitions;
}

/** Output verbatim: COBOL and JCL are not HTML. Passed per call, so the global `Mustache.escape` is untouched. */
const verbatim = (value: unknown): string => String(value);

/**
 * Renders a template with mustache.js, hardened (see check.ts for the accepted subset):
 * - the content is parsed by a private, cache-less writer and checked first; any problem (unknown or
 *   invalid name, partial, delimiter change, unbalanced section …) throws a ValidationError, and the very
 *   tokens that were checked are the ones rendered;
 * - the view is a null-prototype object holding only the given values, each a string, finite number or
 *   boolean, so a lookup can reach neither `Object.prototype` nor a function (no lambda can run); text
 *   values with a control character (line break …) are refused;
 * - no partials are passed and no HTML escaping is done (`{{x}}` and `{{{x}}}` both output the value
 *   exactly); the global `Mustache.escape`, `Mustache.tags` and `Mustache.templateCache` are neither read
 *   for parsing/escaping nor changed;
 * - deterministic: same content and values give the same string (no clock, no randomness, no cache).
 * Sections render their body once when the value is truthy (non-empty text, non-zero number, true);
 * inverted sections when it is falsy or absent.
 */
export function renderTemplate(
  content: string,
  values: Readonly<Record<string, RenderValue>>,
  options: RenderTemplateOptions = {},
): string {
  const declared = options.definitions ? new Set(declaredNames(options.definitions)) : undefined;
  const { view, issues } = buildView(values, declared);
  const parsed = parseTemplate(content, declared ?? new Set(Object.keys(view)));
  issues.push(...templateIssues(parsed.problems));
  if (issues.length > 0) throw renderError(issues);
  return renderTokens(parsed.tokens, content, view);
}

/** A template checked and parsed once, to render many times (the tokens are private and frozen). */
export interface CompiledTemplate {
  readonly content: string;
  /** Distinct parameter names referenced, in order of first use. */
  readonly variables: readonly string[];
  /** Renders with the given values; same rules and errors as renderTemplate with `definitions`. */
  render(values: Readonly<Record<string, RenderValue>>): string;
}

/**
 * Checks and parses a template against its definitions once (throws a ValidationError listing every
 * problem), and returns a renderer: mustache's parse is most of a render's cost, so repeated renders
 * (previews, batches) should compile once. Equivalent to renderTemplate(content, values, { definitions }).
 */
export function compileTemplate(content: string, definitions: ParameterDefinitions): CompiledTemplate {
  const declared = new Set(declaredNames(definitions));
  const parsed = parseTemplate(content, declared);
  if (parsed.problems.length > 0) throw renderError(templateIssues(parsed.problems));
  const tokens = deepFreeze(parsed.tokens);
  const variables = Object.freeze([...parsed.variables]);
  return Object.freeze({
    content,
    variables,
    render(values: Readonly<Record<string, RenderValue>>): string {
      const { view, issues } = buildView(values, declared);
      if (issues.length > 0) throw renderError(issues);
      return renderTokens(tokens, content, view);
    },
  });
}

/** The view: a null-prototype object of the valid values; and the problems of the others. */
function buildView(
  values: Readonly<Record<string, RenderValue>>,
  declared: ReadonlySet<string> | undefined,
): { view: Record<string, RenderValue>; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const view: Record<string, RenderValue> = Object.create(null);
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    issues.push({ path: '', message: 'values must be an object of name → value' });
    return { view, issues };
  }
  for (const name of Object.keys(values)) {
    const value: unknown = values[name];
    const nameProblem = parameterNameProblem(name);
    if (nameProblem) {
      issues.push({ path: name, message: nameProblem });
      continue;
    }
    if (declared && !declared.has(name)) {
      issues.push({ path: name, message: `'${name}' is not a declared parameter of this template` });
      continue;
    }
    if (value === undefined) continue;
    const problem = valueProblem(value);
    if (problem) issues.push({ path: name, message: problem });
    else view[name] = value as RenderValue;
  }
  return { view, issues };
}

/** Renders checked tokens with a fresh writer: nothing is shared between templates or with other users. */
function renderTokens(
  tokens: readonly unknown[],
  content: string,
  view: Record<string, RenderValue>,
): string {
  const writer = new Mustache.Writer();
  Reflect.set(writer, 'templateCache', undefined);
  return writer.renderTokens(tokens as string[][], new Mustache.Context(view), undefined, content, {
    escape: verbatim,
    tags: TEMPLATE_TAGS,
  });
}

function renderError(issues: readonly ValidationIssue[]): ValidationError {
  const n = issues.length;
  return new ValidationError(
    `Cannot render the template (${n} problem${n === 1 ? '' : 's'}): ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    issues,
  );
}

function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

function valueProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return controlCharProblem(value);
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${value} is not a finite number`;
    default:
      return `a value is text, a number or a boolean, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`;
  }
}
