import { createHash } from 'node:crypto';
import { type DomainImporter, type FieldValue, ValidationError } from '@mainframe-kb/storage-core';

const COLUMNS = ['entry_id', 'author', 'text'] as const;

/** A cell's text, or null when empty: the pipeline then rejects the record, naming its line. */
function cell(value: FieldValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  return text.length === 0 ? null : text;
}

/** The same note imported twice gets the same id, so a re-import with `onConflict: 'skip'` adds nothing. */
function noteIdOf(entryId: string | null, author: string | null, text: string | null): string {
  return createHash('sha256')
    .update(JSON.stringify([entryId, author, text]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * `kb import notes.csv --source notes-csv`: a CSV file with the columns `entry_id,author,text`, one note a
 * line. It yields rows of `kb_notes` and writes nothing: the import pipeline validates each row against the
 * table, applies the conflict policy, writes all of them in one transaction, and reports each rejected row
 * with the location given here. A file that is not a notes CSV, or holds a note longer than `maxLength`, is
 * refused whole.
 */
export function notesCsvImporter(maxLength: number): DomainImporter {
  return async function* importNotes(input) {
    // One timestamp for the whole file: its notes were written down together.
    const createdAt = new Date().toISOString();
    let checked = false;
    for await (const { record, location } of input.readRecords('csv')) {
      if (!checked) {
        const missing = COLUMNS.filter((c) => !Object.hasOwn(record, c));
        if (missing.length > 0) {
          const message = `${input.fileName} is not a notes CSV: it has no ${missing.join(', ')} column (expected entry_id,author,text)`;
          throw new ValidationError(message, [{ path: missing.join(','), message }]);
        }
        checked = true;
      }
      const [entryId, author, text] = [cell(record.entry_id), cell(record.author), cell(record.text)];
      if (text !== null && text.length > maxLength) {
        const message = `${input.fileName} line ${location.line}: the note has ${text.length} characters, more than maxLength (${maxLength})`;
        throw new ValidationError(message, [{ path: 'text', message }], { details: { location } });
      }
      yield {
        table: 'kb_notes',
        row: { id: noteIdOf(entryId, author, text), entry_id: entryId, author, text, created_at: createdAt },
        location,
      };
    }
  };
}
