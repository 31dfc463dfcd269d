import type { FormatName, InputLimits } from '../codec-types.js';
import { FormatErrorReason, formatError } from '../errors/format-error.js';
import { numberLosesPrecision } from '../field-values.js';

export type JsonPath = readonly (string | number)[];
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What to do with the value that starts at `path`: build it and hand it over, or walk through it. */
export type CaptureDecision = 'capture' | 'walk';

export interface JsonStreamParserOptions {
  readonly format: FormatName;
  readonly limits: InputLimits;
  decide(path: JsonPath): CaptureDecision;
  /** Called with every captured value, in document order. */
  onValue(path: JsonPath, value: JsonValue): void;
  /** Called when a walked container starts (for envelope readers that need to know a table began). */
  onEnter?(path: JsonPath, kind: 'object' | 'array'): void;
}

/** Keys that reach an object's prototype when assigned or merged; refused wherever they appear. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

enum Tok {
  BeginObject,
  EndObject,
  BeginArray,
  EndArray,
  Colon,
  Comma,
  String,
  Number,
  Literal,
  NeedMore,
  End,
}

interface Frame {
  readonly kind: 'object' | 'array';
  /** The container being built, or undefined when it is only walked. */
  readonly value: Record<string, JsonValue> | JsonValue[] | undefined;
  /** The key whose value comes next (objects). */
  key: string | undefined;
  index: number;
  /** object: 'key' | 'colon' | 'value' | 'comma'; array: 'value' | 'comma'. `first` allows an immediate close. */
  state: 'key' | 'colon' | 'value' | 'comma';
  first: boolean;
  /** The depth at which capture of this container began (so its completion is handed over). */
  readonly captureRoot: boolean;
}

/**
 * An incremental JSON parser for documents too large to hold: it walks the structure, builds only the values
 * the caller asks for (the records) and hands each over as soon as it closes. Hostile input is refused with a
 * typed error: nesting past `maxDepth`, a captured value or a single token past `maxRecordBytes`, keys that
 * reach `Object.prototype`, duplicate keys, and numbers a double cannot hold exactly.
 */
export class JsonStreamParser {
  #text = '';
  #pos = 0;
  /** Characters consumed before `#text[0]`. */
  #base = 0;
  #final = false;
  #done = false;
  #tokValue: string | number | boolean | null = null;
  readonly #stack: Frame[] = [];
  readonly #path: (string | number)[] = [];
  /** Start offset of the value being captured, or -1. */
  #captureStart = -1;

  constructor(private readonly options: JsonStreamParserOptions) {}

  /** Feeds the next piece of text; captured values are reported through `onValue` before this returns. */
  push(text: string): void {
    if (this.#pos > 0) {
      this.#base += this.#pos;
      this.#text = this.#text.slice(this.#pos) + text;
      this.#pos = 0;
    } else {
      this.#text += text;
    }
    this.#run();
  }

  /** Ends the input; refuses a document that is incomplete or has trailing content. */
  end(): void {
    this.#final = true;
    this.#run();
    if (!this.#done) throw this.#malformed('the document ends before its top-level value is complete');
  }

  #run(): void {
    for (;;) {
      const tok = this.#next();
      if (tok === Tok.NeedMore) {
        const pending = this.#text.length - this.#pos;
        if (pending > this.options.limits.maxRecordBytes) throw this.#tooLarge();
        return;
      }
      if (tok === Tok.End) return;
      if (this.#done) throw this.#malformed('unexpected content after the top-level value');
      this.#accept(tok);
      if (
        this.#captureStart >= 0 &&
        this.#offset() - this.#captureStart > this.options.limits.maxRecordBytes
      ) {
        throw this.#tooLarge();
      }
    }
  }

  #offset(): number {
    return this.#base + this.#pos;
  }

  // ─── Grammar ──────────────────────────────────────────────────────────────────────────────────────

