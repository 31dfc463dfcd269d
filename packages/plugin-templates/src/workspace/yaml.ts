/**
 * A minimal YAML subset reader and writer, sufficient for ZAPP files (`zapp.yaml` of IBM Z Open Editor /
 * IBM Developer for z/OS). No dependency: no YAML library is installed.
 *
 * The subset read (one document):
 * - block mappings (`key: value`) and block sequences (`- item`, including `- key: value` compact mappings
 *   and a sequence at the same indentation as its parent key);
 * - single-line flow collections: `[a, "b"]`, `{ k: v }`, `[]`, `{}` (nesting allowed on that line);
 * - scalars: plain, 'single quoted' (`''` escape), "double quoted" (backslash escapes incl. `\uXXXX`), and
 *   block scalars `|` / `>` with optional chomping `-` / `+`;
 * - comments (`#` at the start of a line or after whitespace), blank lines, one leading `---`.
 * Plain scalars resolve as in the YAML 1.2 core schema, restricted: `null`/`~`/empty → null, `true`/`false`
 * (any case form YAML allows) → boolean, decimal numbers → number (unless beyond the safe integer range);
 * everything else — `yes`, `on`, `0x1F`, `.inf` included — stays a string.
 *
 * A block scalar is read as a mapping value only (`key: |`), not as a sequence item.
 * Refused with an error naming the line: anchors (`&a`), aliases (`*a`), tags (`!x`, `!!str`), merge keys
 * (`<<`), directives (`%YAML`), several documents, complex keys (`? `), explicit indentation indicators,
 * multi-line plain or quoted scalars, tabs in indentation, duplicate keys, nesting deeper than
 * {@link MAX_YAML_DEPTH}.
 */

