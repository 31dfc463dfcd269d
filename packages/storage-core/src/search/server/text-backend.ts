import type { Kysely, Transaction } from 'kysely';
import type { Migration } from '../../migration/migration-types.js';
import type { ParsedQuery } from '../query-types.js';
import type { ResolvedFilters } from '../search-filters.js';

/** One entry's indexed text, tokenized by the shared tokenizer: the same terms on every dialect. */
export interface IndexedDocument {
  readonly seq: number;
  /** Terms per column: title, problem, solution, tags, category. */
  readonly columns: readonly (readonly string[])[];
  /** Terms over all columns (BM25's document length). */
  readonly length: number;
}

/** An entry a query matched, with its terms per column when the index row holds them whole. */
export interface MatchedTerms {
  readonly seq: number;
  /** Terms per column, as IndexedDocument.columns; undefined when the backend cannot say. */
  readonly terms: readonly (readonly string[])[] | undefined;
}

/**
 * What a server dialect's native full-text index does for the shared server engine: store documents, and
 * answer a parsed query with a superset of the entries the query matches (the engine checks each candidate
 * against the query in JavaScript, so a backend may over-match, never under-match).
 */
export interface TextBackend {
  /** The index table (named `kb_search`, with `seq` and `length` columns) and its native index. */
  readonly migrations: readonly Migration[];
  /** Migrations added after the core ones (and after the engine's own later ones), in order. */
  readonly laterMigrations?: readonly Migration[];
  /** Adds or replaces documents in `kb_search` (removal and clearing are plain DELETEs the engine issues). */
  write(trx: Transaction<any>, documents: readonly IndexedDocument[]): Promise<void>;
  /** Adds each row's `df` to the term's count in kb_search_terms, inserting terms not there yet. */
  addTermCounts(trx: Transaction<any>, rows: readonly { term: string; df: number }[]): Promise<void>;
  /** Entries matching the positive part of `query` and `filters`, at most `limit`, best native rank first. */
  match(
    db: Kysely<any>,
    query: ParsedQuery,
    filters: ResolvedFilters,
    limit: number,
    ranked: boolean,
  ): Promise<number[]>;
  /**
   * As `match` unranked, each entry with its terms read from the index row. Optional: without it (or where it
   * gives no terms) the engine reads and tokenizes the entry.
   */
  matchTerms?(
    db: Kysely<any>,
    query: ParsedQuery,
    filters: ResolvedFilters,
    limit: number,
  ): Promise<MatchedTerms[]>;
  /** Entries matching one query (positive part) and the filters, counted up to `cap`. */
  count(db: Kysely<any>, query: ParsedQuery, filters: ResolvedFilters, cap: number): Promise<number>;
  /**
   * Entries matching `query` with keys in [from, to), ascending: a sample for estimating totals and facets,
   * read without ranking. Optional: without it the engine estimates from the vocabulary.
   */
  sample?(db: Kysely<any>, query: ParsedQuery, from: number, to: number): Promise<number[]>;
  /**
   * Matching words that most entries hold costs this backend more than loading the saved champion lists
   * does (InnoDB reads every document holding a phrase's words to check it): a process then takes a saved
   * state at its first common-word query instead of answering its first ones natively. Without a saved
   * state the first ones are still answered natively, since a build reads every entry.
   */
  readonly costlyCommonWords?: boolean;
  /**
   * Statements a batch of candidate rows is read in at once, each on its own pooled connection (default 1).
   * Where the server waits for each page missing from its cache in turn within one statement (InnoDB under
   * O_DIRECT), two statements overlap those reads.
   */
  readonly candidateReadParts?: number;
  /** A query can only be run natively when it has a positive clause this backend can express. */
  canMatch(query: ParsedQuery): boolean;
}
