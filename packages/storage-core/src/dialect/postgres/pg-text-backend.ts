import { type Kysely, sql, type Transaction } from 'kysely';
import type { Migration } from '../../migration/migration-types.js';
import type { ParsedQuery, QueryAtom } from '../../search/query-types.js';
import type { ResolvedFilters } from '../../search/search-filters.js';
import {
  countUpTo,
  createVocabularyTable,
  filteredMatches,
} from '../../search/server/server-search-index.js';
import type { IndexedDocument, TextBackend } from '../../search/server/text-backend.js';

/** tsvector weight per column: title A, problem B, solution C, tags and category D. */
const WEIGHT_LETTERS = ['A', 'B', 'C', 'D', 'D'] as const;
/** ts_rank_cd weights, in PostgreSQL's {D, C, B, A} order. */
const RANK_WEIGHTS = '{0.1, 0.2, 0.4, 1.0}';
/** PostgreSQL keeps positions up to 16,383 and at most 256 per lexeme; lexemes up to 2,046 bytes. */
const MAX_POSITION = 16_383;
const MAX_POSITIONS_PER_LEXEME = 256;
const MAX_LEXEME_BYTES = 2_000;
/** Matches ranked natively when a query matches too many entries to rank them all (see ServerSearchIndex). */
const RANK_POOL = 1_000;

/** A lexeme quoted for tsvector/tsquery input: quotes doubled and backslashes escaped. */
function quote(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * Positions are given column by column in this order — title, tags, category, problem, solution — so the
 * short columns keep exact positions (PostgreSQL caps positions at 16,383) and BM25 can tell every column
 * apart: A title, B problem, C solution, D tags before `category_pos` and category from it.
 */
const POSITION_ORDER = [0, 3, 4, 1, 2] as const;

/**
 * The weighted tsvector of a document, written as tsvector input text from the shared tokenizer's terms
 * (not by `to_tsvector`, whose parser splits `SQLCODE -911`, `IEF212I` and `SYS1.PROCLIB` differently from
 * the other dialects), and the position where the category starts. Columns are separated by a one-position
 * gap so a phrase never spans two columns.
 */
export function tsvectorText(doc: IndexedDocument): { text: string; categoryPos: number } {
  const positions = new Map<string, string[]>();
  let position = 1;
  let categoryPos = 1;
  for (const column of POSITION_ORDER) {
    if (column === 4) categoryPos = position;
    const weight = WEIGHT_LETTERS[column]!;
    for (const term of doc.columns[column] ?? []) {
      if (Buffer.byteLength(term) <= MAX_LEXEME_BYTES) {
        let list = positions.get(term);
        if (!list) {
          list = [];
          positions.set(term, list);
        }
        if (list.length < MAX_POSITIONS_PER_LEXEME) list.push(`${Math.min(position, MAX_POSITION)}${weight}`);
      }
      position++;
    }
    position++;
  }
  const text = [...positions].map(([term, list]) => `${quote(term)}:${list.join(',')}`).join(' ');
  return { text, categoryPos: Math.min(categoryPos, MAX_POSITION) };
}

/** One atom as tsquery text; `weights` (e.g. `A`) restricts each of its lexemes to those columns. */
function atomQuery(atom: QueryAtom, weights = ''): string {
  const parts = atom.terms.map((term, i) => {
    const prefix = atom.prefix && i === atom.terms.length - 1 ? '*' : '';
    return prefix || weights ? `${quote(term)}:${prefix}${weights}` : quote(term);
  });
  return parts.length === 1 ? parts[0]! : `(${parts.join(' <-> ')})`;
}

/**
 * tsquery input text: OR within a clause, AND between clauses, negated clauses of single words (or word
 * prefixes) as `!(…)`, which lexeme membership decides exactly. Negated phrases are left to the engine's
 * check: positions past PostgreSQL's caps could make a phrase look present and exclude a true match.
 * Undefined without a positive clause.
 */
export function tsqueryText(query: ParsedQuery): string | undefined {
  const clauses = query.clauses
    .filter((c) => !c.negated && c.atoms.length > 0)
    .map((c) => `(${c.atoms.map((a) => atomQuery(a)).join(' | ')})`);
  if (clauses.length === 0) return undefined;
  for (const c of query.clauses) {
    if (c.negated && c.atoms.length > 0 && c.atoms.every((a) => a.terms.length === 1))
      clauses.push(`!(${c.atoms.map((a) => atomQuery(a)).join(' | ')})`);
  }
  return clauses.join(' & ');
}

export const pgSearchMigration: Migration = {
  id: 'pg_tsvector_0001_kb_search',
  description: 'weighted tsvector of each entry with a GIN index, and the search vocabulary',
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('kb_search')
      .addColumn('seq', 'integer', (c) => c.primaryKey().references('kb_entries.seq').onDelete('cascade'))
      .addColumn('length', 'integer', (c) => c.notNull())
      .addColumn('category_pos', 'integer', (c) => c.notNull())
      .addColumn('tsv', sql`tsvector`, (c) => c.notNull())
      .execute();
    await sql`create index kb_search_tsv_idx on kb_search using gin (tsv)`.execute(db);
    await createVocabularyTable(db);
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('kb_search_terms').execute();
    await db.schema.dropTable('kb_search').execute();
  },
};

