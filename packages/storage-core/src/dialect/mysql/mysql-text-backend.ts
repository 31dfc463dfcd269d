import { type Kysely, sql, type Transaction } from 'kysely';
import type { Migration } from '../../migration/migration-types.js';
import type { ParsedQuery, QueryAtom } from '../../search/query-types.js';
import type { ResolvedFilters } from '../../search/search-filters.js';
import {
  countUpTo,
  createVocabularyTable,
  filteredMatches,
  INDEXED_COLUMNS,
  indexedDocumentChunks,
} from '../../search/server/server-search-index.js';
import type { IndexedDocument, MatchedTerms, TextBackend } from '../../search/server/text-backend.js';

/** InnoDB ignores tokens longer than innodb_ft_max_token_size (84 by default). */
const MAX_TOKEN = 84;
/** Matches ranked natively when a query matches too many entries to rank them all (see ServerSearchIndex). */
const RANK_POOL = 1_000;

/**
 * A term as a token InnoDB's FULLTEXT parser keeps whole and indexes: `kb` + the term with every character
 * other than a–z and 0–9 written as `_<hex>_`. The prefix lifts one- and two-letter terms (`35` in
 * `status 35`) over innodb_ft_min_token_size (3) and out of the stopword list, and the escapes keep codes
 * such as `-911`, `sys1.proclib` or `#priv` in one token (InnoDB splits at punctuation). Terms past 84
 * characters are cut; the engine re-checks every candidate, so a cut term can over-match, never miss.
 */
