/** Languages `checkOutput` knows; `text` is passed through unchecked. */
export type OutputLanguage = 'cobol' | 'jcl' | 'text';

/** One rule broken by one line of rendered output. `line` and `column` are 1-based and refer to the returned text. */
export interface OutputProblem {
  line: number;
  column?: number;
  rule: OutputRule;
  message: string;
}

export interface CheckOutputOptions {
  /** Re-lay out lines that run past the last usable column, where the language allows it. Valid lines are never changed. */
  wrap?: boolean;
}

export interface CheckOutputResult {
  /** The checked text: the input itself, or the wrapped text when `wrap` is set. */
  text: string;
  /** Problems left in `text` (an empty list means the output is valid for its language). */
  problems: OutputProblem[];
  /** 1-based numbers of the INPUT lines that were wrapped (each became two or more lines of `text`). */
  wrapped: number[];
}

export const COBOL_RULES = [
  'cobol/tab',
  'cobol/sequence-area',
  'cobol/indicator',
  'cobol/beyond-column-72',
  'cobol/area-a',
  'cobol/area-b',
  'cobol/continuation',
  'cobol/unwrappable',
] as const;

export const JCL_RULES = [
  'jcl/tab',
  'jcl/identifier',
  'jcl/name',
  'jcl/operation',
  'jcl/beyond-column-71',
  'jcl/record-length',
  'jcl/continuation',
  'jcl/continuation-column',
  'jcl/quoted-continuation',
  'jcl/unwrappable',
] as const;

export type CobolRule = (typeof COBOL_RULES)[number];
export type JclRule = (typeof JCL_RULES)[number];
export type OutputRule = CobolRule | JclRule;

/** What a language module hands back from its wrap pass. Problems there refer to lines of `lines`. */
export interface WrapOutcome {
  lines: string[];
  wrapped: number[];
  problems: OutputProblem[];
}
