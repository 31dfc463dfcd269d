/**
 * A small, strict XML 1.0 reader and writer helpers for the project files of a workspace (`.project`,
 * `*.hbpsd`). No dependency: nothing in the repository parses XML.
 *
 * Accepted: one root element; elements, attributes (single or double quoted, unique per element), text,
 * comments, CDATA sections, processing instructions (skipped), the XML declaration (version 1.0/1.1, and
 * only a UTF-8 encoding), the five predefined entities (`&lt; &gt; &amp; &apos; &quot;`) and numeric
 * character references (`&#10;`, `&#x0A;`) that name a character XML allows.
 *
 * Refused with an error naming line and column: any DOCTYPE or ENTITY declaration (external entities, XXE,
 * and entity-expansion "billion laughs" attacks all need one), any other entity reference, mismatched or
 * unclosed tags, text or a second element after the root, `<` in an attribute value, `--` inside a
 * comment, characters XML does not allow, and nesting deeper than {@link MAX_XML_DEPTH}.
 * Namespaces are not interpreted: a prefixed name (`xsi:type`) is just a name.
 */

export const MAX_XML_DEPTH = 256;

export interface XmlElement {
  name: string;
  /** Attribute values, entity references resolved. A null-prototype object: `__proto__` is a plain key. */
  attributes: Record<string, string>;
  children: XmlNode[];
  /** 1-based line of the start tag. */
  line: number;
}
/** Text nodes are strings (entity references resolved, CDATA included verbatim). */
export type XmlNode = XmlElement | string;

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

/** XML 1.0 (5th edition) NameStartChar, by code point. */
function isNameStart(cp: number): boolean {
  return (
    (cp >= 0x61 && cp <= 0x7a) ||
    (cp >= 0x41 && cp <= 0x5a) ||
    cp === 0x5f ||
    cp === 0x3a ||
    (cp >= 0xc0 && cp <= 0xd6) ||
    (cp >= 0xd8 && cp <= 0xf6) ||
    (cp >= 0xf8 && cp <= 0x2ff) ||
    (cp >= 0x370 && cp <= 0x37d) ||
    (cp >= 0x37f && cp <= 0x1fff) ||
    cp === 0x200c ||
    cp === 0x200d ||
    (cp >= 0x2070 && cp <= 0x218f) ||
    (cp >= 0x2c00 && cp <= 0x2fef) ||
    (cp >= 0x3001 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfdcf) ||
    (cp >= 0xfdf0 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0xeffff)
  );
}

/** XML 1.0 NameChar, by code point. */
function isNameChar(cp: number): boolean {
  return (
    isNameStart(cp) ||
    cp === 0x2d ||
    cp === 0x2e ||
    (cp >= 0x30 && cp <= 0x39) ||
    cp === 0xb7 ||
    (cp >= 0x300 && cp <= 0x36f) ||
    cp === 0x203f ||
    cp === 0x2040
  );
}

/** Index of the first character XML 1.0 does not allow (C0 controls but TAB/LF/CR, lone surrogates, U+FFFE/F), or -1. */
function invalidCharIndex(text: string): number {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x20 && c < 0xd800) continue;
    if (c === 0x9 || c === 0xa || c === 0xd) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = text.charCodeAt(k + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        k++;
        continue;
      }
      return k;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return k;
    if (c < 0x20 || c === 0xfffe || c === 0xffff) return k;
  }
  return -1;
}

