/**
 * Language checks of rendered template output: fixed-format COBOL and z/OS JCL column rules, with optional
 * wrapping of lines that run past the last usable column. Pure: no I/O.
 */
import { checkCobol, wrapCobol } from './cobol.js';
import { checkJcl, wrapJcl } from './jcl.js';
import { joinLines, splitLines } from './lines.js';
import type {
  CheckOutputOptions,
  CheckOutputResult,
  OutputLanguage,
  OutputProblem,
  WrapOutcome,
} from './types.js';

export { checkCobol, wrapCobol } from './cobol.js';
export { checkJcl, wrapJcl } from './jcl.js';
export type {
  CheckOutputOptions,
  CheckOutputResult,
  CobolRule,
  JclRule,
  OutputLanguage,
  OutputProblem,
  OutputRule,
} from './types.js';
export { COBOL_RULES, JCL_RULES } from './types.js';

const LANGUAGES: Record<
  Exclude<OutputLanguage, 'text'>,
  { check: (lines: readonly string[]) => OutputProblem[]; wrap: (lines: readonly string[]) => WrapOutcome }
> = {
  cobol: { check: checkCobol, wrap: wrapCobol },
  jcl: { check: checkJcl, wrap: wrapJcl },
};

/**
 * Checks rendered output against its language's column rules. With `wrap`, lines running past the last usable
 * column (72 for COBOL, 71 for JCL) are wrapped where the language allows; valid lines are never changed.
 * Problems refer to lines of the returned `text`; `wrapped` lists the input lines that were wrapped.
 */
export function checkOutput(
  text: string,
  language: OutputLanguage,
  options: CheckOutputOptions = {},
): CheckOutputResult {
  if (language === 'text') return { text, problems: [], wrapped: [] };
  const rules = LANGUAGES[language];
  const split = splitLines(text);
  const outcome: WrapOutcome = options.wrap
    ? rules.wrap(split.lines)
    : { lines: split.lines, wrapped: [], problems: [] };
  const problems = [...rules.check(outcome.lines), ...outcome.problems].sort(
    (a, b) =>
      a.line - b.line || (a.column ?? Number.MAX_SAFE_INTEGER) - (b.column ?? Number.MAX_SAFE_INTEGER),
  );
  return {
    text: outcome.wrapped.length > 0 ? joinLines(split, outcome.lines) : text,
    problems,
    wrapped: outcome.wrapped,
  };
}