export class PgTextBackend implements TextBackend {
  readonly migrations = [pgSearchMigration];

  async write(trx: Transaction<any>, documents: readonly IndexedDocument[]): Promise<void> {
    if (documents.length === 0) return;
    await trx
      .insertInto('kb_search')
      .values(
        documents.map((d) => {
          const { text, categoryPos } = tsvectorText(d);
          return {
            seq: d.seq,
            length: d.length,
            category_pos: categoryPos,
            tsv: sql`cast(${text} as tsvector)`,
          };
        }),
      )
      .onConflict((oc) =>
        oc.column('seq').doUpdateSet({
          length: sql`excluded.length`,
          category_pos: sql`excluded.category_pos`,
          tsv: sql`excluded.tsv`,
        }),
      )
      .execute();
  }

  /** One statement adding `df` to each term's count (inserting new terms): PostgreSQL's ON CONFLICT. */
  async addTermCounts(trx: Transaction<any>, rows: readonly { term: string; df: number }[]): Promise<void> {
    await trx
      .insertInto('kb_search_terms')
      .values([...rows])
      .onConflict((oc) => oc.column('term').doUpdateSet({ df: sql`kb_search_terms.df + excluded.df` }))
      .execute();
  }

  canMatch(query: ParsedQuery): boolean {
    return tsqueryText(query) !== undefined;
  }

  #base(db: Kysely<any>, query: ParsedQuery, filters: ResolvedFilters) {
    const text = tsqueryText(query);
    if (text === undefined) throw new Error('the query has no positive clause');
    return {
      tsquery: sql`cast(${text} as tsquery)`,
      select: filteredMatches(db, sql<boolean>`s.tsv @@ cast(${text} as tsquery)`, filters),
    };
  }

  async match(
    db: Kysely<any>,
    query: ParsedQuery,
    filters: ResolvedFilters,
    limit: number,
    ranked: boolean,
  ): Promise<number[]> {
    const { tsquery, select } = this.#base(db, query, filters);
    if (!ranked) return (await select.select('s.seq').limit(limit).execute()).map((r) => Number(r.seq));
    // ts_rank_cd reads every scored row's tsvector: the work is bounded by ranking at most RANK_POOL matches.
    // (Restricting the pool to title matches first — `'word':A` — measured twice as slow at 100,000 entries:
    // GIN does not store weights, so every match is rechecked on the heap.)
    const rows = await db
      .selectFrom(select.select(['s.seq', 's.tsv']).limit(RANK_POOL).as('m'))
      .select('m.seq')
      .orderBy(sql`ts_rank_cd(${sql.lit(RANK_WEIGHTS)}::float4[], m.tsv, ${tsquery})`, 'desc')
      .orderBy('m.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => Number(r.seq));
  }

  async sample(db: Kysely<any>, query: ParsedQuery, from: number, to: number): Promise<number[]> {
    const text = tsqueryText(query);
    if (text === undefined) throw new Error('the query has no positive clause');
    // ts_match_vq is the function behind @@, which the GIN operator class does not cover: the planner walks
    // the primary key over the window and tests each row (about a microsecond each), instead of building a
    // bitmap of every match of common words.
    const { rows } = await sql<{ seq: number }>`select s.seq from kb_search s
      where s.seq >= ${from} and s.seq < ${to} and ts_match_vq(s.tsv, cast(${text} as tsquery))
      order by s.seq`.execute(db);
    return rows.map((r) => Number(r.seq));
  }

  async count(db: Kysely<any>, query: ParsedQuery, filters: ResolvedFilters, cap: number): Promise<number> {
    return countUpTo(db, this.#base(db, query, filters).select, cap);
  }
}
