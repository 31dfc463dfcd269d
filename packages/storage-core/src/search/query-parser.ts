import { ValidationError } from '../errors/storage-error.js';
import { normalizeCategory, normalizeTag } from '../kb/kb-schemas.js';
import { SEVERITIES, type Severity } from '../kb/kb-types.js';
import { type ParsedQuery, QUERY_LIMITS, type QueryAtom, type QueryClause } from './query-types.js';
import { tokenize } from './tokenizer.js';

/**
 * The query language:
 *
 * - `word` — entries containing the word (every word must be present); case and Latin accents are ignored.
 * - `"a quoted phrase"` — the words next to each other in this order; an unterminated quote runs to the end.
 * - `abend*` — a prefix (at least two characters before the `*`); `"file sta"*` — a phrase ending in one.
 * - `category:VSAM`, `tag:vsam`, `severity:high` — filters, values may be quoted (`category:"Data Sets"`);
 *   several filters all apply, so `tag:a tag:b` needs both tags.
 * - `a OR b` — either word; OR binds tighter than the implicit AND (`x a OR b` = x AND (a OR b)).
 * - `-word`, `-"a phrase"` — exclude entries containing it (needs something positive or a filter).
 * - A number directly after a word that names a kind of code (`SQLCODE -911`, `VSAM status 35`, `RC 8`; see
 *   CODE_WORDS) belongs to it: they are looked for as adjacent terms, `sqlcode 911` and `status 35`, so
 *   `status 35` does not find an entry about status 37 that mentions 35 records. After any other word the
 *   number is a code written without its prefix or sign (`timeout 904`, `deadlock -911`, `VSAM 35`) and is a
 *   term of its own, found wherever the entry writes it (`SQLCODE -904` holds the term `904`). The `-` before
 *   digits is part of the number, never an exclusion. Write `status AND 35` to search them apart.
 * - Punctuation inside a word glues its parts into a phrase: `status-35`, `SYS1.PROCLIB`, `DISP=(NEW,CATLG)`.
 *
 * Everything else (`(`, `)`, `^`, `:`, `NEAR`, `;`, `--`, NUL…) is ordinary punctuation or an ordinary word:
 * no input reaches an engine as syntax. Input that cannot be searched (empty, too long, too many terms, a
 * bad filter value) raises a ValidationError that says what to change.
 */

type Lexeme =
  | { kind: 'word'; text: string; negated: boolean; star: boolean }
  | { kind: 'phrase'; text: string; negated: boolean; star: boolean }
  | { kind: 'or' }
  | { kind: 'and' }
  | { kind: 'filter'; name: 'category' | 'tag' | 'severity'; value: string; written: string };

const OPEN_QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e']);
const CLOSE_QUOTES = new Set(['"', '\u201c', '\u201d']);
const FILTER = /^(category|tags?|severity):/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is replaced
const CONTROL = /[\u0000-\u001f\u007f]/g;
const SPACE = /\s/;

function invalid(message: string): ValidationError {
  return new ValidationError(message, [{ path: 'query', message }]);
}

function isSpace(ch: string): boolean {
  return SPACE.test(ch);
}

function startsTerm(ch: string | undefined): boolean {
  return ch !== undefined && tokenize(ch).length > 0;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** Reads up to the closing quote (or the end); returns the text and the index after the quote. */
function readQuoted(text: string, from: number): [string, number] {
  let i = from;
  while (i < text.length && !CLOSE_QUOTES.has(text[i]!)) i++;
  return [text.slice(from, i), i < text.length ? i + 1 : i];
}

function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      i++;
      continue;
    }
    const filter = FILTER.exec(text.slice(i, i + 10));
    if (filter) {
      const name = filter[1]!.toLowerCase();
      let j = i + filter[0].length;
      let value: string;
      if (OPEN_QUOTES.has(text[j] ?? '')) {
        [value, j] = readQuoted(text, j + 1);
      } else {
        const start = j;
        while (j < text.length && !isSpace(text[j]!)) j++;
        value = text.slice(start, j);
      }
      out.push({
        kind: 'filter',
        name: name === 'tags' ? 'tag' : (name as 'category' | 'severity' | 'tag'),
        value,
        written: text.slice(i, j),
      });
      i = j;
      continue;
    }
    let negated = false;
    // `-word` and `-"phrase"` exclude; `-911` is a number, and a lone `-` is punctuation.
    if (
      ch === '-' &&
      (OPEN_QUOTES.has(text[i + 1] ?? '') || (startsTerm(text[i + 1]) && !isDigit(text[i + 1])))
    ) {
      negated = true;
      i++;
      if (FILTER.test(text.slice(i, i + 10))) {
        throw invalid(
          `'-${text.slice(i).split(/\s/)[0]}': filters cannot be excluded; write the filter for what you want to keep`,
        );
      }
    }
    if (OPEN_QUOTES.has(text[i]!)) {
      const [body, after] = readQuoted(text, i + 1);
      let j = after;
      let star = false;
      while (text[j] === '*') {
        star = true;
        j++;
      }
      out.push({ kind: 'phrase', text: body, negated, star });
      i = j;
      continue;
    }
    const start = i;
    while (i < text.length && !isSpace(text[i]!) && !OPEN_QUOTES.has(text[i]!)) i++;
    let word = text.slice(start, i);
    if (!negated && word === 'OR') {
      out.push({ kind: 'or' });
      continue;
    }
    if (!negated && word === 'AND') {
      out.push({ kind: 'and' });
      continue;
    }
    let star = false;
    while (word.endsWith('*')) {
      star = true;
      word = word.slice(0, -1);
    }
    out.push({ kind: 'word', text: word, negated, star });
  }
  return out;
}

