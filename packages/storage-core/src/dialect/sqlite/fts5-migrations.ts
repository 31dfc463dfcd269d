import { type Kysely, sql } from 'kysely';
import type { Migration } from '../../migration/migration-types.js';

/**
 * The full-text index is a regular FTS5 table (it stores its own copy of the indexed text), not an
 * external-content or a contentless one:
 *
 * - deleting or replacing a row needs only its rowid, so a stale or missing `previous` entry cannot corrupt
 *   the index (an external-content table must be told the exact old values, and silently keeps wrong
 *   postings when told otherwise);
 * - a second insert of the same rowid fails instead of doubling the row's postings, which a
 *   contentless-delete table accepts without a word and which its integrity-check cannot see;
 * - check() can compare the stored text with kb_entries column by column, so any drift is visible;
 * - snippet()/highlight() keep working for ad-hoc SQL and for baselines measured on the same table.
 *
 * The price is a second copy of the text, about the size of kb_entries' text columns. Sync is done by the
 * storage layer in the writing transaction (upsert/remove), never by triggers: triggers are exactly the
 * path that drifted in earlier designs.
 *
 * `-` and `.` stay separators (no `tokenchars`): `SQLCODE -911` is indexed as `sqlcode 911`, so `-911`,
 * `911` and `SQLCODE -911` all find it, and `status-35` matches "status 35". Codes such as S0C7, IEF212I,
 * IGZ0035S and DFHAC2206 are single runs of letters and digits and stay whole anyway.
 */
export const KB_FTS_DDL = `create virtual table kb_fts using fts5(
  title, problem, solution, tags, category,
  tokenize = 'unicode61 remove_diacritics 2'
)`;

/** The text indexed for an entry's tags: the JSON array of kb_entries.tags joined by spaces. */
export const TAGS_TEXT_SQL = `coalesce((select group_concat(value, ' ') from json_each(kb_entries.tags)), '')`;

/** Columns of kb_fts in order, from a kb_entries row. */
export const INDEXED_COLUMNS_SQL = `title, problem, solution, ${TAGS_TEXT_SQL}, category`;

export const fts5IndexMigration: Migration = {
  id: 'sqlite_fts5_0001_kb_fts',
  description: 'FTS5 index over kb_entries (title, problem, solution, tags, category) and its vocabulary',
  async up(db: Kysely<any>) {
    await sql.raw(KB_FTS_DDL).execute(db);
    // The vocabulary (term → entries) for autocomplete; spell correction keeps its own copy in memory.
    await sql`create virtual table kb_fts_vocab using fts5vocab(kb_fts, 'row')`.execute(db);
    // A store that already has entries gets them indexed now, in the migration's transaction.
    await sql
      .raw(`insert into kb_fts(rowid, title, problem, solution, tags, category)
            select seq, ${INDEXED_COLUMNS_SQL} from kb_entries`)
      .execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop table kb_fts_vocab`.execute(db);
    await sql`drop table kb_fts`.execute(db);
  },
};

/** Columns of kb_entries the search state is built from (search/champion-plan.ts `addEntry`). */
const STATE_COLUMNS = 'title, problem, solution, tags, category, severity, archived';

/**
 * The saved search state (fts5-champion-cache.ts) and the log of entries changed since it was saved.
 *
 * The state is a cache: one row, replaced whole. The change log is written by triggers, unlike the index
 * itself (see above), because it must also see what the store cannot: another program's UPDATE or DELETE, or
 * an update that does not move `updated_at` forward (an older export imported over the entry). The triggers
 * record only which entry changed, never its content, and only while a state is saved; a log entry costs a
 * re-read of that entry when the state is next loaded, so a wrong or extra one is harmless. New entries need
 * no log: their keys are above the largest the state has seen.
 */
export const searchStateMigration: Migration = {
  id: 'sqlite_fts5_0002_search_state',
  description:
    'saved search state (champion lists, vocabulary, entry facts) and the log of entries changed since',
  async up(db: Kysely<any>) {
    await sql`create table kb_search_state (
      id integer primary key check (id = 1),
      format integer not null,
      max_seq integer not null,
      watermark text not null,
      entries integer not null,
      saved_at text not null,
      state blob not null
    )`.execute(db);
    await sql`create table kb_search_changes (
      id integer primary key autoincrement,
      seq integer not null
    )`.execute(db);
    await sql
      .raw(`create trigger kb_search_changes_update after update of ${STATE_COLUMNS} on kb_entries
        when exists (select 1 from kb_search_state)
        begin insert into kb_search_changes(seq) values (new.seq); end`)
      .execute(db);
    await sql`create trigger kb_search_changes_delete after delete on kb_entries
        when exists (select 1 from kb_search_state)
        begin insert into kb_search_changes(seq) values (old.seq); end`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop trigger kb_search_changes_delete`.execute(db);
    await sql`drop trigger kb_search_changes_update`.execute(db);
    await sql`drop table kb_search_changes`.execute(db);
    await sql`drop table kb_search_state`.execute(db);
  },
};

/**
 * The saved search state in parts (search-state-codec.ts): `kb_search_state` keeps the head every query needs,
 * this table the champion list pages and the entry facts, each read when a query first needs it, so a new
 * process answering one query reads a few hundred kilobytes instead of the whole state. A head saved before
 * this migration (one blob) is not used: the next search builds and saves a state in parts.
 */
export const searchStatePartsMigration: Migration = {
  id: 'sqlite_fts5_0003_search_state_parts',
  description: 'the saved search state in parts, each read when a query first needs it',
  async up(db: Kysely<any>) {
    await sql`delete from kb_search_state`.execute(db);
    await sql`create table kb_search_state_parts (
      part integer primary key,
      bytes blob not null
    )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`drop table kb_search_state_parts`.execute(db);
    await sql`delete from kb_search_state`.execute(db);
  },
};