function describeChar(text: string, index: number): string {
  return `U+${text.charCodeAt(index).toString(16).toUpperCase().padStart(4, '0')}`;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

function isAllowedCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Parses `source` into its root element. Throws {@link XmlSyntaxError}. */
export function parseXml(source: string): XmlElement {
  return new XmlParser(source).parseDocument();
}

class XmlParser {
  private pos = 0;
  private readonly text: string;
  /** Offsets of the line feeds, for line numbers. */
  private readonly newlines: number[] = [];

  constructor(source: string) {
    // A byte-order mark is allowed before the declaration; line ends are normalised as XML requires.
    this.text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) this.newlines.push(i);
  }

  parseDocument(): XmlElement {
    const bad = invalidCharIndex(this.text);
    if (bad >= 0) this.fail(`character ${describeChar(this.text, bad)} is not allowed in XML`, bad);
    if (this.text.startsWith('<?xml') && /^<\?xml[\s?]/.test(this.text)) this.parseDeclaration();
    let root: XmlElement | undefined;
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.text.length) break;
      if (this.text.startsWith('<!--', this.pos)) this.parseComment();
      else if (this.text.startsWith('<?', this.pos)) this.parseProcessingInstruction();
      else if (this.startsWithCi('<!DOCTYPE')) {
        this.fail(
          'DOCTYPE declarations are not accepted (they allow external entities and entity expansion)',
        );
      } else if (this.startsWithCi('<!ENTITY')) {
        this.fail('ENTITY declarations are not accepted');
      } else if (this.text[this.pos] === '<') {
        if (root) this.fail('only one root element is allowed');
        root = this.parseElement(1);
      } else this.fail('text is not allowed outside the root element');
    }
    if (!root) this.fail('the document has no root element');
    return root;
  }

  private startsWithCi(prefix: string): boolean {
    return this.text.slice(this.pos, this.pos + prefix.length).toUpperCase() === prefix;
  }

  private parseDeclaration(): void {
    const end = this.text.indexOf('?>', this.pos);
    if (end < 0) this.fail('unterminated XML declaration');
    const body = this.text.slice(this.pos + 5, end);
    const version = /\bversion\s*=\s*(["'])([^"']*)\1/.exec(body);
    if (!version || !/^1\.[01]$/.test(version[2] ?? '')) this.fail('the XML declaration needs version="1.0"');
    const encoding = /\bencoding\s*=\s*(["'])([^"']*)\1/.exec(body);
    if (encoding && !/^utf-?8$/i.test(encoding[2] ?? '')) {
      this.fail(`encoding '${encoding[2]}' is not supported; project files are read as UTF-8`);
    }
    this.pos = end + 2;
  }

  private parseComment(): void {
    const start = this.pos;
    const end = this.text.indexOf('-->', start + 4);
    if (end < 0) this.fail('unterminated comment', start);
    const body = this.text.slice(start + 4, end);
    const dashes = body.indexOf('--');
    if (dashes >= 0 || body.endsWith('-'))
      this.fail("'--' is not allowed inside a comment", start + 4 + Math.max(dashes, 0));
    this.pos = end + 3;
  }

  private parseProcessingInstruction(): void {
    const start = this.pos;
    const end = this.text.indexOf('?>', start + 2);
    if (end < 0) this.fail('unterminated processing instruction', start);
    const target = /^[^\s?]+/.exec(this.text.slice(start + 2, end))?.[0] ?? '';
    if (target === '' || target.toLowerCase() === 'xml')
      this.fail('misplaced XML declaration or empty processing instruction', start);
    this.pos = end + 2;
  }

  private parseName(): string {
    const start = this.pos;
    const first = this.text.codePointAt(this.pos);
    if (first === undefined || !isNameStart(first)) this.fail('a name was expected');
    this.pos += first > 0xffff ? 2 : 1;
    for (;;) {
      const cp = this.text.codePointAt(this.pos);
      if (cp === undefined || !isNameChar(cp)) break;
      this.pos += cp > 0xffff ? 2 : 1;
    }
    return this.text.slice(start, this.pos);
  }

  private parseElement(depth: number): XmlElement {
    if (depth > MAX_XML_DEPTH) this.fail(`elements are nested deeper than ${MAX_XML_DEPTH} levels`);
    const line = this.lineOf(this.pos);
    this.pos++; // '<'
    const name = this.parseName();
    const attributes: Record<string, string> = Object.create(null);
    for (;;) {
      const hadSpace = this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === undefined) this.fail(`unterminated start tag <${name}>`);
      if (c === '/') {
        if (this.text[this.pos + 1] !== '>') this.fail("'>' expected after '/'");
        this.pos += 2;
        return { name, attributes, children: [], line };
      }
      if (c === '>') {
        this.pos++;
        break;
      }
      if (!hadSpace) this.fail('whitespace expected before an attribute');
      const attrPos = this.pos;
      const attr = this.parseName();
      if (attr in attributes) this.fail(`attribute '${attr}' appears twice`, attrPos);
      this.skipWhitespace();
      if (this.text[this.pos] !== '=') this.fail(`'=' expected after attribute '${attr}'`);
      this.pos++;
      this.skipWhitespace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`the value of attribute '${attr}' must be quoted`);
      const valueStart = this.pos + 1;
      const valueEnd = this.text.indexOf(quote, valueStart);
      if (valueEnd < 0) this.fail(`unterminated value of attribute '${attr}'`);
      const raw = this.text.slice(valueStart, valueEnd);
      const lt = raw.indexOf('<');
      if (lt >= 0) this.fail("'<' is not allowed in an attribute value", valueStart + lt);
      // Attribute-value normalisation: literal whitespace characters become spaces.
      attributes[attr] = this.resolveReferences(raw.replace(/[\t\n]/g, ' '), valueStart);
      this.pos = valueEnd + 1;
    }
    const children = this.parseContent(name, depth);
    return { name, attributes, children, line };
  }

  private parseContent(parent: string, depth: number): XmlNode[] {
    const children: XmlNode[] = [];
    let text = '';
    const flush = () => {
      if (text !== '') children.push(text);
      text = '';
    };
    for (;;) {
      const lt = this.text.indexOf('<', this.pos);
      if (lt < 0) this.fail(`element <${parent}> is not closed`, this.text.length);
      if (lt > this.pos) {
        const raw = this.text.slice(this.pos, lt);
        const gtgt = raw.indexOf(']]>');
        if (gtgt >= 0) this.fail("']]>' is not allowed in text", this.pos + gtgt);
        text += this.resolveReferences(raw, this.pos);
        this.pos = lt;
      }
      if (this.text.startsWith('</', this.pos)) {
        const closePos = this.pos;
        this.pos += 2;
        const name = this.parseName();
        this.skipWhitespace();
        if (this.text[this.pos] !== '>') this.fail(`'>' expected to close </${name}>`);
        if (name !== parent) this.fail(`</${name}> does not match <${parent}>`, closePos);
        this.pos++;
        flush();
        return children;
      }
      if (this.text.startsWith('<!--', this.pos)) this.parseComment();
      else if (this.text.startsWith('<![CDATA[', this.pos)) {
        const end = this.text.indexOf(']]>', this.pos + 9);
        if (end < 0) this.fail('unterminated CDATA section');
        text += this.text.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.text.startsWith('<?', this.pos)) this.parseProcessingInstruction();
      else if (this.startsWithCi('<!DOCTYPE')) this.fail('DOCTYPE declarations are not accepted');
      else if (this.startsWithCi('<!ENTITY')) this.fail('ENTITY declarations are not accepted');
      else if (this.text.startsWith('<!', this.pos)) this.fail('markup declarations are not accepted');
      else {
        flush();
        children.push(this.parseElement(depth + 1));
      }
    }
  }

  /** Resolves the predefined entities and character references in `raw`, which starts at `offset`. */
  private resolveReferences(raw: string, offset: number): string {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&\s<]*)(;?)/g, (match, ref: string, semi: string, at: number) => {
      const where = offset + at;
      if (semi !== ';') this.fail(`'&' must start a reference such as &amp; (found '${match}')`, where);
      if (ref.startsWith('#')) {
        const cp = /^#x[0-9A-Fa-f]{1,6}$/.test(ref)
          ? Number.parseInt(ref.slice(2), 16)
          : /^#[0-9]{1,7}$/.test(ref)
            ? Number.parseInt(ref.slice(1), 10)
            : Number.NaN;
        if (Number.isNaN(cp)) this.fail(`malformed character reference '${match}'`, where);
        if (!isAllowedCodePoint(cp))
          this.fail(`character reference '${match}' names a character XML does not allow`, where);
        return String.fromCodePoint(cp);
      }
      const value = PREDEFINED[ref];
      if (value === undefined) {
        this.fail(
          `unknown entity '&${ref};': only &lt; &gt; &amp; &apos; &quot; and character references are accepted`,
          where,
        );
      }
      return value;
    });
  }

  private skipWhitespace(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') break;
      this.pos++;
    }
    return this.pos > start;
  }

  /** 1-based line of `index`: one more than the number of line feeds before it (binary search). */
  private lineOf(index: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.newlines[mid] as number) < index) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private fail(reason: string, at: number = this.pos): never {
    const index = Math.min(at, this.text.length);
    const line = this.lineOf(index);
    const lineStart = line === 1 ? 0 : (this.newlines[line - 2] as number) + 1;
    throw new XmlSyntaxError(reason, line, index - lineStart + 1);
  }
}

// ---- reading helpers ----

/** The child elements of `element`, optionally only those named `name`. */
export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter(
    (c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name),
  );
}

/** The first child element named `name`. */
export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return childElements(element, name)[0];
}

/** The text content of `element` (descendants included), trimmed. */
export function textOf(element: XmlElement | undefined): string {
  if (!element) return '';
  const parts: string[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (typeof c === 'string') parts.push(c);
      else walk(c);
    }
  };
  walk(element);
  return parts.join('').trim();
}

// ---- writing helpers ----

/** Describes the first character of `value` XML cannot carry, or undefined when there is none. */
export function invalidXmlCharacter(value: string): string | undefined {
  const bad = invalidCharIndex(value);
  return bad < 0 ? undefined : `${describeChar(value, bad)} at offset ${bad}`;
}

/** Escapes text content. The caller checks {@link invalidXmlCharacter} first. */
export function escapeXmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Escapes an attribute value (double-quoted). Whitespace characters are kept as references. */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}
