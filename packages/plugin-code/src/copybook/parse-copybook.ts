import { parseEntry } from './entries.js';
import { layOutEntries } from './layout.js';
import type { Copybook, ParseCopybookOptions } from './model.js';
import { readSource } from './source.js';
import { splitSentences } from './tokenizer.js';

/**
 * Parses a copybook (data description entries only) and lays it out: every field with its offset, length,
 * type and numeric attributes. Throws `CodeAnalysisError` (PICTURE, LAYOUT, SYNTAX, LINE_TOO_LONG, …)
 * naming the file and line of the offending entry.
 */
export function parseCopybook(text: string, options: ParseCopybookOptions = {}): Copybook {
  const sentences = splitSentences(readSource(text, options), options.file);
  const entries = sentences.map((sentence) => parseEntry(sentence, options.file));
  return layOutEntries(entries, options.file);
}
