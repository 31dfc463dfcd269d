import type { Transaction } from 'kysely';
import type { IntegrityReport, MaintenanceStep } from '../dialect/dialect-adapter.js';
import type { KBEntry } from '../kb/kb-types.js';
import type { Migration } from '../migration/migration-types.js';
import type { SearchOptions, SearchResponse } from './search-types.js';

/**
 * A dialect's full-text index over the knowledge base. The knowledge base repository calls `upsert` and
 * `remove` inside the same transaction as the write, so the index never drifts from the table.
 */
export interface SearchIndex {
  /** Schema of the index; appended to the core namespace after the knowledge-base tables. */
  readonly migrations: readonly Migration[];
  /** Later schema of the index, appended to the core namespace after all of core's own migrations. */
  readonly laterMigrations?: readonly Migration[];
  /**
   * Adds or replaces an entry in the index. `previous` is the stored row before an update. Usage and
   * feedback counters change without a call here: ranking reads them from kb_entries at query time.
   */
  upsert(trx: Transaction<any>, entry: KBEntry, previous?: KBEntry): Promise<void>;
  /**
   * Adds many new entries (bulk create); the rows are already in kb_entries within `trx`. `seqs`, when the
   * caller knows them, are the entries' keys (kb_entries.seq) in the same order: an index that needs the keys
   * then does not look them up.
   */
  upsertMany(trx: Transaction<any>, entries: readonly KBEntry[], seqs?: readonly number[]): Promise<void>;
  remove(trx: Transaction<any>, entry: KBEntry): Promise<void>;
  /** Runs a query string written in the query language, with the options' filters. */
  search(query: string, options: SearchOptions): Promise<SearchResponse>;
  /** Autocomplete: titles and index terms that start with `prefix`, best first. */
  suggest(prefix: string, limit: number): Promise<string[]>;
  /** Rebuilds the index from the table. */
  rebuild(trx: Transaction<any>): Promise<void>;
  optimize(): Promise<MaintenanceStep[]>;
  /** Compares the index with the table; problems name what drifted. */
  check(): Promise<IntegrityReport>;
}