export function ftToken(term: string): string {
  let out = 'kb';
  for (const ch of term) out += /[a-z0-9]/.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16)}_`;
  return out.slice(0, MAX_TOKEN);
}

/**
 * Separates the columns' tokens in `ft`. `|` is punctuation to InnoDB's parser, so it indexes nothing and
 * changes no match; it lets the engine read an entry's terms per column from the row the index returns.
 */
const COLUMN_MARK = ' | ';

/** The `ft` text of a document: its columns' tokens, the columns separated by COLUMN_MARK. */
export function ftText(document: IndexedDocument): string {
  return document.columns.map((terms) => terms.map(ftToken).join(' ')).join(COLUMN_MARK);
}

/**
 * The terms per column of an `ft` text, as the shared tokenizer gave them; undefined when the text cannot
 * say: written before the columns were marked, or holding a token that may have been cut at MAX_TOKEN.
 */
export function ftColumns(ft: string): string[][] | undefined {
  // One pass, one string per term: a search decodes up to 200 rows of about a thousand characters each.
  let terms: string[] = [];
  const columns = [terms];
  for (let at = 0; at < ft.length; ) {
    let end = ft.indexOf(' ', at);
    if (end < 0) end = ft.length;
    if (end - at === 1 && ft.charCodeAt(at) === 0x7c /* | */) {
      terms = [];
      columns.push(terms);
    } else if (end > at) {
      // Every token starts with `kb`; one of MAX_TOKEN characters may have been cut.
      if (end - at >= MAX_TOKEN || !ft.startsWith('kb', at)) return undefined;
      const term = ft.substring(at + 2, end);
      terms.push(term.includes('_') ? unescapeTerm(term) : term);
    }
    at = end + 1;
  }
  return columns.length === INDEXED_COLUMNS ? columns : undefined;
}

/** A term from its token's `_<hex>_` escapes (see ftToken). */
function unescapeTerm(escaped: string): string {
  return escaped.replace(/_([0-9a-f]+)_/g, (_, hex: string) =>
    String.fromCodePoint(Number.parseInt(hex, 16)),
  );
}

function atomExpression(atom: QueryAtom): string {
  const last = atom.terms.length - 1;
  if (atom.terms.length === 1) {
    const token = ftToken(atom.terms[0]!);
    return atom.prefix && token.length < MAX_TOKEN ? `${token}*` : token;
  }
  // A phrase; InnoDB has no prefix inside a phrase, so a trailing prefix is required beside it instead.
  const words = (atom.prefix ? atom.terms.slice(0, last) : atom.terms).map(ftToken);
  const phrase = words.length === 1 ? words[0]! : `"${words.join(' ')}"`;
  return atom.prefix ? `(+${phrase} +${ftToken(atom.terms[last]!)}*)` : phrase;
}

/**
 * Boolean-mode query text: each positive clause required, its atoms alternatives; words of negated clauses
 * excluded (`-token`) when the token is whole (not cut at MAX_TOKEN, where it could stand for other terms).
 * Negated phrases are left to the engine's check. Undefined without a positive clause.
 */
export function booleanQuery(query: ParsedQuery): string | undefined {
  const clauses = query.clauses
    .filter((c) => !c.negated && c.atoms.length > 0)
    .map((c) =>
      c.atoms.length === 1
        ? `+${atomExpression(c.atoms[0]!)}`
        : `+(${c.atoms.map(atomExpression).join(' ')})`,
    );
  if (clauses.length === 0) return undefined;
  for (const c of query.clauses) {
    if (!c.negated) continue;
    for (const atom of c.atoms) {
      if (atom.terms.length !== 1) continue;
      const token = ftToken(atom.terms[0]!);
      if (token.length < MAX_TOKEN) clauses.push(`-${atom.prefix ? `${token}*` : token}`);
    }
  }
  return clauses.join(' ');
}

export const mysqlSearchMigration: Migration = {
  id: 'mysql_fulltext_0001_kb_search',
  description: 'encoded terms of each entry with an InnoDB FULLTEXT index, and the search vocabulary',
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('kb_search')
      .addColumn('seq', 'integer', (c) => c.primaryKey().references('kb_entries.seq').onDelete('cascade'))
      .addColumn('length', 'integer', (c) => c.notNull())
      .addColumn('ft', sql`mediumtext`, (c) => c.notNull())
      .execute();
    await sql`create fulltext index kb_search_ft_idx on kb_search (ft)`.execute(db);
    await createVocabularyTable(db);
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('kb_search_terms').execute();
    await db.schema.dropTable('kb_search').execute();
  },
};

/**
 * The corpus statistics BM25 needs (entries, their summed length, the key range) are read with one aggregate
 * over kb_search every 30 s. Without this index InnoDB answers it from the clustered rows, which hold each
 * entry's text: 6,693 pages at 100,000 entries, evicting what searches use from a small buffer pool; the
 * index on `length` (which carries `seq`) covers the aggregate in 91.
 */
export const mysqlSearchLengthIndexMigration: Migration = {
  id: 'mysql_fulltext_0002_length_index',
  description: 'an index covering the corpus statistics of kb_search (count, summed length, key range)',
  async up(db: Kysely<any>) {
    await db.schema.createIndex('kb_search_length_idx').on('kb_search').column('length').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('kb_search_length_idx').on('kb_search').execute();
  },
};

async function writeDocuments(db: Kysely<any>, documents: readonly IndexedDocument[]): Promise<void> {
  if (documents.length === 0) return;
  await db
    .insertInto('kb_search')
    .values(documents.map((d) => ({ seq: d.seq, length: d.length, ft: ftText(d) })))
    .onDuplicateKeyUpdate({ length: sql`values(length)`, ft: sql`values(ft)` })
    .execute();
}

/**
 * Rewrites every indexed entry's `ft` with its columns marked (ftText), so searches measure candidates from
 * the rows the index returns instead of reading each entry (a row another version writes unmarked is still
 * found, and read as before). The FULLTEXT index is dropped for the rewrite and built again after it: updated
 * in place, InnoDB keeps every old document beside the new one until the table is optimized (at 100,000
 * entries the index grew from 104 to 180 MiB, and searches read both).
 */
export const mysqlSearchColumnMarksMigration: Migration = {
  id: 'mysql_fulltext_0003_column_marks',
  description: "marks the columns in each entry's indexed terms, so search reads them without the entry",
  async up(db: Kysely<any>) {
    await sql`drop index kb_search_ft_idx on kb_search`.execute(db);
    for await (const documents of indexedDocumentChunks(db)) await writeDocuments(db, documents);
    // A copy, not in place: MariaDB 10.11 builds an empty index in place on a table whose FULLTEXT index was
    // dropped after answering a query (the rows are found again only when the table is rebuilt).
    await sql`alter table kb_search add fulltext index kb_search_ft_idx (ft), algorithm = copy`.execute(db);
  },
  // Marked text matches the same entries as unmarked text: the earlier engine reads it as it is.
  async down() {},
};

/**
 * What an exact answer filters and ranks by (archived, category, severity, the use counters, updated_at), in
 * an index beside the key: read for the entries a search matches without reading their rows (tags, needed
 * only for a tag filter or facets, still come from the row).
 */
export const mysqlEntryFactsIndexMigration: Migration = {
  id: 'mysql_fulltext_0004_entry_facts_index',
  description: 'an index covering what search filters and ranks matches by, beside each entry key',
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('kb_entries_search_facts_idx')
      .on('kb_entries')
      .columns([
        'seq',
        'archived',
        'category',
        'severity',
        'usage_count',
        'success_count',
        'failure_count',
        'updated_at',
      ])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('kb_entries_search_facts_idx').on('kb_entries').execute();
  },
};

export class MysqlTextBackend implements TextBackend {
  readonly migrations = [mysqlSearchMigration];
  readonly laterMigrations = [
    mysqlSearchLengthIndexMigration,
    mysqlSearchColumnMarksMigration,
    mysqlEntryFactsIndexMigration,
  ];

  /**
   * InnoDB checks a phrase by reading every document that holds its words, and ranks by reading each match's
   * positions: at 100,000 entries of the skewed bench corpus, `"file status"` took 3.7 s and `"record layout"`
   * 1.1 s as a process's first query, natively, against about 0.1 s for loading the saved lists.
   */
  readonly costlyCommonWords = true;

  /**
   * MariaDB reads InnoDB pages with O_DIRECT: a page missing from the buffer pool is a disk read, and one
   * statement's point lookups wait for them one after another. Read in two halves at once, the champion
   * candidates of a phrase of common words took 49–52 ms at p95 instead of 33–40 (100,000 entries, 128 MiB
   * pool swept by other queries first); with the store in memory the two were alike.
   */
  readonly candidateReadParts = 2;

  write(trx: Transaction<any>, documents: readonly IndexedDocument[]): Promise<void> {
    return writeDocuments(trx, documents);
  }

  /** One statement adding `df` to each term's count (inserting new terms): MySQL's ON DUPLICATE KEY UPDATE. */
  async addTermCounts(trx: Transaction<any>, rows: readonly { term: string; df: number }[]): Promise<void> {
    await trx
      .insertInto('kb_search_terms')
      .values([...rows])
      .onDuplicateKeyUpdate({ df: sql`df + values(df)` })
      .execute();
  }

  canMatch(query: ParsedQuery): boolean {
    return booleanQuery(query) !== undefined;
  }

  #base(db: Kysely<any>, query: ParsedQuery, filters: ResolvedFilters) {
    const text = booleanQuery(query);
    if (text === undefined) throw new Error('the query has no positive clause');
    const against = sql`match(s.ft) against (${text} in boolean mode)`;
    return {
      against,
      select: filteredMatches(db, sql<boolean>`${against}`, filters),
    };
  }

  async match(
    db: Kysely<any>,
    query: ParsedQuery,
    filters: ResolvedFilters,
    limit: number,
    ranked: boolean,
  ): Promise<number[]> {
    const { against, select } = this.#base(db, query, filters);
    if (!ranked) return (await select.select('s.seq').limit(limit).execute()).map((r) => Number(r.seq));
    // Relevance is computed for every scored row: bound the work by ranking at most RANK_POOL matches.
    const pool = select
      .select(['s.seq', sql<number>`${against}`.as('score')])
      .limit(RANK_POOL)
      .as('m');
    const rows = await db
      .selectFrom(pool)
      .select('m.seq')
      .orderBy('m.score', 'desc')
      .orderBy('m.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.seq));
  }

  /** `match` unranked, each entry with its terms read from the row the index returned (see ftColumns). */
  async matchTerms(
    db: Kysely<any>,
    query: ParsedQuery,
    filters: ResolvedFilters,
    limit: number,
  ): Promise<MatchedTerms[]> {
    const rows = await this.#base(db, query, filters).select.select(['s.seq', 's.ft']).limit(limit).execute();
    return rows.map((r) => ({ seq: Number(r.seq), terms: ftColumns(r.ft as string) }));
  }

  async count(db: Kysely<any>, query: ParsedQuery, filters: ResolvedFilters, cap: number): Promise<number> {
    return countUpTo(db, this.#base(db, query, filters).select, cap);
  }
}
