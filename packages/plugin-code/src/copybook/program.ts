import { type DataEntry, parseEntry } from './entries.js';
import { layOutEntries } from './layout.js';
import type { Copybook, ParseCopybookOptions } from './model.js';
import { readSource } from './source.js';
import { type Sentence, splitSentences } from './tokenizer.js';

export type DataSection = 'FILE' | 'WORKING-STORAGE' | 'LOCAL-STORAGE' | 'LINKAGE';

/** One record (level 01 or 77) of a program's DATA DIVISION, laid out on its own. */
export interface RecordLayout {
  /** The 01/77 name as written. */
  readonly name: string;
  readonly section: DataSection;
  /** The FD/SD the record belongs to (FILE SECTION only). */
  readonly fd?: string;
  readonly copybook: Copybook;
}

const SECTIONS: ReadonlySet<string> = new Set(['FILE', 'WORKING-STORAGE', 'LOCAL-STORAGE', 'LINKAGE']);
const FILE_DESCRIPTIONS = new Set(['FD', 'SD', 'RD', 'CD']);

const startsWithLevel = (sentence: Sentence): boolean => {
  const first = sentence.tokens[0];
  return first?.kind === 'word' && /^\d{1,2}$/.test(first.text);
};

/**
 * Finds the data description entries of a COBOL program (FILE, WORKING-STORAGE, LOCAL-STORAGE and LINKAGE
 * sections) and lays out each 01/77 record. Everything before the DATA DIVISION and from the PROCEDURE
 * DIVISION on is ignored, and so are sentences of the DATA DIVISION that are not entries (COPY, EXEC …).
 */
export function extractRecordLayouts(
  programText: string,
  options: ParseCopybookOptions = {},
): RecordLayout[] {
  const code = readSource(programText, options);
  const procedure = code.text.search(/(^|\s)PROCEDURE\s+DIVISION\b/i);
  const dataCode = procedure < 0 ? code : { text: code.text.slice(0, procedure), lineAt: code.lineAt };

  const records: { section: DataSection; fd: string | undefined; entries: DataEntry[] }[] = [];
  let inData = false;
  let section: DataSection = 'WORKING-STORAGE';
  let fd: string | undefined;
  for (const sentence of splitSentences(dataCode, options.file)) {
    const [first, second] = sentence.tokens.map((t) => t.text);
    if (first === 'DATA' && second === 'DIVISION') {
      inData = true;
      continue;
    }
    if (!inData || first === undefined) continue;
    if (second === 'SECTION' && SECTIONS.has(first)) {
      section = first as DataSection;
      fd = undefined;
    } else if (FILE_DESCRIPTIONS.has(first)) {
      fd = second;
    } else if (startsWithLevel(sentence)) {
      const entry = parseEntry(sentence, options.file);
      const current = records[records.length - 1];
      if (entry.level === 1 || entry.level === 77 || !current)
        records.push({ section, fd, entries: [entry] });
      else current.entries.push(entry);
    }
  }
  return records.map(({ section: recordSection, fd: recordFd, entries }) => ({
    name: entries[0]?.name ?? 'FILLER',
    section: recordSection,
    ...(recordFd === undefined ? {} : { fd: recordFd }),
    copybook: layOutEntries(entries, options.file),
  }));
}
