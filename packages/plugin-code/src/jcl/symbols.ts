/**
 * JCL symbols: `&NAME` (1–8 characters, first alphabetic or national), optionally ended by a period
 * that is consumed (`&SYSUID..CBL` → `USER.CBL`). `&&NAME` is a temporary data set name, not a symbol.
 * Substitution is a single pass over the text, so a value containing `&` is never re-expanded.
 */
const SYMBOL_REF = /&(&?)([A-Za-z@#$][A-Za-z0-9@#$]{0,7})(?![A-Za-z0-9@#$])(\.?)/g;

/** Symbol name (upper case) → substitution text. */
export interface SymbolLookup {
  get(name: string): string | undefined;
}

/** Records which symbols were referenced and which were left unresolved, in order of first use. */
export class SymbolUsage {
  readonly used = new Set<string>();
  readonly unresolved = new Set<string>();
}

/** Replaces every symbol of `table` in `text`; others stay as written and are recorded as unresolved. */
export function substituteSymbols(text: string, table: SymbolLookup, usage: SymbolUsage): string {
  if (!text.includes('&')) return text;
  return text.replace(SYMBOL_REF, (whole, temporary: string, name: string) => {
    if (temporary) return whole;
    const key = name.toUpperCase();
    usage.used.add(key);
    const value = table.get(key);
    if (value === undefined) {
      usage.unresolved.add(key);
      return whole;
    }
    return value;
  });
}

/** Names of the symbols referenced in `text` (temporary `&&` names excluded). */
export function symbolReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(SYMBOL_REF)) {
    if (!match[1] && match[2] !== undefined) names.push(match[2].toUpperCase());
  }
  return names;
}

const NEEDS_APOSTROPHES = /[\s,()=&']/;

/**
 * The substitution text of a symbol assigned `KEY='value'` on PROC, EXEC or SET: the enclosing
 * apostrophes are dropped when the value needs none (`MBR='DB2CBL'` → `DB2CBL`), kept when it holds
 * blanks, commas, parentheses… so the substituted statement still parses (`P='A,B'` stays `'A,B'`).
 */
export function symbolValue(raw: string): string {
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) {
    const inner = raw.slice(1, -1);
    if (!NEEDS_APOSTROPHES.test(inner)) return inner;
  }
  return raw;
}
