import { ValidationError, type ValidationIssue } from '@mainframe-kb/storage-core';
import Mustache from 'mustache';
import type { ParameterDefinitions } from '../params/schema.js';
import { parameterNameProblem } from '../params/schema.js';

/**
 * Template checking on mustache.js 4.2.0, restricted to a safe subset:
 * - allowed tags: `{{name}}`, `{{{name}}}` / `{{&name}}` (the same: nothing is escaped), sections
 *   `{{#name}}…{{/name}}` and inverted sections `{{^name}}…{{/name}}` over declared parameters, and
 *   comments `{{! … }}`;
 * - every name must be a declared parameter: a plain identifier — no dotted names (`a.b` walks into
 *   JavaScript objects), no implicit iterator `{{.}}`, no reserved name (`constructor`, `__proto__` …);
 * - refused: partials `{{> x}}` (no partials are ever passed either), delimiter changes `{{=<% %>=}}`
 *   (refused rather than followed: one tag syntax to review, and a template cannot hide tags behind
 *   other delimiters), unbalanced sections and unclosed tags, sections nested deeper than
 *   MAX_SECTION_DEPTH, templates longer than MAX_TEMPLATE_LENGTH.
 * Templates are parsed by a private mustache Writer whose template cache is disabled and with the tags
 * given explicitly, so neither the global cache (`Mustache.templateCache`) nor a global `Mustache.tags`
 * set by other code can change what is parsed, and token arrays are never shared with other callers.
 */

export const MAX_TEMPLATE_LENGTH = 1_000_000;
export const MAX_SECTION_DEPTH = 16;
/** The only tags: mustache's defaults, passed explicitly on every parse. */
export const TEMPLATE_TAGS: Mustache.OpeningAndClosingTags = ['{{', '}}'];

export type TemplateProblemKind =
  | 'too-large' // the template exceeds MAX_TEMPLATE_LENGTH
  | 'syntax' // mustache cannot parse it: an unclosed tag
  | 'unbalanced-section' // a section closed without being opened, or opened and never closed / closed by another name
  | 'partial' // {{> name}}
  | 'delimiter-change' // {{=<% %>=}}
  | 'invalid-name' // not an identifier (dotted, `.`, spaces, Handlebars helpers …) or a reserved name
  | 'unknown-name' // a valid name that is not a declared parameter
  | 'too-deep'; // sections nested deeper than MAX_SECTION_DEPTH

export interface TemplateProblem {
  kind: TemplateProblemKind;
  message: string;
  /** The tag's name or content, when the problem is about a tag. */
  name?: string;
  /** 1-based line and column of the tag (or of the parse error). */
  line: number;
  column: number;
}

export interface TemplateCheck {
  ok: boolean;
  problems: TemplateProblem[];
  /** Distinct valid names referenced by the template, in order of first use. */
  variables: string[];
  /** Declared parameters the template never references (not a problem; for authors' information). */
  unused: string[];
}

/** A mustache token: [type, value, start, end, children?, …]. */
type Token = [string, string, number, number, ...unknown[]];

/** A private writer: same parser as Mustache.parse, but no template cache (see the module comment). */
function privateWriter(): Mustache.Writer {
  const writer = new Mustache.Writer();
  // mustache 4.2.0 Writer.parse() reads and fills `this.templateCache` only when it is defined.
  Reflect.set(writer, 'templateCache', undefined);
  return writer;
}
const writer = privateWriter();

export interface ParsedTemplate {
  tokens: Token[];
  problems: TemplateProblem[];
  /** Valid names referenced, in order of first use. */
  variables: string[];
}