function isAtomLexeme(l: Lexeme | undefined): boolean {
  return l !== undefined && (l.kind === 'word' || l.kind === 'phrase') && !l.negated;
}

/** OR and AND are operators only between two positive atoms; anywhere else they are the words "or"/"and". */
function demoteStrayOperators(lexemes: Lexeme[]): Lexeme[] {
  return lexemes.map((l, i) => {
    if (l.kind !== 'or' && l.kind !== 'and') return l;
    const prev = lexemes[i - 1];
    const next = lexemes[i + 1];
    if (isAtomLexeme(prev) && isAtomLexeme(next)) return l;
    return { kind: 'word', text: l.kind === 'or' ? 'OR' : 'AND', negated: false, star: false };
  });
}

function filterValue(l: Extract<Lexeme, { kind: 'filter' }>, parsed: ParsedQuery): void {
  const value = l.value.trim();
  if (value === '') {
    throw invalid(`'${l.written}' needs a value, e.g. ${l.name}:${l.name === 'severity' ? 'high' : 'VSAM'}`);
  }
  if (l.name === 'severity') {
    const severity = value.toLowerCase();
    if (!(SEVERITIES as readonly string[]).includes(severity)) {
      throw invalid(`'${l.written}' is not a severity; use one of ${SEVERITIES.join(', ')}`);
    }
    parsed.filters.severities.push(severity as Severity);
  } else if (l.name === 'category') {
    if (value.length > 64) throw invalid(`'${l.name}:' values are at most 64 characters`);
    parsed.filters.categories.push(normalizeCategory(value));
  } else {
    const tag = value.length <= 50 ? normalizeTag(value) : null;
    if (tag === null)
      throw invalid(`'${l.written}' is not a tag: tags are 1–50 letters, digits, '-', '.', '_'`);
    parsed.filters.tags.push(tag);
  }
}

/**
 * Words after which a number is part of the code they introduce rather than a code on its own: DB2's
 * `SQLCODE -911` / `SQLSTATE 40001`, VSAM and QSAM `status 35`, step and command return codes `RC 8`,
 * `CC 0004`, `MAXCC 12`, CICS `RESP 13` / `RESP2 7`. Kept to words that are only ever followed by the code
 * itself; `code` and `reason` are not here because entries write `return code 8` or `reason code 04`, where
 * `reason 04` as a phrase would find nothing.
 */
export const CODE_WORDS: ReadonlySet<string> = new Set([
  'sqlcode',
  'sqlstate',
  'status',
  'rc',
  'cc',
  'maxcc',
  'resp',
  'resp2',
]);

/**
 * The system abend code a word most likely means when it is written without its `S` or with a letter O for
 * the zero: `0C7`, `OC7`, `SOC7` → `s0c7`; `B37` → `sb37`. System abend codes are `S` and three hex digits,
 * and analysts drop the `S` or type `O` for `0` all the time; the index holds the code as one term, so
 * neither form would find it. Only a word with a digit of its own qualifies (`soda`, `fed` and `013` do
 * not: a bare number is not known to be an abend), and the word itself is still searched too.
 */
