import { type Seed, SeededRandom } from '../random/seeded-random.js';
import { SKEWED_FILLER_TERMS } from './corpus-generator.js';
import { COMMON_PHRASES, COMMON_PREFIXES, MAINFRAME_CODES, TYPO_TARGETS } from './mainframe-vocabulary.js';
import { containsTokenSequence, type EntryText, entryText, tokenize } from './text-match.js';

export type TypoEdit = 'transposition' | 'deletion' | 'substitution';

/** A code typed as the whole query (`S0C7`, `SQLCODE -911`, `VSAM status 35`). */
export interface CodeQuery {
  kind: 'code';
  query: string;
  code: string;
  /** Entries of the corpus whose text contains the code (token sequence, ignoring case). */
  relevantCount: number;
}

/** Common words, quoted as a phrase or not: every entry that has them must be scored. */
export interface PhraseQuery {
  kind: 'phrase';
  query: string;
  phrase: string;
  quoted: boolean;
  /** Entries containing the words as a consecutive run. */
  matchCount: number;
}

export interface PrefixQuery {
  kind: 'prefix';
  /** `abend*` */
  query: string;
  prefix: string;
  /** Entries with a token starting with the prefix. */
  matchCount: number;
}

/** One real vocabulary word with one edit applied: `VASM`, `abnd`, `datset`. */
export interface TypoQuery {
  kind: 'typo';
  query: string;
  /** The word the user meant, as it is usually written (`VSAM`). */
  intended: string;
  edit: TypoEdit;
  /** Entries containing the intended word as a token. */
  relevantCount: number;
}

/**
 * Only words that are in (nearly) every entry, typed unquoted: `job failed`, `system error`. The hostile case
 * of the skewed corpus, where every candidate ranking must look at almost the whole corpus.
 */
export interface CommonQuery {
  kind: 'common';
  query: string;
  /** The words of the query, lower case. */
  terms: string[];
  /** Entries containing each word (same order as `terms`). */
  termCounts: number[];
}

export type BenchmarkQuery = CodeQuery | PhraseQuery | PrefixQuery | TypoQuery | CommonQuery;

export interface QueryMix {
  code: number;
  phrase: number;
  prefix: number;
  typo: number;
  /** Common-word queries (from `QueryOptions.commonQueries`); none when absent. */
  common?: number | undefined;
}

/** Shares of each kind in a generated set; fixed so two runs of a benchmark ask the same kind of questions. */
export const DEFAULT_QUERY_MIX: QueryMix = { code: 0.35, phrase: 0.2, prefix: 0.15, typo: 0.3 };

/** The skewed corpus's mix: a fifth of the queries are nothing but its filler words. */
export const SKEWED_QUERY_MIX: QueryMix = { code: 0.3, phrase: 0.15, prefix: 0.1, typo: 0.25, common: 0.2 };

/** What users of a support desk type when they only know "the job failed": every word a filler word. */
export const SKEWED_COMMON_QUERIES: readonly string[] = [
  'error',
  'job failed',
  'system error',
  'failed',
  'check the job',
  'the job failed',
  'support',
  'job error',
  'check system error',
  'failed job support',
  'system check failed',
  'job',
  'check the system error',
  'error job failed system',
  'support check',
  'the error',
];

/**
 * Misspelling targets for the skewed corpus: its filler words of five letters or more first (a misspelt
 * filler word corrects to a word in nearly every entry), then the usual ones.
 */
export const SKEWED_TYPO_TARGETS: readonly string[] = [
  ...SKEWED_FILLER_TERMS.filter((w) => w.length >= 5),
  ...TYPO_TARGETS,
];

/** The options `generateQueries` takes for the skewed corpus (besides corpus, count and seed). */
export function skewedQueryOptions(): Pick<QueryOptions, 'mix' | 'commonQueries' | 'typoTargets'> {
  return { mix: SKEWED_QUERY_MIX, commonQueries: SKEWED_COMMON_QUERIES, typoTargets: SKEWED_TYPO_TARGETS };
}

export interface QueryOptions {
  /** The corpus the queries will run against; scanned once (lazily) to count relevant entries. */
  corpus: Iterable<EntryText>;
  /** Default 200. */
  count?: number | undefined;
  seed: Seed;
  mix?: QueryMix | undefined;
  /** The pool of common-word queries (asked when the mix has a `common` share); only words the corpus has. */
  commonQueries?: readonly string[] | undefined;
  /** Words to misspell (default TYPO_TARGETS), in the order the typos rotate through them. */
  typoTargets?: readonly string[] | undefined;
}