export const MAX_YAML_DEPTH = 64;

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export class YamlSyntaxError extends Error {
  override readonly name = 'YamlSyntaxError';
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

interface Line {
  no: number;
  indent: number;
  /** Content after the indentation, comment removed, trailing blanks trimmed; '' for blank lines. */
  text: string;
  /** The whole source line (block scalars read it verbatim). */
  raw: string;
}

/** Parses a ZAPP-style YAML document. Throws {@link YamlSyntaxError}. */
export function parseYamlSubset(source: string): YamlValue {
  const parser = new YamlParser(source);
  return parser.parseDocument();
}

/** Sets `obj[key]` as an own property, even for `__proto__`. */
function setOwn(obj: Record<string, YamlValue>, key: string, value: YamlValue): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

class YamlParser {
  private readonly lines: Line[];
  private i = 0;

  constructor(source: string) {
    const rawLines = source
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      .split('\n');
    this.lines = rawLines.map((raw, index) => {
      const no = index + 1;
      const indent = /^ */.exec(raw)?.[0].length ?? 0;
      let rest = raw.slice(indent);
      if (/^\t/.test(rest) && rest.trim() !== '' && !rest.trimStart().startsWith('#')) {
        throw new YamlSyntaxError('tabs are not allowed in indentation', no);
      }
      rest = stripComment(rest).replace(/[ \t]+$/, '');
      return { no, indent, text: rest.trimStart() === '' ? '' : rest, raw };
    });
  }

  parseDocument(): YamlValue {
    // Directives and document markers.
    let sawStart = false;
    for (const line of this.lines) {
      if (line.text === '') continue;
      if (line.indent === 0 && line.text.startsWith('%'))
        this.fail('directives (%YAML, %TAG) are not supported', line.no);
      if (line.indent === 0 && (line.text === '---' || line.text.startsWith('--- '))) {
        if (sawStart || this.lines.some((l) => l.no < line.no && l.text !== '')) {
          this.fail('only one YAML document is supported', line.no);
        }
        if (line.text !== '---') this.fail('content after --- is not supported', line.no);
        sawStart = true;
        line.text = '';
      } else if (line.indent === 0 && line.text === '...') {
        this.fail("document end markers ('...') and several documents are not supported", line.no);
      }
    }
    const value = this.parseNode(0, 1);
    this.skipBlank();
    const extra = this.lines[this.i];
    if (extra) this.fail('unexpected content (check the indentation)', extra.no);
    return value;
  }

  private skipBlank(): void {
    while (this.i < this.lines.length && (this.lines[this.i] as Line).text === '') this.i++;
  }

  private peek(): Line | undefined {
    this.skipBlank();
    return this.lines[this.i];
  }

  /** Parses the node starting at the next non-blank line, whose indentation must be at least `minIndent`. */
  private parseNode(minIndent: number, depth: number): YamlValue {
    if (depth > MAX_YAML_DEPTH)
      this.fail(`nesting deeper than ${MAX_YAML_DEPTH} levels`, this.peek()?.no ?? 0);
    const line = this.peek();
    if (!line || line.indent < minIndent) return null;
    if (isSequenceLine(line.text)) return this.parseSequence(line.indent, depth);
    if (this.mappingKey(line) !== undefined) return this.parseMapping(line.indent, depth);
    // A lone scalar (or flow collection) on one line.
    this.i++;
    const value = this.parseInline(line.text, line.no);
    const next = this.peek();
    if (next && minIndent > 0 && next.indent >= minIndent) {
      this.fail('multi-line plain scalars are not supported: quote the value or use a | block', next.no);
    }
    return value;
  }

  private parseSequence(indent: number, depth: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (;;) {
      const line = this.peek();
      if (!line || line.indent < indent) break;
      if (line.indent > indent) this.fail('unexpected indentation in a sequence', line.no);
      if (!isSequenceLine(line.text)) break;
      const rest = line.text.slice(1);
      const spaces = /^ */.exec(rest)?.[0].length ?? 0;
      if (rest.trim() === '') {
        this.i++;
        items.push(this.parseNode(indent + 1, depth + 1));
      } else {
        // Re-read the rest of the line as a node indented at its own column: `- a: 1` starts a mapping.
        this.lines[this.i] = {
          no: line.no,
          indent: indent + 1 + spaces,
          text: rest.slice(spaces),
          raw: line.raw,
        };
        items.push(this.parseNode(indent + 1, depth + 1));
      }
    }
    return items;
  }

  private parseMapping(indent: number, depth: number): Record<string, YamlValue> {
    const map: Record<string, YamlValue> = {};
    for (;;) {
      const line = this.peek();
      if (!line || line.indent < indent) break;
      if (line.indent > indent) this.fail('unexpected indentation in a mapping', line.no);
      if (isSequenceLine(line.text)) break;
      const entry = this.mappingKey(line);
      if (entry === undefined) this.fail("'key: value' expected", line.no);
      const { key, rest } = entry;
      if (Object.hasOwn(map, key)) this.fail(`duplicate key '${key}'`, line.no);
      this.i++;
      let value: YamlValue;
      if (rest === '') {
        const next = this.peek();
        if (next && next.indent > indent) value = this.parseNode(indent + 1, depth + 1);
        else if (next && next.indent === indent && isSequenceLine(next.text))
          value = this.parseSequence(indent, depth + 1);
        else value = null;
      } else if (rest.startsWith('|') || rest.startsWith('>')) {
        value = this.parseBlockScalar(rest, indent, line.no);
      } else {
        value = this.parseInline(rest, line.no);
        const next = this.peek();
        if (next && next.indent > indent) {
          this.fail(
            'multi-line scalars are not supported: quote the value on one line or use a | block',
            next.no,
          );
        }
      }
      setOwn(map, key, value);
    }
    return map;
  }

  /** The key of a `key: value` line and the rest after the colon, or undefined when it is not one. */
  private mappingKey(line: Line): { key: string; rest: string } | undefined {
    const text = line.text;
    const first = text[0];
    if (first === '?' && (text.length === 1 || text[1] === ' '))
      this.fail("complex keys ('? ') are not supported", line.no);
    let key: string;
    let after: string;
    if (first === '"' || first === "'") {
      const quoted = readQuoted(text, 0);
      if (!quoted) return undefined;
      if (quoted.error) this.fail(quoted.error, line.no);
      after = text.slice(quoted.end).replace(/^ +/, '');
      if (!after.startsWith(':') || (after.length > 1 && after[1] !== ' ')) return undefined;
      key = quoted.value;
      after = after.slice(1);
    } else {
      if (first === '[' || first === '{') return undefined;
      const m = /^(.*?):(?: |$)/.exec(text);
      if (!m) return undefined;
      key = (m[1] ?? '').trimEnd();
      if (key === '') return undefined;
      this.checkPlainStart(key, line.no);
      if (key === '<<') this.fail('merge keys (<<) are not supported', line.no);
      after = text.slice(m[0].length);
    }
    return { key, rest: after.trim() };
  }

  private checkPlainStart(token: string, lineNo: number): void {
    const c = token[0];
    if (c === '&') this.fail('anchors (&name) are not supported', lineNo);
    if (c === '*') this.fail('aliases (*name) are not supported', lineNo);
    if (c === '!') this.fail('tags (!tag) are not supported', lineNo);
    if (c === '%' || c === '@' || c === '`') this.fail(`a plain scalar cannot start with '${c}'`, lineNo);
  }

  private parseInline(text: string, lineNo: number): YamlValue {
    const t = text.trim();
    if (t.startsWith('|') || t.startsWith('>'))
      this.fail('a block scalar is only supported as a mapping value', lineNo);
    const flow = new FlowReader(t, lineNo, (token) => this.checkPlainStart(token, lineNo));
    const value = flow.value(0, false);
    flow.end();
    return value;
  }

  private parseBlockScalar(header: string, parentIndent: number, lineNo: number): string {
    const m = /^([|>])([-+]?)$/.exec(header);
    if (!m) {
      this.fail(
        /^[|>][-+]?[0-9]/.test(header)
          ? 'explicit indentation indicators are not supported'
          : `malformed block scalar header '${header}'`,
        lineNo,
      );
    }
    const folded = m[1] === '>';
    const chomp = m[2];
    const raws: string[] = [];
    let contentIndent = -1;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] as Line;
      const blank = line.raw.trim() === '';
      if (!blank) {
        const ind = /^ */.exec(line.raw)?.[0].length ?? 0;
        if (contentIndent < 0) {
          if (ind <= parentIndent) break;
          contentIndent = ind;
        } else if (ind < contentIndent) break;
        raws.push(line.raw.slice(contentIndent));
      } else raws.push('');
      this.i++;
    }
    // Trailing blank lines belong to the chomping, not the content lines.
    let trailing = 0;
    while (raws.length > 0 && raws[raws.length - 1] === '') {
      raws.pop();
      trailing++;
    }
    let body: string;
    if (!folded) body = raws.join('\n');
    else {
      body = '';
      let prevText = false;
      for (const r of raws) {
        const moreIndented = r.startsWith(' ') || r.startsWith('\t');
        if (r === '') {
          body += '\n';
          prevText = false;
        } else {
          if (prevText && !moreIndented) body += ' ';
          else if (body !== '' && !body.endsWith('\n')) body += '\n';
          body += r;
          prevText = !moreIndented;
        }
      }
    }
    if (raws.length === 0) return chomp === '+' ? '\n'.repeat(trailing) : '';
    if (chomp === '-') return body;
    if (chomp === '+') return `${body}\n${'\n'.repeat(trailing)}`;
    return `${body}\n`;
  }

  private fail(reason: string, lineNo: number): never {
    throw new YamlSyntaxError(reason, lineNo);
  }
}