export function abendCodeOf(term: string): string | undefined {
  const m = /^(s?)([0-9a-fo]{3})$/.exec(term);
  if (!m) return undefined;
  const [, s, body] = m as unknown as [string, string, string];
  const hex = body.replaceAll('o', '0');
  if (!/[0-9]/.test(body)) return undefined;
  // Without the S, only the shapes abend codes have and words rarely do: a digit first with a letter or an O
  // somewhere (0C7, OC7, 80A), or a letter and two digits (B37, D37, A14). Not DB2, not 013.
  if (s === '' && !((/^[0-9]/.test(hex) && /[a-fo]/.test(body)) || /^[a-f][0-9]{2}$/.test(hex)))
    return undefined;
  const code = `s${hex}`;
  return code === term ? undefined : code;
}

function isBareNumber(l: Extract<Lexeme, { kind: 'word' }>, terms: string[]): boolean {
  return !l.star && terms.length === 1 && /^\d+$/.test(terms[0]!) && /^[-+]?\d/.test(l.text);
}

/** Parses a query string; see the module comment for the language. */
export function parseQuery(input: unknown): ParsedQuery {
  if (typeof input !== 'string') throw invalid('the query must be a string');
  if (input.length > QUERY_LIMITS.maxLength) {
    throw invalid(
      `the query is ${input.length} characters long; at most ${QUERY_LIMITS.maxLength} are allowed — shorten it to the distinctive words`,
    );
  }
  const parsed: ParsedQuery = { clauses: [], filters: { categories: [], severities: [], tags: [] } };
  const lexemes = demoteStrayOperators(lex(input.replace(CONTROL, ' ')));
  let filters = 0;
  let pendingOr = false;
  let bindable: QueryAtom | undefined;
  /** Terms the parser added (abend codes written loosely): not the user's, so not counted against the limit. */
  let alternatives = 0;
  for (const l of lexemes) {
    if (l.kind === 'filter') {
      if (++filters > QUERY_LIMITS.maxFilters) {
        throw invalid(`the query has more than ${QUERY_LIMITS.maxFilters} filters`);
      }
      filterValue(l, parsed);
      bindable = undefined;
      continue;
    }
    if (l.kind === 'or') {
      pendingOr = true;
      bindable = undefined;
      continue;
    }
    if (l.kind === 'and') {
      bindable = undefined;
      continue;
    }
    const terms = tokenize(l.text);
    if (terms.length === 0) continue;
    if (l.kind === 'word' && bindable && !l.negated && !pendingOr && isBareNumber(l, terms)) {
      bindable.terms.push(terms[0]!);
      bindable.raw = `${bindable.raw} ${l.text}`;
      bindable = undefined;
      continue;
    }
    if (l.star && terms[terms.length - 1]!.length < QUERY_LIMITS.minPrefixLength) {
      throw invalid(
        `'${l.text}*' is too short for a prefix search: give at least ${QUERY_LIMITS.minPrefixLength} characters before '*'`,
      );
    }
    const atom: QueryAtom = { raw: l.text, terms, prefix: l.star, quoted: l.kind === 'phrase' };
    // A word that is an abend code written loosely also looks for the code itself: `0C7` OR `s0c7`.
    const code = l.kind === 'word' && !l.star && terms.length === 1 ? abendCodeOf(terms[0]!) : undefined;
    const atoms =
      code === undefined ? [atom] : [atom, { raw: l.text, terms: [code], prefix: false, quoted: false }];
    if (code !== undefined) alternatives++;
    const last = parsed.clauses[parsed.clauses.length - 1];
    if (pendingOr && last && !last.negated && !l.negated) last.atoms.push(...atoms);
    else parsed.clauses.push({ atoms, negated: l.negated } satisfies QueryClause);
    pendingOr = false;
    bindable =
      l.kind === 'word' && !l.star && !l.negated && CODE_WORDS.has(terms[terms.length - 1]!)
        ? atom
        : undefined;
  }
  const termCount =
    parsed.clauses.reduce((n, c) => n + c.atoms.reduce((m, a) => m + a.terms.length, 0), 0) - alternatives;
  if (termCount > QUERY_LIMITS.maxTerms) {
    throw invalid(`the query has ${termCount} search terms; at most ${QUERY_LIMITS.maxTerms} are allowed`);
  }
  const positive = parsed.clauses.some((c) => !c.negated);
  const anyFilter =
    parsed.filters.categories.length + parsed.filters.severities.length + parsed.filters.tags.length > 0;
  if (!positive && !anyFilter) {
    throw invalid(
      parsed.clauses.length > 0
        ? 'the query only excludes words: add a word to look for, or a filter such as category:VSAM'
        : 'the query has nothing to search for: type words, a "quoted phrase", a prefix such as abend*, or a filter such as category:VSAM',
    );
  }
  return parsed;
}
