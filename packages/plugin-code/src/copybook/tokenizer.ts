import { CodeAnalysisError } from '../errors.js';
import type { SourceCode } from './source.js';

export interface Token {
  /** Words are upper-cased; a literal keeps its content as written, without the quotes. */
  readonly text: string;
  readonly kind: 'word' | 'literal';
  readonly line: number;
}

/** A sentence: the tokens up to a separator period, and the line it starts on. */
export interface Sentence {
  readonly tokens: readonly Token[];
  readonly line: number;
}

/** Listing directives that may stand anywhere without a period. */
const DIRECTIVES = new Set(['EJECT', 'SKIP1', 'SKIP2', 'SKIP3']);

const isSpace = (ch: string | undefined): boolean =>
  ch === undefined || ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t';

/**
 * Splits code into sentences. A period ends a sentence only when followed by a space or the end (so
 * `9(8).9(2)` stays one word); a comma or semicolon followed by a space is a separator.
 */
export function splitSentences(code: SourceCode, file?: string): Sentence[] {
  const { text } = code;
  const sentences: Sentence[] = [];
  let tokens: Token[] = [];
  const endSentence = (): void => {
    const first = tokens[0];
    if (first) sentences.push({ tokens, line: first.line });
    tokens = [];
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (isSpace(ch)) {
      i++;
      continue;
    }
    const line = code.lineAt(i);
    const literalAt =
      ch === '"' || ch === "'" ? i : /[XNZG]/i.test(ch) && /["']/.test(text[i + 1] ?? '') ? i + 1 : -1;
    if (literalAt >= 0) {
      const quote = text[literalAt] as string;
      let j = literalAt + 1;
      let value = '';
      for (;;) {
        const c = text[j];
        if (c === undefined || c === '\n') {
          throw new CodeAnalysisError('UNTERMINATED', `literal opened with ${quote} is not closed`, {
            ...(file === undefined ? {} : { file }),
            line,
          });
        }
        if (c === quote) {
          if (text[j + 1] === quote) {
            value += quote;
            j += 2;
            continue;
          }
          break;
        }
        value += c;
        j++;
      }
      tokens.push({ text: value, kind: 'literal', line });
      i = j + 1;
      if (text[i] === '.' && isSpace(text[i + 1])) {
        endSentence();
        i++;
      }
      continue;
    }
    let j = i;
    while (j < text.length && !isSpace(text[j])) j++;
    let word = text.slice(i, j);
    i = j;
    let endsSentence = false;
    if (word === '.') {
      endSentence();
      continue;
    }
    if (word.endsWith('.')) {
      word = word.slice(0, -1);
      endsSentence = true;
    }
    if (word.endsWith(',') || word.endsWith(';')) word = word.slice(0, -1);
    const upper = word.toUpperCase();
    if (word.length > 0 && !DIRECTIVES.has(upper)) tokens.push({ text: upper, kind: 'word', line });
    if (endsSentence) endSentence();
  }
  endSentence();
  return sentences;
}