function isSequenceLine(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** Removes a `#` comment (at the start, or after whitespace, outside quotes). */
function stripComment(text: string): string {
  let quote: '"' | "'" | undefined;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    const prev = k === 0 ? ' ' : (text[k - 1] as string);
    if (quote === '"') {
      if (c === '\\') k++;
      else if (c === '"') quote = undefined;
    } else if (quote === "'") {
      if (c === "'") {
        if (text[k + 1] === "'") k++;
        else quote = undefined;
      }
    } else if ((c === '"' || c === "'") && /[\s[{,:-]/.test(prev)) quote = c;
    else if (c === '#' && /\s/.test(prev)) return text.slice(0, k);
  }
  return text;
}

const DOUBLE_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** Reads a quoted scalar starting at `text[start]`; undefined when not closed on this line. */
function readQuoted(text: string, start: number): { value: string; end: number; error?: string } | undefined {
  const q = text[start];
  let value = '';
  for (let k = start + 1; k < text.length; k++) {
    const c = text[k] as string;
    if (q === "'") {
      if (c === "'") {
        if (text[k + 1] === "'") {
          value += "'";
          k++;
        } else return { value, end: k + 1 };
      } else value += c;
    } else if (c === '"') return { value, end: k + 1 };
    else if (c === '\\') {
      const e = text[k + 1];
      if (e === undefined) return undefined;
      const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hexLen > 0) {
        const hex = text.slice(k + 2, k + 2 + hexLen);
        const cp =
          /^[0-9A-Fa-f]+$/.test(hex) && hex.length === hexLen ? Number.parseInt(hex, 16) : Number.NaN;
        if (Number.isNaN(cp) || cp > 0x10ffff)
          return { value, end: k, error: `malformed escape '\\${e}${hex}'` };
        value += String.fromCodePoint(cp);
        k += 1 + hexLen;
      } else {
        const mapped = DOUBLE_ESCAPES[e];
        if (mapped === undefined) return { value, end: k, error: `unknown escape '\\${e}'` };
        value += mapped;
        k++;
      }
    } else value += c;
  }
  return undefined;
}

/** Resolves a plain scalar (YAML 1.2 core schema, restricted as documented above). */
export function resolvePlain(s: string): YamlValue {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (/^[-+]?[0-9]+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : s;
  }
  if (
    /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$/.test(s) ||
    /^[-+]?[0-9]+[eE][-+]?[0-9]+$/.test(s)
  ) {
    const n = Number(s);
    return Number.isFinite(n) ? n : s;
  }
  return s;
}

/** Reads one line's inline value: a scalar or a (nested) flow collection. */
class FlowReader {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly lineNo: number,
    private readonly checkPlain: (token: string) => void,
  ) {}

  value(depth: number, inFlow: boolean): YamlValue {
    if (depth > MAX_YAML_DEPTH) this.fail(`nesting deeper than ${MAX_YAML_DEPTH} levels`);
    this.skipSpaces();
    const c = this.text[this.pos];
    if (c === '[') return this.sequence(depth);
    if (c === '{') return this.mapping(depth);
    if (c === '"' || c === "'") {
      const q = readQuoted(this.text, this.pos);
      if (!q) this.fail('quoted scalars must be closed on the same line');
      if (q.error) this.fail(q.error);
      this.pos = q.end;
      return q.value;
    }
    return resolvePlain(this.plain(inFlow));
  }

  private plain(inFlow: boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (inFlow && (c === ',' || c === ']' || c === '}' || c === '[' || c === '{')) break;
      if (inFlow && c === ':' && /[\s,\]}]/.test(this.text[this.pos + 1] ?? ' ')) break;
      if (!inFlow && c === ':' && (this.text[this.pos + 1] ?? ' ') === ' ')
        this.fail("': ' inside a plain value: quote it");
      this.pos++;
    }
    const token = this.text.slice(start, this.pos).trim();
    if (token !== '') this.checkPlain(token);
    if (token === '-' || token.startsWith('- ')) this.fail('a block sequence cannot start here');
    return token;
  }

  private sequence(depth: number): YamlValue[] {
    this.pos++;
    const items: YamlValue[] = [];
    this.skipSpaces();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1, true));
      this.skipSpaces();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return items;
      if (c !== ',')
        this.fail("',' or ']' expected in a flow sequence (flow collections must fit on one line)");
    }
  }

  private mapping(depth: number): Record<string, YamlValue> {
    this.pos++;
    const map: Record<string, YamlValue> = {};
    this.skipSpaces();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return map;
    }
    for (;;) {
      this.skipSpaces();
      const keyValue = this.value(depth + 1, true);
      if (keyValue !== null && typeof keyValue === 'object') this.fail('collection keys are not supported');
      const key = String(keyValue);
      this.skipSpaces();
      if (this.text[this.pos] !== ':') this.fail("':' expected after a flow mapping key");
      this.pos++;
      if (Object.hasOwn(map, key)) this.fail(`duplicate key '${key}'`);
      setOwn(map, key, this.value(depth + 1, true));
      this.skipSpaces();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return map;
      if (c !== ',')
        this.fail("',' or '}' expected in a flow mapping (flow collections must fit on one line)");
    }
  }

  end(): void {
    this.skipSpaces();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text.slice(this.pos)}' after the value`);
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  private fail(reason: string): never {
    throw new YamlSyntaxError(reason, this.lineNo);
  }
}