function position(content: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), content.length);
  for (let i = content.indexOf('\n'); i >= 0 && i < end; i = content.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Parses a template with the private writer and walks its tokens, returning the tokens (to render exactly
 * what was checked), every structural problem, and the names referenced. `known` (when given) is the set
 * of declared names; names outside it are `unknown-name` problems.
 */
export function parseTemplate(content: string, known?: ReadonlySet<string>): ParsedTemplate {
  if (typeof content !== 'string') {
    return {
      tokens: [],
      variables: [],
      problems: [{ kind: 'syntax', message: 'a template is text', line: 1, column: 1 }],
    };
  }
  if (content.length > MAX_TEMPLATE_LENGTH) {
    return {
      tokens: [],
      variables: [],
      problems: [
        {
          kind: 'too-large',
          message: `the template is ${content.length} characters; a template holds at most ${MAX_TEMPLATE_LENGTH}`,
          line: 1,
          column: 1,
        },
      ],
    };
  }
  let tokens: Token[];
  try {
    tokens = writer.parse(content, TEMPLATE_TAGS) as Token[];
  } catch (error) {
    return { tokens: [], variables: [], problems: [parseErrorProblem(content, (error as Error).message)] };
  }

  const problems: TemplateProblem[] = [];
  const variables: string[] = [];
  const seen = new Set<string>();
  const add = (kind: TemplateProblemKind, token: Token, message: string) => {
    const where = position(content, token[2]);
    problems.push({
      kind,
      name: token[1],
      message: `line ${where.line}, column ${where.column}: ${message}`,
      ...where,
    });
  };
  const tag = (token: Token) => `'${clip(content.slice(token[2], token[3]))}'`;

  const walk = (list: Token[], depth: number) => {
    for (const token of list) {
      const [type, value] = token;
      switch (type) {
        case 'text':
        case '!':
          break;
        case '>':
          add('partial', token, `partials are not allowed: ${tag(token)}`);
          break;
        case '=':
          add('delimiter-change', token, `delimiter changes are not allowed: ${tag(token)}`);
          break;
        case 'name':
        case '&':
        case '#':
        case '^': {
          const problem = parameterNameProblem(value);
          if (problem) {
            add('invalid-name', token, `${tag(token)} does not name a parameter: ${problem}`);
          } else {
            if (known && !known.has(value)) {
              add('unknown-name', token, `${tag(token)} names '${value}', which is not a declared parameter`);
            } else if (!seen.has(value)) {
              seen.add(value);
              variables.push(value);
            }
          }
          if (type === '#' || type === '^') {
            if (depth + 1 > MAX_SECTION_DEPTH) {
              add('too-deep', token, `sections are nested more than ${MAX_SECTION_DEPTH} deep`);
            } else {
              walk((token[4] as Token[] | undefined) ?? [], depth + 1);
            }
          }
          break;
        }
        default:
          add('syntax', token, `unsupported tag ${tag(token)}`);
      }
    }
  };
  walk(tokens, 0);
  return { tokens, problems, variables };
}

/**
 * Turns a mustache parse error into a problem located at the offending tag. mustache reports the end of
 * the template for an unclosed tag or a section never closed; the tag is found again here instead.
 */
function parseErrorProblem(content: string, message: string): TemplateProblem {
  const at = /at (\d+)$/.exec(message);
  let offset = at ? Number(at[1]) : 0;
  const section = /section "(.*)"/.exec(message)?.[1];
  let text = message.replace(/ at \d+$/, '');
  let kind: TemplateProblemKind = 'syntax';
  if (/^Unclosed tag/.test(message)) {
    const open = unclosedTag(content);
    if (open !== undefined) {
      offset = open;
      text = `tag '${clip(content.slice(open, open + 40).split('\n')[0] ?? '')}' is never closed`;
    }
  } else if (section !== undefined) {
    kind = 'unbalanced-section';
    if (/^Unclosed section/.test(message) && offset >= content.length) {
      const open = lastSectionOpening(content, section);
      if (open !== undefined) offset = open;
      text = `section '${section}' is opened here and never closed`;
    } else if (/^Unclosed section/.test(message)) {
      const closing = /^\{\{[^}]*\}\}/.exec(content.slice(offset))?.[0] ?? 'a closing tag';
      text = `section '${section}' is still open where ${clip(closing)} closes another section`;
    } else {
      text = `section '${section}' is closed here but was never opened`;
    }
  }
  const where = position(content, offset);
  return {
    kind,
    message: `line ${where.line}, column ${where.column}: ${text}`,
    ...(section === undefined ? {} : { name: section }),
    ...where,
  };
}

/** The offset of the first `{{` (or `{{{`) without its closing `}}` (`}}}`), scanning as mustache does. */
function unclosedTag(content: string): number | undefined {
  let pos = 0;
  for (;;) {
    const open = content.indexOf('{{', pos);
    if (open < 0) return undefined;
    const triple = content[open + 2] === '{';
    const close = content.indexOf(triple ? '}}}' : '}}', open + (triple ? 3 : 2));
    if (close < 0) return open;
    pos = close + (triple ? 3 : 2);
  }
}

/** The offset of the last opening tag `{{#name}}` / `{{^name}}` of a section. */
function lastSectionOpening(content: string, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let found: number | undefined;
  for (const match of content.matchAll(new RegExp(`\\{\\{\\s*[#^]\\s*${escaped}\\s*\\}\\}`, 'g'))) {
    found = match.index;
  }
  return found;
}

/** The names of the definitions (a set with rules, or just the list). */
export function declaredNames(definitions: ParameterDefinitions): string[] {
  const list = Array.isArray(definitions)
    ? (definitions as readonly { name: unknown }[])
    : ((definitions as { parameters?: readonly { name: unknown }[] }).parameters ?? []);
  return list.map((d) => d.name).filter((n): n is string => typeof n === 'string');
}

/**
 * The distinct parameter names a template references (values, raw values, sections, inverted sections),
 * in order of first use. Throws a ValidationError when the template cannot be parsed or uses a refused
 * construct (partials, delimiter changes, names that are not identifiers).
 */
export function templateVariables(content: string): string[] {
  const parsed = parseTemplate(content);
  if (parsed.problems.length > 0) throw templateError(parsed.problems);
  return parsed.variables;
}

/**
 * Checks a template against its parameter definitions, at definition time: lists every problem — names
 * not declared, partials, delimiter changes, invalid names, unbalanced sections / unclosed tags (a parse
 * error stops the parse, so it is reported alone), too deep, too large. Never throws for a bad template.
 */
export function checkTemplate(content: string, definitions: ParameterDefinitions): TemplateCheck {
  const names = declaredNames(definitions);
  const parsed = parseTemplate(content, new Set(names));
  const used = new Set(parsed.variables);
  return {
    ok: parsed.problems.length === 0,
    problems: parsed.problems,
    variables: parsed.variables,
    unused: names.filter((n) => !used.has(n)),
  };
}

/** Like checkTemplate, but throws a ValidationError listing every problem. */
export function assertTemplate(content: string, definitions: ParameterDefinitions): void {
  const check = checkTemplate(content, definitions);
  if (!check.ok) throw templateError(check.problems);
}

export function templateIssues(problems: readonly TemplateProblem[]): ValidationIssue[] {
  return problems.map((p) => ({ path: 'content', message: p.message }));
}

export function templateError(problems: readonly TemplateProblem[]): ValidationError {
  const n = problems.length;
  return new ValidationError(
    `Invalid template (${n} problem${n === 1 ? '' : 's'}): ${problems.map((p) => p.message).join('; ')}`,
    templateIssues(problems),
  );
}

function clip(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
