/**
 * Cobrix's expected output, read without losing precision: a JSON number keeps its text (`30.50`,
 * `3050393257676267687078781717600592714`), and a comparison that names the path of every mismatch.
 */

/** A JSON number as written in the oracle. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

/** Parses one JSON text (object, array or scalar), numbers kept as `JsonNumber`. */
export function parseJson(text: string): JsonValue {
  let i = 0;
  const skip = (): void => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`bad JSON at ${i}: ${what}`);
  };
  const value = (): JsonValue => {
    skip();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const object: { [key: string]: JsonValue } = {};
      skip();
      if (text[i] === '}') {
        i++;
        return object;
      }
      for (;;) {
        skip();
        const key = value();
        if (typeof key !== 'string') fail('key');
        skip();
        if (text[i++] !== ':') fail("':'");
        object[key as string] = value();
        skip();
        const sep = text[i++];
        if (sep === '}') return object;
        if (sep !== ',') fail("',' or '}'");
      }
    }
    if (ch === '[') {
      i++;
      const array: JsonValue[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return array;
      }
      for (;;) {
        array.push(value());
        skip();
        const sep = text[i++];
        if (sep === ']') return array;
        if (sep !== ',') fail("',' or ']'");
      }
    }
    if (ch === '"') {
      const match = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i));
      if (!match) return fail('string');
      i += match[0].length;
      return JSON.parse(match[0]) as string;
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!literal) return fail('value');
    i += literal[0].length;
    if (literal[0] === 'true' || literal[0] === 'false') return literal[0] === 'true';
    if (literal[0] === 'null') return null;
    return new JsonNumber(literal[0]);
  };
  const result = value();
  skip();
  if (i !== text.length) fail('trailing text');
  return result;
}

/** One JSON value per non-empty line (Cobrix `*.txt`), or the elements of a JSON array file. */
export function parseJsonRecords(text: string): JsonValue[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return parseJson(trimmed) as JsonValue[];
  return trimmed.split('\n').map((line) => parseJson(line));
}

/** A plain decimal's canonical text: no '+', no leading zeros, no trailing fraction zeros, no '-0'. */
function canonicalDecimal(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return `not a plain decimal: ${text}`;
  const whole = (match[2] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const magnitude = fraction ? `${whole}.${fraction}` : whole;
  return magnitude === '0' ? '0' : `${match[1]}${magnitude}`;
}

/**
 * Compares a decoded value with Cobrix's expectation and returns every mismatch as "path: got …, want …".
 * A key Cobrix leaves out is a null. A number Cobrix emits is compared numerically when we return a JS
 * number (exactly, as doubles), and digit for digit when we return a bigint or a decimal string.
 */
export function cobrixMismatches(actual: unknown, expected: JsonValue, path = '$'): string[] {
  const show = (v: unknown): string => (typeof v === 'bigint' ? `${v}n` : JSON.stringify(v));
  if (expected instanceof JsonNumber) {
    if (typeof actual === 'number') {
      return actual === Number(expected.text) ? [] : [`${path}: got ${actual}, want ${expected.text}`];
    }
    if (typeof actual === 'bigint' || typeof actual === 'string') {
      return canonicalDecimal(String(actual)) === canonicalDecimal(expected.text)
        ? []
        : [`${path}: got ${show(actual)}, want ${expected.text}`];
    }
    return [`${path}: got ${show(actual)}, want ${expected.text}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: got ${show(actual)}, want an array`];
    if (actual.length !== expected.length)
      return [`${path}: got ${actual.length} elements, want ${expected.length}`];
    return expected.flatMap((e, i) => cobrixMismatches(actual[i], e, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object')
      return [`${path}: got ${show(actual)}, want an object`];
    const got = actual as Record<string, unknown>;
    const keys = new Set([...Object.keys(expected), ...Object.keys(got)]);
    return [...keys].flatMap((key) => {
      const want = expected[key];
      if (want === undefined) {
        return got[key] === null ? [] : [`${path}.${key}: got ${show(got[key])}, Cobrix has no value`];
      }
      if (!(key in got))
        return [`${path}.${key}: missing, want ${want instanceof JsonNumber ? want.text : show(want)}`];
      return cobrixMismatches(got[key], want, `${path}.${key}`);
    });
  }
  return actual === expected ? [] : [`${path}: got ${show(actual)}, want ${show(expected)}`];
}