// ---- writer ----

const PLAIN_SAFE = /^[A-Za-z_/$(][A-Za-z0-9 _./*@#$(),=+-]*$/;
const YAML11_WORDS = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;

/** Formats a string scalar: plain when that reads back as the same string in any YAML reader, else double-quoted. */
export function yamlScalar(value: string): string {
  if (PLAIN_SAFE.test(value) && !value.endsWith(' ') && !value.includes(' #') && !YAML11_WORDS.test(value))
    return value;
  return JSON.stringify(value);
}

function formatScalar(value: unknown, path: string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return yamlScalar(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be written to YAML`);
    return String(value);
  }
  throw new TypeError(`${path}: a ${typeof value} cannot be written to YAML`);
}

function isNonEmptyCollection(value: unknown): value is unknown[] | Record<string, unknown> {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

function emitBlock(
  value: unknown[] | Record<string, unknown>,
  indent: number,
  path: string,
  depth: number,
): string[] {
  if (depth > MAX_YAML_DEPTH) throw new TypeError(`${path}: nested deeper than ${MAX_YAML_DEPTH} levels`);
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, k) => {
      if (item === undefined) throw new TypeError(`${path}[${k}]: undefined cannot be written to YAML`);
      if (isNonEmptyCollection(item)) {
        const inner = emitBlock(item, indent + 2, `${path}[${k}]`, depth + 1);
        out.push(`${pad}- ${(inner[0] as string).slice(indent + 2)}`, ...inner.slice(1));
      } else out.push(`${pad}- ${inlineValue(item, `${path}[${k}]`)}`);
    });
  } else {
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const k = yamlScalar(key);
      if (isNonEmptyCollection(item)) {
        out.push(`${pad}${k}:`, ...emitBlock(item, indent + 2, `${path}.${key}`, depth + 1));
      } else out.push(`${pad}${k}: ${inlineValue(item, `${path}.${key}`)}`);
    }
  }
  return out;
}

function inlineValue(value: unknown, path: string): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return formatScalar(value, path);
}

/** Writes `value` (plain data: objects, arrays, strings, finite numbers, booleans, null) as block YAML. */
export function stringifyYamlSubset(value: unknown): string {
  if (isNonEmptyCollection(value)) return `${emitBlock(value, 0, '$', 0).join('\n')}\n`;
  return `${inlineValue(value, '$')}\n`;
}
