/**
 * The one error the parsers, the layout engine and the decoder throw for input they cannot accept.
 * It names the file (when known), the 1-based line (or record / byte offset) and a stable reason code,
 * so a scan can report it for that file and go on with the rest.
 */
export type CodeErrorReason =
  | 'BINARY_INPUT' // the file is not text (NUL bytes, invalid UTF-8 / not a source encoding)
  | 'LINE_TOO_LONG' // a physical line longer than the configured limit
  | 'FILE_TOO_LARGE' // a file larger than the configured limit
  | 'UNTERMINATED' // EXEC ... without END-EXEC, pseudo-text without closing ==, DD * without its delimiter …
  | 'COPY_CYCLE' // a copybook that includes itself, directly or not
  | 'COPY_NOT_FOUND' // a COPY whose member cannot be resolved (when resolution is required)
  | 'COPY_DEPTH' // nesting of COPY deeper than the limit
  | 'REPLACING_LIMIT' // REPLACING that would not terminate / grows past the limit
  | 'SYNTAX' // a statement the parser cannot make sense of
  | 'PROC_CYCLE' // a JCL PROC (or INCLUDE member) that invokes itself, directly or not
  | 'PROC_DEPTH' // JCL PROC / INCLUDE nesting deeper than the limit
  | 'PICTURE' // an invalid PICTURE string
  | 'LAYOUT' // an inconsistent layout (REDEFINES of an unknown field, ODO counter not found …)
  | 'RECORD_LENGTH' // a data record shorter / longer than its layout or RDW allows
  | 'ODO_RANGE' // an OCCURS DEPENDING ON counter outside 0..max or bigger than the record
  | 'ENCODING'; // an unknown or unsupported code page

export class CodeAnalysisError extends Error {
  override readonly name = 'CodeAnalysisError';
  readonly reason: CodeErrorReason;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(reason: CodeErrorReason, message: string, where: { file?: string; line?: number } = {}) {
    const at = [where.file, where.line === undefined ? undefined : `line ${where.line}`]
      .filter(Boolean)
      .join(':');
    super(at ? `${at}: ${message}` : message);
    this.reason = reason;
    this.file = where.file;
    this.line = where.line;
  }
}