  #accept(tok: Tok): void {
    const frame = this.#stack[this.#stack.length - 1];
    if (frame === undefined) {
      this.#startValue(tok);
      return;
    }
    if (frame.kind === 'object') {
      switch (frame.state) {
        case 'key': {
          if (tok === Tok.EndObject && frame.first) {
            this.#close();
            return;
          }
          if (tok !== Tok.String) throw this.#malformed('expected a key in double quotes');
          const key = this.#tokValue as string;
          if (FORBIDDEN_KEYS.has(key)) {
            throw formatError(
              this.options.format,
              FormatErrorReason.FORBIDDEN_KEY,
              `the key '${key}' is refused: it would reach the prototype of the objects built from this input`,
              { location: { pointer: pointerOf([...this.#path, key]) }, field: key },
            );
          }
          if (frame.value !== undefined && Object.hasOwn(frame.value, key)) {
            throw this.#malformed(`the key '${key}' appears twice in one object`);
          }
          frame.key = key;
          frame.state = 'colon';
          return;
        }
        case 'colon':
          if (tok !== Tok.Colon) throw this.#malformed("expected ':' after a key");
          frame.state = 'value';
          return;
        case 'value':
          this.#path.push(frame.key as string);
          frame.state = 'comma';
          frame.first = false;
          this.#startValue(tok);
          return;
        case 'comma':
          if (tok === Tok.EndObject) {
            this.#close();
            return;
          }
          if (tok !== Tok.Comma) throw this.#malformed("expected ',' or '}'");
          frame.state = 'key';
          return;
      }
    }
    // array
    if (frame.state === 'value') {
      if (tok === Tok.EndArray && frame.first) {
        this.#close();
        return;
      }
      frame.first = false;
      frame.state = 'comma';
      this.#path.push(frame.index);
      this.#startValue(tok);
      return;
    }
    if (tok === Tok.EndArray) {
      this.#close();
      return;
    }
    if (tok !== Tok.Comma) throw this.#malformed("expected ',' or ']'");
    frame.index += 1;
    frame.state = 'value';
  }

  /** A value starts at the current path (already pushed, except for the root). */
  #startValue(tok: Tok): void {
    const parent = this.#stack[this.#stack.length - 1];
    const building = parent?.value !== undefined;
    let capturing = building;
    let captureRoot = false;
    if (!building) {
      capturing = this.options.decide(this.#path) === 'capture';
      captureRoot = capturing;
      if (capturing) this.#captureStart = this.#offset();
    }
    if (tok === Tok.BeginObject || tok === Tok.BeginArray) {
      if (this.#stack.length >= this.options.limits.maxDepth) {
        throw formatError(
          this.options.format,
          FormatErrorReason.TOO_DEEP,
          `nesting is deeper than ${this.options.limits.maxDepth} levels`,
          { location: { pointer: pointerOf(this.#path) }, details: { limit: this.options.limits.maxDepth } },
        );
      }
      if (captureRoot && tok === Tok.BeginObject) {
        const start = this.#pos - 1;
        const fast = this.#canonicalLine(start);
        if (fast !== undefined) {
          this.#pos = start + fast.length;
          this.#completeValue(fast.value, true, true);
          return;
        }
      }
      const kind = tok === Tok.BeginObject ? 'object' : 'array';
      const value = capturing ? (kind === 'object' ? ({} as Record<string, JsonValue>) : []) : undefined;
      this.#stack.push({
        kind,
        value,
        key: undefined,
        index: 0,
        state: kind === 'object' ? 'key' : 'value',
        first: true,
        captureRoot,
      });
      if (!capturing) this.options.onEnter?.(this.#path, kind);
      return;
    }
    if (tok !== Tok.String && tok !== Tok.Number && tok !== Tok.Literal) {
      throw this.#malformed('expected a value');
    }
    this.#completeValue(this.#tokValue, capturing, captureRoot);
  }

  /**
   * The fast path for a captured record that is the rest of its line, as the envelope writer (and NDJSON)
   * writes records: the line's text up to the record's closing brace (trailing `,`, `]` and `}` of the
   * enclosing arrays and objects cut off) read with JSON.parse, and kept only when it is a flat object
   * without a key that reaches a prototype and printing it again gives back exactly that text — which also
   * rules out duplicate keys and number literals a double does not hold. Anything else (undefined) is
   * parsed here token by token, with the checks and messages that gives, so both paths accept the same input.
   */
  #canonicalLine(start: number): { value: JsonValue; length: number } | undefined {
    const text = this.#text;
    const newline = text.indexOf('\n', start);
    if (newline < 0) return undefined;
    let end = newline;
    for (;;) {
      const c = text.charCodeAt(end - 1);
      // ',' ']' '}' and whitespace after the record's last value
      if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x09 || c === 0x0d) end -= 1;
      else break;
    }
    // The record's own closing brace is the first character cut off.
    if (text.charCodeAt(end) !== 0x7d) return undefined;
    const length = end + 1 - start;
    if (length > this.options.limits.maxRecordBytes) return undefined;
    const value = canonicalFlatObject(text.slice(start, end + 1));
    return value === undefined ? undefined : { value, length };
  }

  #close(): void {
    const frame = this.#stack.pop() as Frame;
    this.#completeValue(frame.value as JsonValue, frame.value !== undefined, frame.captureRoot);
  }

  /** A value ended: attach it to its parent being built, or hand it over when it is a captured root. */
  #completeValue(value: JsonValue, captured: boolean, captureRoot: boolean): void {
    const parent = this.#stack[this.#stack.length - 1];
    if (captured && parent?.value !== undefined && !captureRoot) {
      if (parent.kind === 'object') (parent.value as Record<string, JsonValue>)[parent.key as string] = value;
      else (parent.value as JsonValue[]).push(value);
    } else if (captureRoot) {
      this.#captureStart = -1;
      this.options.onValue(this.#path, value);
    }
    // A child's path segment goes with it; the root has none.
    if (this.#stack.length > 0) this.#path.pop();
    else this.#done = true;
  }

  // ─── Tokens ───────────────────────────────────────────────────────────────────────────────────────

  #next(): Tok {
    const text = this.#text;
    let p = this.#pos;
    for (;;) {
      if (p >= text.length) {
        this.#pos = p;
        return this.#final ? Tok.End : Tok.NeedMore;
      }
      const c = text.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        p += 1;
        continue;
      }
      break;
    }
    this.#pos = p;
    const c = text.charCodeAt(p);
    switch (c) {
      case 0x7b:
        this.#pos = p + 1;
        return Tok.BeginObject;
      case 0x7d:
        this.#pos = p + 1;
        return Tok.EndObject;
      case 0x5b:
        this.#pos = p + 1;
        return Tok.BeginArray;
      case 0x5d:
        this.#pos = p + 1;
        return Tok.EndArray;
      case 0x3a:
        this.#pos = p + 1;
        return Tok.Colon;
      case 0x2c:
        this.#pos = p + 1;
        return Tok.Comma;
      case 0x22:
        return this.#string(p);
      case 0x74:
        return this.#literal(p, 'true', true);
      case 0x66:
        return this.#literal(p, 'false', false);
      case 0x6e:
        return this.#literal(p, 'null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.#number(p);
        throw this.#malformed(`unexpected character '${String.fromCodePoint(text.codePointAt(p) ?? c)}'`);
    }
  }

  #string(start: number): Tok {
    const text = this.#text;
    let end = text.indexOf('"', start + 1);
    for (;;) {
      if (end < 0) {
        if (this.#final) throw this.#malformed('a string is not closed');
        return Tok.NeedMore;
      }
      let slashes = 0;
      for (let i = end - 1; i > start && text.charCodeAt(i) === 0x5c; i -= 1) slashes += 1;
      if (slashes % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
    const raw = text.slice(start + 1, end);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings
    if (/[\u0000-\u001f]/.test(raw)) throw this.#malformed('a string holds a raw control character');
    if (raw.includes('\\')) {
      try {
        this.#tokValue = JSON.parse(`"${raw}"`) as string;
      } catch (cause) {
        throw this.#malformed(`a string has an invalid escape (${String(cause)})`);
      }
    } else {
      this.#tokValue = raw;
    }
    this.#pos = end + 1;
    return Tok.String;
  }

  #number(start: number): Tok {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = start;
    const match = re.exec(this.#text);
    if (match === null) {
      // A lone '-' at the end of the buffer: its digits are in the next chunk.
      if (!this.#final && start + 1 >= this.#text.length) return Tok.NeedMore;
      throw this.#malformed('a number is malformed');
    }
    const end = start + match[0].length;
    // A number at the end of the buffer may go on in the next chunk ("1" then ".5", "2e" then "+3").
    if (!this.#final && /^(?:\.|[eE][+-]?)?$/.test(this.#text.slice(end))) return Tok.NeedMore;
    const literal = match[0];
    if (numberLosesPrecision(literal)) {
      throw formatError(
        this.options.format,
        FormatErrorReason.PRECISION_LOSS,
        `the number ${literal.length > 40 ? `${literal.slice(0, 40)}…` : literal} cannot be held exactly (integers must be within ±(2^53-1), decimals within 17 significant digits); quote it as a string`,
        { location: { pointer: pointerOf(this.#path) } },
      );
    }
    this.#tokValue = Number(literal);
    this.#pos = end;
    return Tok.Number;
  }

  #literal(start: number, word: string, value: boolean | null): Tok {
    const have = this.#text.slice(start, start + word.length);
    if (have.length < word.length && !this.#final && word.startsWith(have)) return Tok.NeedMore;
    if (have !== word) throw this.#malformed(`unexpected '${have}'`);
    this.#tokValue = value;
    this.#pos = start + word.length;
    return Tok.Literal;
  }

  #malformed(message: string) {
    return formatError(
      this.options.format,
      FormatErrorReason.MALFORMED,
      `${message} (character ${this.#offset()})`,
      {
        location: { pointer: pointerOf(this.#path) },
        details: { offset: this.#offset() },
      },
    );
  }

  #tooLarge() {
    return formatError(
      this.options.format,
      FormatErrorReason.RECORD_TOO_LARGE,
      `a record or value is larger than ${this.options.limits.maxRecordBytes} bytes`,
      {
        location: { pointer: pointerOf(this.#path) },
        details: { limit: this.options.limits.maxRecordBytes },
      },
    );
  }
}

/** RFC 6901 JSON pointer of a path. */
export function pointerOf(path: JsonPath): string {
  return path.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * The fast path for lines as JSON.stringify writes them (every export of this package): JSON.parse, then
 * accepted only when printing the value again gives back exactly the line — which rules out duplicate keys
 * (the printed object would be shorter), number literals a double does not hold exactly (they would print
 * differently) and whitespace — and when it is a flat object without a key that reaches a prototype. Anything
 * else (undefined) goes to the streaming parser, which checks the same things and says precisely what is
 * wrong and where; so both paths accept the same lines.
 */
export function canonicalFlatObject(body: string): JsonValue | undefined {
  if (body.charCodeAt(0) !== 0x7b) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(value, key)) return undefined;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object') return undefined;
  }
  return JSON.stringify(value) === body ? (value as JsonValue) : undefined;
}
