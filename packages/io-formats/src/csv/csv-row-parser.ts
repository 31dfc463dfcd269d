import type { InputLimits } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';

export interface CsvCell {
  readonly text: string;
  /** A quoted cell: `""` is an empty string, an unquoted empty cell is null. */
  readonly quoted: boolean;
}

export interface CsvRow {
  readonly cells: CsvCell[];
  /** Physical line the row starts on (1-based). */
  readonly line: number;
}

const NEED_MORE = Symbol('need-more');
const UNQUOTED_END = /[,\r\n"]/g;

/**
 * An RFC 4180 row parser over streamed text: comma-separated, CRLF or LF rows, fields quoted with `"` and
 * quotes doubled inside them. A row split across chunks is parsed again from its start when the rest arrives.
 * A row larger than `maxRecordBytes` is refused while it is still arriving.
 */
export class CsvRowParser {
  #text = '';
  #pos = 0;
  #line = 1;
  #final = false;

  constructor(private readonly limits: InputLimits) {}

  /** Adds text and returns the rows it completed. */
  push(text: string): CsvRow[] {
    this.#text = this.#pos > 0 ? this.#text.slice(this.#pos) + text : this.#text + text;
    this.#pos = 0;
    return this.#rows();
  }

  /** Ends the input and returns the last row, if any. */
  end(): CsvRow[] {
    this.#final = true;
    return this.#rows();
  }

  #rows(): CsvRow[] {
    const rows: CsvRow[] = [];
    for (;;) {
      if (this.#pos >= this.#text.length) break;
      const start = this.#pos;
      const row = this.#row(start);
      if (row === NEED_MORE) {
        if (this.#text.length - start > this.limits.maxRecordBytes) throw this.#tooLarge();
        break;
      }
      if (this.#pos - start > this.limits.maxRecordBytes) throw this.#tooLarge();
      const line = this.#line;
      this.#line += countNewlines(this.#text, start, this.#pos);
      rows.push({ cells: row, line });
    }
    return rows;
  }

  /** Parses one row at `start`; on success moves `#pos` past its line break. */
  #row(start: number): CsvCell[] | typeof NEED_MORE {
    const text = this.#text;
    const cells: CsvCell[] = [];
    let p = start;
    for (;;) {
      if (p < text.length && text.charCodeAt(p) === 0x22) {
        // Quoted field.
        let value = '';
        let from = p + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) {
            if (this.#final) throw this.#malformed('a quoted field is not closed');
            return NEED_MORE;
          }
          if (q + 1 >= text.length && !this.#final) return NEED_MORE;
          if (text.charCodeAt(q + 1) === 0x22) {
            value += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value += text.slice(from, q);
          p = q + 1;
          break;
        }
        cells.push({ text: value, quoted: true });
      } else {
        UNQUOTED_END.lastIndex = p;
        const match = UNQUOTED_END.exec(text);
        const end = match ? match.index : text.length;
        if (match === null && !this.#final) return NEED_MORE;
        if (match !== null && text.charCodeAt(end) === 0x22) {
          throw this.#malformed(
            'a quote inside an unquoted field; quote the whole field and double the quote',
          );
        }
        cells.push({ text: text.slice(p, end), quoted: false });
        p = end;
      }
      // After a field: a comma, a line break, or the end of the input.
      if (p >= text.length) {
        if (!this.#final) return NEED_MORE;
        this.#pos = p;
        return cells;
      }
      const c = text.charCodeAt(p);
      if (c === 0x2c) {
        p += 1;
        continue;
      }
      if (c === 0x0a) {
        this.#pos = p + 1;
        return cells;
      }
      if (c === 0x0d) {
        if (p + 1 >= text.length && !this.#final) return NEED_MORE;
        if (text.charCodeAt(p + 1) === 0x0a) {
          this.#pos = p + 2;
          return cells;
        }
        throw this.#malformed('a carriage return outside quotes that is not part of CRLF');
      }
      throw this.#malformed('unexpected text after a closing quote');
    }
  }

  #malformed(message: string) {
    return formatError('csv', FormatErrorReason.MALFORMED, message, { location: { line: this.#line } });
  }

  #tooLarge() {
    return formatError(
      'csv',
      FormatErrorReason.RECORD_TOO_LARGE,
      `a row is larger than ${this.limits.maxRecordBytes} bytes`,
      { location: { line: this.#line }, details: { limit: this.limits.maxRecordBytes } },
    );
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  let i = text.indexOf('\n', from);
  while (i >= 0 && i < to) {
    n += 1;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}