/** Typos of these are always included when the corpus has the word: they are the project's named examples. */
const CANONICAL_TYPOS: readonly { intended: string; typo: string; edit: TypoEdit }[] = [
  { intended: 'VSAM', typo: 'VASM', edit: 'transposition' },
  { intended: 'abend', typo: 'abnd', edit: 'deletion' },
  { intended: 'dataset', typo: 'datset', edit: 'deletion' },
];

/** Keys on a QWERTY keyboard next to each letter: substitutions a hurried analyst actually makes. */
const NEIGHBOURS: Record<string, string> = {
  a: 'qsz',
  b: 'vgn',
  c: 'xdv',
  d: 'sfe',
  e: 'wrd',
  f: 'dgr',
  g: 'fht',
  h: 'gjy',
  i: 'uok',
  j: 'hku',
  k: 'jli',
  l: 'kop',
  m: 'nj',
  n: 'bmh',
  o: 'ipl',
  p: 'ol',
  q: 'wa',
  r: 'eft',
  s: 'adw',
  t: 'rgy',
  u: 'yij',
  v: 'cbf',
  w: 'qes',
  x: 'zcs',
  y: 'tuh',
  z: 'xa',
};

function applyCase(template: string, letters: string): string {
  return template === template.toUpperCase() ? letters.toUpperCase() : letters;
}

/** Every single-edit misspelling of `word` of the three kinds, first and last letter kept (people get those right). */
export function misspellings(word: string): { typo: string; edit: TypoEdit }[] {
  const lower = word.toLowerCase();
  const out: { typo: string; edit: TypoEdit }[] = [];
  for (let i = 1; i < lower.length - 2; i++) {
    if (lower[i] === lower[i + 1]) continue;
    out.push({
      typo: lower.slice(0, i) + lower[i + 1] + lower[i] + lower.slice(i + 2),
      edit: 'transposition',
    });
  }
  for (let i = 1; i < lower.length - 1; i++) {
    out.push({ typo: lower.slice(0, i) + lower.slice(i + 1), edit: 'deletion' });
  }
  for (let i = 1; i < lower.length - 1; i++) {
    for (const c of NEIGHBOURS[lower[i] as string] ?? '') {
      out.push({ typo: lower.slice(0, i) + c + lower.slice(i + 1), edit: 'substitution' });
    }
  }
  const unique = new Map<string, TypoEdit>();
  for (const m of out) if (m.typo !== lower && !unique.has(m.typo)) unique.set(m.typo, m.edit);
  return [...unique].map(([typo, edit]) => ({ typo: applyCase(word, typo), edit }));
}

interface SequenceCounter {
  key: string;
  rest: string[];
  count: number;
  /** The last entry counted, so an entry counts once however often it repeats the sequence. */
  lastDoc: number;
}

interface PrefixCounter {
  prefix: string;
  count: number;
  lastDoc: number;
}

/** What one distinct token can start or complete; computed once per token, then a single Map lookup. */
interface TokenInfo {
  sequences: readonly SequenceCounter[];
  prefixes: readonly PrefixCounter[];
}

