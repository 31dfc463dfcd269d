export interface CsvRow {
  /** 1-based line where the record starts (a quoted field may span lines). */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * RFC 4180 CSV: comma separated, fields optionally in double quotes, `""` an escaped quote, CRLF or LF
 * line ends, line breaks allowed inside quoted fields (Splunk's multi-line `_raw`). Blank lines are skipped.
 */
export function* readCsv(text: string): Generator<CsvRow> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let atFieldStart = true;
    let quoted = false;
    let ended = false;
    while (i < n && !ended) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            const next = text[i];
            if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
              throw new CsvSyntaxError(line, 'a closing quote must end its field');
            }
          }
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (c === '\r' || c === '\n') {
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        ended = true;
      } else {
        field += c;
        atFieldStart = false;
        i++;
      }
    }
    if (quoted) throw new CsvSyntaxError(start, 'a quoted field is not closed before the end of the file');
    fields.push(field);
    if (fields.length === 1 && fields[0] === '') continue;
    yield { line: start, fields };
  }
}

/** Rows as objects keyed by the header row's names; reports rows whose field count differs. */
export function* readCsvRecords(
  text: string,
): Generator<{ line: number; record: Record<string, string> } | { line: number; error: string }> {
  let header: string[] | null = null;
  for (const row of readCsv(text)) {
    if (header === null) {
      header = row.fields.map((h) => h.trim());
      continue;
    }
    if (row.fields.length !== header.length) {
      yield { line: row.line, error: `has ${row.fields.length} fields, the header has ${header.length}` };
      continue;
    }
    const record: Record<string, string> = {};
    header.forEach((h, k) => {
      record[h] = row.fields[k]!;
    });
    yield { line: row.line, record };
  }
}
