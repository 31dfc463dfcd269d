/**
 * Spreadsheet formula neutralising (OWASP "CSV injection"): a text cell that a spreadsheet would evaluate —
 * starting with = + - @ tab or CR — is written with a leading apostrophe, which spreadsheets show as text.
 *
 * The mapping is reversible: a cell is escaped when it matches `'*` followed by a trigger, and one apostrophe
 * is removed from any cell matching `'+` followed by a trigger on import. So `=1+1` ↔ `'=1+1`, `'=x` ↔ `''=x`,
 * and `'plain` (no trigger after the apostrophes) is left alone both ways.
 */
const NEEDS_GUARD = /^'*[=+\-@\t\r]/;
const GUARDED = /^'+[=+\-@\t\r]/;

export function neutralizeFormula(text: string): string {
  return NEEDS_GUARD.test(text) ? `'${text}` : text;
}

export function restoreFormula(text: string): string {
  return GUARDED.test(text) ? text.slice(1) : text;
}