const NOTHING: TokenInfo = { sequences: [], prefixes: [] };

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Sequences whose first token ends here. */
  sequences?: SequenceCounter[];
  /** Prefixes that end here: every token passing through counts for them. */
  prefixes?: PrefixCounter[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: any character above 0x7F leaves the ASCII path
const NON_ASCII = /[^\u0000-\u007f]/;

function isWordCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** True when the tokens `rest` follow position `from` (the end of a token) in lower-case ASCII `text`. */
function restFollows(text: string, from: number, rest: readonly string[]): boolean {
  let i = from;
  for (const token of rest) {
    while (i < text.length && !isWordCode(text.charCodeAt(i))) i++;
    if (!text.startsWith(token, i)) return false;
    i += token.length;
    if (i < text.length && isWordCode(text.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * Counts, in one pass over the corpus, the entries that contain each code, phrase, word and prefix, and
 * which candidate typos occur as real words (those are dropped: a "typo" that is a word is no typo).
 * Work per token is one Map lookup, so 100,000 entries scan in about a second.
 */
class CorpusCounter {
  private readonly byFirst = new Map<string, SequenceCounter[]>();
  private readonly byKey = new Map<string, SequenceCounter>();
  private readonly prefixCounters: PrefixCounter[];
  private readonly info = new Map<string, TokenInfo>();
  private readonly trie: TrieNode = { next: new Map() };

  constructor(sequences: Iterable<string>, prefixes: readonly string[]) {
    for (const key of sequences) {
      if (this.byKey.has(key)) continue;
      const tokens = tokenize(key);
      const first = tokens[0];
      if (first === undefined) continue;
      const counter: SequenceCounter = { key, rest: tokens.slice(1), count: 0, lastDoc: -1 };
      this.byKey.set(key, counter);
      const list = this.byFirst.get(first) ?? [];
      list.push(counter);
      this.byFirst.set(first, list);
    }
    this.prefixCounters = prefixes.map((p) => ({ prefix: p.toLowerCase(), count: 0, lastDoc: -1 }));
    for (const [first, list] of this.byFirst) this.trieNode(first).sequences = list;
    for (const p of this.prefixCounters) {
      const node = this.trieNode(p.prefix);
      node.prefixes = [...(node.prefixes ?? []), p];
    }
  }

  private trieNode(word: string): TrieNode {
    let node = this.trie;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      let child = node.next.get(c);
      if (!child) {
        child = { next: new Map() };
        node.next.set(c, child);
      }
      node = child;
    }
    return node;
  }

  private infoOf(token: string): TokenInfo {
    let info = this.info.get(token);
    if (info === undefined) {
      const sequences = this.byFirst.get(token) ?? [];
      const prefixes = this.prefixCounters.filter((p) => token.startsWith(p.prefix));
      info = sequences.length === 0 && prefixes.length === 0 ? NOTHING : { sequences, prefixes };
      this.info.set(token, info);
    }
    return info;
  }

  scan(corpus: Iterable<EntryText>): number {
    let doc = 0;
    for (const entry of corpus) {
      const lower = entryText(entry).toLowerCase();
      if (NON_ASCII.test(lower)) this.scanTokens(tokenize(lower), doc);
      else this.scanAscii(lower, doc);
      doc += 1;
    }
    return doc;
  }

  /** Any text: through the token array. */
  private scanTokens(tokens: readonly string[], doc: number): void {
    for (let i = 0; i < tokens.length; i++) {
      const info = this.infoOf(tokens[i] as string);
      if (info === NOTHING) continue;
      for (const s of info.sequences) {
        if (s.lastDoc === doc) continue;
        let j = 0;
        while (j < s.rest.length && tokens[i + 1 + j] === s.rest[j]) j++;
        if (j === s.rest.length) {
          s.count += 1;
          s.lastDoc = doc;
        }
      }
      this.countPrefixes(info.prefixes, doc);
    }
  }

  /**
   * ASCII text, the common case: walks a trie of the interesting tokens character by character, so the
   * millions of uninteresting tokens of a large corpus are never cut out as strings and hashed.
   */
  private scanAscii(lower: string, doc: number): void {
    const n = lower.length;
    let i = 0;
    while (i < n) {
      while (i < n && !isWordCode(lower.charCodeAt(i))) i++;
      let node: TrieNode | undefined = this.trie;
      let j = i;
      while (j < n && isWordCode(lower.charCodeAt(j))) {
        if (node !== undefined) {
          node = node.next.get(lower.charCodeAt(j));
          if (node?.prefixes) this.countPrefixes(node.prefixes, doc);
        }
        j++;
      }
      if (node?.sequences && j > i) {
        for (const s of node.sequences) {
          if (s.lastDoc !== doc && restFollows(lower, j, s.rest)) {
            s.count += 1;
            s.lastDoc = doc;
          }
        }
      }
      i = j;
    }
  }

  private countPrefixes(prefixes: readonly PrefixCounter[], doc: number): void {
    for (const p of prefixes) {
      if (p.lastDoc !== doc) {
        p.count += 1;
        p.lastDoc = doc;
      }
    }
  }

  count(key: string): number {
    return this.byKey.get(key)?.count ?? 0;
  }

  prefixCount(prefix: string): number {
    return this.prefixCounters.find((p) => p.prefix === prefix.toLowerCase())?.count ?? 0;
  }
}

function allocate(count: number, mix: QueryMix): Required<QueryMix> {
  const total = mix.code + mix.phrase + mix.prefix + mix.typo + (mix.common ?? 0);
  if (!(total > 0)) throw new RangeError('query mix shares must add up to more than zero');
  const phrase = Math.round((count * mix.phrase) / total);
  const prefix = Math.round((count * mix.prefix) / total);
  const typo = Math.round((count * mix.typo) / total);
  const common = Math.round((count * (mix.common ?? 0)) / total);
  return { code: Math.max(0, count - phrase - prefix - typo - common), phrase, prefix, typo, common };
}

/**
 * Fills `n` slots from `pool`, each item once before any repeats (a benchmark of 200 distinct questions
 * means more than 50 questions asked four times); repeats are varied by `vary` where it can.
 */
function fill<T, Q>(
  r: SeededRandom,
  pool: readonly T[],
  n: number,
  make: (item: T, round: number) => Q,
): Q[] {
  const out: Q[] = [];
  if (pool.length === 0) return out;
  for (let round = 0; out.length < n; round++) {
    for (const item of r.shuffled(pool)) {
      if (out.length === n) break;
      out.push(make(item, round));
    }
  }
  return out;
}

/**
 * A fixed mix of benchmark queries over `corpus`: codes, common-word phrases, prefixes and misspelt words,
 * each carrying what is needed to score the answer (see `scoreQuery`). Deterministic for a seed and corpus.
 * Only codes and words the corpus contains are asked for, so every query has something to find.
 */
export function generateQueries(options: QueryOptions): BenchmarkQuery[] {
  const count = options.count ?? 200;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  const r = new SeededRandom(options.seed).fork('queries');
  const plan = allocate(count, options.mix ?? DEFAULT_QUERY_MIX);

  const typoTargets = options.typoTargets ?? TYPO_TARGETS;
  const commonPool = plan.common > 0 ? (options.commonQueries ?? []) : [];
  const typoCandidates = new Map<string, { typo: string; edit: TypoEdit }[]>();
  for (const word of typoTargets) typoCandidates.set(word, misspellings(word));
  const sequences = [
    ...MAINFRAME_CODES.map((c) => c.code),
    ...COMMON_PHRASES,
    ...typoTargets,
    ...[...typoCandidates.values()].flat().map((t) => t.typo),
    ...commonPool.flatMap((q) => tokenize(q)),
  ];
  const counter = new CorpusCounter(sequences, COMMON_PREFIXES);
  counter.scan(options.corpus);

  const codes = MAINFRAME_CODES.map((c) => c.code).filter((code) => counter.count(code) > 0);
  const codeQueries = fill(
    r,
    codes,
    plan.code,
    (code, round): CodeQuery => ({
      kind: 'code',
      // A repeat asks in lower case, as users do; the engine must treat both alike.
      query: round % 2 === 0 ? code : code.toLowerCase(),
      code,
      relevantCount: counter.count(code),
    }),
  );

  const phrases = COMMON_PHRASES.filter((p) => counter.count(p) > 0);
  const phraseQueries = fill(r, phrases, plan.phrase, (phrase, round): PhraseQuery => {
    const quoted = round % 2 === 0 ? tokenize(phrase).length > 1 : false;
    return {
      kind: 'phrase',
      query: quoted ? `"${phrase}"` : phrase,
      phrase,
      quoted,
      matchCount: counter.count(phrase),
    };
  });

  const prefixes = COMMON_PREFIXES.filter((p) => counter.prefixCount(p) > 0);
  const prefixQueries = fill(
    r,
    prefixes,
    plan.prefix,
    (prefix): PrefixQuery => ({
      kind: 'prefix',
      query: `${prefix}*`,
      prefix,
      matchCount: counter.prefixCount(prefix),
    }),
  );

  // A misspelling that is itself a word of the corpus is a correct query for another word, not a typo.
  const isTypo = (t: string) => counter.count(t) === 0;
  const typoPool: { intended: string; typo: string; edit: TypoEdit }[] = [];
  const present = typoTargets.filter((w) => counter.count(w) > 0);
  for (const c of CANONICAL_TYPOS) if (counter.count(c.intended) > 0 && isTypo(c.typo)) typoPool.push(c);
  const typoQueries: TypoQuery[] = typoPool.slice(0, plan.typo).map((t) => ({
    kind: 'typo',
    query: t.typo,
    intended: t.intended,
    edit: t.edit,
    relevantCount: counter.count(t.intended),
  }));
  const used = new Set(typoQueries.map((q) => q.query));
  const byWord = present.map((w) => ({
    word: w,
    options: (typoCandidates.get(w) ?? []).filter((t) => isTypo(t.typo)),
  }));
  const edits: TypoEdit[] = ['transposition', 'deletion', 'substitution'];
  // Rotate through words, then edit kinds, so neither one word nor one kind of mistake dominates; stop
  // when a full rotation finds nothing unused.
  let cursor = 0;
  let misses = 0;
  while (typoQueries.length < plan.typo && byWord.length > 0 && misses < byWord.length * edits.length) {
    const index = cursor % byWord.length;
    const { word, options: candidates } = byWord[index]!;
    // Each round shifts every word to the next edit kind, and one round already has all three kinds.
    const edit = edits[(index + Math.floor(cursor / byWord.length)) % edits.length]!;
    cursor += 1;
    const fresh = candidates.filter((t) => t.edit === edit && !used.has(t.typo));
    if (fresh.length === 0) {
      misses += 1;
      continue;
    }
    misses = 0;
    const t = r.pick(fresh);
    used.add(t.typo);
    typoQueries.push({
      kind: 'typo',
      query: t.typo,
      intended: word,
      edit: t.edit,
      relevantCount: counter.count(word),
    });
  }

  // Drawn last, so a mix without common queries gets exactly the queries it always got.
  const commons = commonPool.filter((q) => tokenize(q).every((t) => counter.count(t) > 0));
  const commonQueries = fill(r, commons, plan.common, (query): CommonQuery => {
    const terms = tokenize(query);
    return { kind: 'common', query, terms, termCounts: terms.map((t) => counter.count(t)) };
  });

  return r.shuffle<BenchmarkQuery>([
    ...codeQueries,
    ...phraseQueries,
    ...prefixQueries,
    ...typoQueries,
    ...commonQueries,
  ]);
}

/**
 * Scores one query's answer (its results, best first):
 *
 * - code precision@10 = |{r in top10 : r contains the code}| / min(10, relevantCount). Containment is a
 *   case-insensitive run of whole tokens (see `entryContains`). The denominator counts the slots that could
 *   hold a relevant entry, so an engine that returns fewer results than exist is penalised as much as one
 *   that fills the page with other codes; 1.0 means every such slot holds the code.
 * - typo recall@10 = |{r in top10 : r contains the intended word}| / min(10, relevantCount): the share of
 *   the entries a correctly spelt query could have put on the first page that the misspelt query did. An
 *   engine without correction scores 0 (no entry contains the typo, by construction); one that corrects
 *   the word to the intended one scores 1.
 *
 * Phrase, prefix and common-word queries measure speed only and score `null`.
 */
export function scoreQuery(query: BenchmarkQuery, results: readonly EntryText[]): number | null {
  if (query.kind !== 'code' && query.kind !== 'typo') return null;
  const target = tokenize(query.kind === 'code' ? query.code : query.intended);
  const denominator = Math.min(10, query.relevantCount);
  if (denominator === 0) return null;
  let hits = 0;
  for (const entry of results.slice(0, 10))
    if (containsTokenSequence(tokenize(entryText(entry)), target)) hits += 1;
  return hits / denominator;
}

export interface QueryScoreSummary {
  /** Mean code precision@10 over code queries (null when there were none). */
  codePrecisionAt10: number | null;
  /** Mean typo recall@10 over typo queries. */
  typoRecallAt10: number | null;
  codeQueries: number;
  typoQueries: number;
}

/** Means of `scoreQuery` per metric over a run's answers. */
export function summarizeScores(
  answers: readonly { query: BenchmarkQuery; results: readonly EntryText[] }[],
): QueryScoreSummary {
  let codeSum = 0;
  let codeN = 0;
  let typoSum = 0;
  let typoN = 0;
  for (const { query, results } of answers) {
    const score = scoreQuery(query, results);
    if (score === null) continue;
    if (query.kind === 'code') {
      codeSum += score;
      codeN += 1;
    } else {
      typoSum += score;
      typoN += 1;
    }
  }
  return {
    codePrecisionAt10: codeN === 0 ? null : codeSum / codeN,
    typoRecallAt10: typoN === 0 ? null : typoSum / typoN,
    codeQueries: codeN,
    typoQueries: typoN,
  };
}
