import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { SearchIndex } from '../search/search-index.js';
import { insertRows } from '../util/insert-rows.js';
import type { ValidEntryInput, ValidEntryUpdate } from './kb-schemas.js';
import type {
  KBEntry,
  KBRelation,
  ListEntriesOptions,
  RelationType,
  SearchHistoryRecord,
  UsageAction,
  UsageCounters,
} from './kb-types.js';

type Db = Kysely<any> | Transaction<any>;

/** Rows per INSERT: well under SQLite's 32,766 bound parameters, MySQL's and PostgreSQL's limits. */
const CHUNK = 400;

const ORDER_COLUMNS = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  usageCount: 'usage_count',
  title: 'title',
} as const;

export interface EntryRow {
  seq: number;
  id: string;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity: KBEntry['severity'];
  tags: string;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  usage_count: number;
  success_count: number;
  failure_count: number;
  archived: number;
  version: number;
}

/**
 * kb_entries rows in key order, `size` at a time; each read starts after the last key read, so no row is
 * skipped or read twice however many there are. What rebuilding the search index and building the server
 * engine's champion lists read.
 */
export async function* entryRowsInKeyOrder<R extends { seq: number }>(
  db: Db,
  columns: readonly string[],
  size: number,
): AsyncGenerator<R[]> {
  let after = 0;
  for (;;) {
    const rows = (await db
      .selectFrom('kb_entries')
      .select([...columns])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(size)
      .execute()) as R[];
    if (rows.length === 0) return;
    yield rows;
    after = Number(rows[rows.length - 1]!.seq);
  }
}

export function rowToEntry(row: EntryRow): KBEntry {
  return {
    id: row.id,
    title: row.title,
    problem: row.problem,
    solution: row.solution,
    category: row.category,
    severity: row.severity,
    tags: JSON.parse(row.tags) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    usageCount: Number(row.usage_count),
    successCount: Number(row.success_count),
    failureCount: Number(row.failure_count),
    archived: Number(row.archived) === 1,
    version: Number(row.version),
  };
}

/** The kb_entries row of an entry (`seq` aside, which the database assigns): the inverse of `rowToEntry`. */
export function entryToRow(entry: KBEntry): Omit<EntryRow, 'seq'> {
  return {
    id: entry.id,
    title: entry.title,
    problem: entry.problem,
    solution: entry.solution,
    category: entry.category,
    severity: entry.severity,
    tags: JSON.stringify(entry.tags),
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
    created_by: entry.createdBy,
    usage_count: entry.usageCount,
    success_count: entry.successCount,
    failure_count: entry.failureCount,
    archived: entry.archived ? 1 : 0,
    version: entry.version,
  };
}

export function countersOf(
  entry: Pick<KBEntry, 'id' | 'usageCount' | 'successCount' | 'failureCount'>,
): UsageCounters {
  const rated = entry.successCount + entry.failureCount;
  return {
    id: entry.id,
    usageCount: entry.usageCount,
    successCount: entry.successCount,
    failureCount: entry.failureCount,
    successRate: rated === 0 ? null : entry.successCount / rated,
  };
}

/** Every column of kb_entries, for reading whole entries. */
export const ENTRY_COLUMNS = [
  'seq',
  'id',
  'title',
  'problem',
  'solution',
  'category',
  'severity',
  'tags',
  'created_at',
  'updated_at',
  'created_by',
  'usage_count',
  'success_count',
  'failure_count',
  'archived',
  'version',
] as const;

/** Knowledge-base rows through kysely only, so every dialect shares this code. */
export class KbRepository {
  constructor(private readonly searchIndex: SearchIndex) {}

  async find(db: Db, id: string): Promise<KBEntry | null> {
    const row = await db
      .selectFrom('kb_entries')
      .select(ENTRY_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? rowToEntry(row as EntryRow) : null;
  }

  async findMany(db: Db, ids: readonly string[]): Promise<Map<string, KBEntry>> {
    const out = new Map<string, KBEntry>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await db
        .selectFrom('kb_entries')
        .select(ENTRY_COLUMNS)
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) out.set(row.id, rowToEntry(row as EntryRow));
    }
    return out;
  }

  async insert(trx: Transaction<any>, inputs: readonly ValidEntryInput[], now: string): Promise<KBEntry[]> {
    const entries: KBEntry[] = inputs.map((input) => ({
      id: input.id ?? randomUUID(),
      title: input.title,
      problem: input.problem,
      solution: input.solution,
      category: input.category,
      severity: input.severity,
      tags: input.tags,
      createdAt: now,
      updatedAt: now,
      createdBy: input.createdBy ?? null,
      usageCount: 0,
      successCount: 0,
      failureCount: 0,
      archived: false,
      version: 1,
    }));
    const ids = new Set<string>();
    for (const entry of entries) {
      if (ids.has(entry.id)) {
        throw new StorageError(
          StorageErrorCode.CONFLICT,
          `entry id '${entry.id}' appears twice in the batch`,
          {
            details: { id: entry.id },
          },
        );
      }
      ids.add(entry.id);
    }
    const existing = await this.existingIds(trx, [...ids]);
    if (existing.length > 0) {
      throw new StorageError(
        StorageErrorCode.CONFLICT,
        `entry id${existing.length > 1 ? 's' : ''} ${existing
          .slice(0, 5)
          .map((id) => `'${id}'`)
          .join(', ')} already exist${existing.length > 1 ? '' : 's'}`,
        { details: { ids: existing.slice(0, 100) } },
      );
    }
    await insertRows(trx, 'kb_entries', entries.map(entryToRow), CHUNK);
    await insertRows(
      trx,
      'kb_tags',
      entries.flatMap((e) => e.tags.map((tag) => ({ entry_id: e.id, tag }))),
      CHUNK * 2,
    );
    await this.searchIndex.upsertMany(trx, entries);
    return entries;
  }

  private async existingIds(db: Db, ids: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await db
        .selectFrom('kb_entries')
        .select('id')
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) found.push(row.id);
    }
    return found;
  }

  /** Applies an update; returns [before, after], or null when the entry does not exist. */
  async update(
    trx: Transaction<any>,
    id: string,
    update: ValidEntryUpdate,
    now: string,
  ): Promise<{ before: KBEntry; after: KBEntry; changed: string[] } | null> {
    const before = await this.find(trx, id);
    if (!before) return null;
    if (update.expectedVersion !== undefined && update.expectedVersion !== before.version) {
      throw new StorageError(
        StorageErrorCode.CONFLICT,
        `entry '${id}' is at version ${before.version}, not ${update.expectedVersion}: it changed since it was read; re-read and retry`,
        { details: { id, version: before.version, expectedVersion: update.expectedVersion } },
      );
    }
    const { expectedVersion: _ignored, ...fields } = update;
    const after: KBEntry = { ...before, ...definedOnly(fields), updatedAt: now, version: before.version + 1 };
    const changed = (Object.keys(fields) as (keyof typeof fields)[]).filter(
      (k) => fields[k] !== undefined && JSON.stringify(fields[k]) !== JSON.stringify(before[k]),
    );
    await trx
      .updateTable('kb_entries')
      .set({
        title: after.title,
        problem: after.problem,
        solution: after.solution,
        category: after.category,
        severity: after.severity,
        tags: JSON.stringify(after.tags),
        archived: after.archived ? 1 : 0,
        updated_at: now,
        version: after.version,
      })
      .where('id', '=', id)
      .execute();
    if (changed.includes('tags')) {
      await trx.deleteFrom('kb_tags').where('entry_id', '=', id).execute();
      if (after.tags.length > 0) {
        await trx
          .insertInto('kb_tags')
          .values(after.tags.map((tag) => ({ entry_id: id, tag })))
          .execute();
      }
    }
    await this.searchIndex.upsert(trx, after, before);
    return { before, after, changed };
  }

  async delete(trx: Transaction<any>, id: string): Promise<KBEntry | null> {
    const before = await this.find(trx, id);
    if (!before) return null;
    // The index entry goes first: an external-content index needs the row's old values to delete it.
    await this.searchIndex.remove(trx, before);
    await trx.deleteFrom('kb_entries').where('id', '=', id).execute();
    return before;
  }

  async list(
    db: Db,
    options: Required<Omit<ListEntriesOptions, 'category' | 'severity' | 'tag'>> & ListEntriesOptions,
  ) {
    let query = db.selectFrom('kb_entries');
    if (!options.includeArchived) query = query.where('archived', '=', 0);
    if (options.category !== undefined) query = query.where('category', '=', options.category);
    if (options.severity !== undefined) query = query.where('severity', '=', options.severity);
    if (options.tag !== undefined) {
      const tag = options.tag;
      const tagged = db.selectFrom('kb_tags').select('entry_id').where('tag', '=', tag);
      query = query.where('id', 'in', tagged);
    }
    const totalRow = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const column = ORDER_COLUMNS[options.orderBy ?? 'updatedAt'];
    const rows = await query
      .select(ENTRY_COLUMNS)
      .orderBy(column, column === 'title' ? 'asc' : 'desc')
      .orderBy('seq', 'asc')
      .limit(options.limit)
      .offset(options.offset)
      .execute();
    return { entries: rows.map((r) => rowToEntry(r as EntryRow)), total: Number(totalRow.n) };
  }

  async count(db: Db, includeArchived = true): Promise<number> {
    let query = db.selectFrom('kb_entries').select((eb) => eb.fn.countAll<number>().as('n'));
    if (!includeArchived) query = query.where('archived', '=', 0);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  async recordFeedback(
    trx: Transaction<any>,
    id: string,
    feedback: {
      outcome: 'success' | 'failure';
      rating?: number | undefined;
      comment?: string | undefined;
      userId?: string | undefined;
    },
    now: string,
  ): Promise<KBEntry | null> {
    const before = await this.find(trx, id);
    if (!before) return null;
    await trx
      .insertInto('kb_feedback')
      .values({
        id: randomUUID(),
        entry_id: id,
        outcome: feedback.outcome,
        rating: feedback.rating ?? null,
        comment: feedback.comment ?? null,
        user_id: feedback.userId ?? null,
        created_at: now,
      })
      .execute();
    const column = feedback.outcome === 'success' ? 'success_count' : 'failure_count';
    await trx
      .updateTable('kb_entries')
      .set({ [column]: sql`${sql.ref(column)} + 1` })
      .where('id', '=', id)
      .execute();
    return this.find(trx, id);
  }

  async recordUsage(
    trx: Transaction<any>,
    id: string,
    action: UsageAction,
    context: { userId?: string | undefined; sessionId?: string | undefined },
    now: string,
  ): Promise<KBEntry | null> {
    const before = await this.find(trx, id);
    if (!before) return null;
    await trx
      .insertInto('usage_metrics')
      .values({
        id: randomUUID(),
        entry_id: id,
        action,
        user_id: context.userId ?? null,
        session_id: context.sessionId ?? null,
        created_at: now,
      })
      .execute();
    await trx
      .updateTable('kb_entries')
      .set({ usage_count: sql`usage_count + 1` })
      .where('id', '=', id)
      .execute();
    return this.find(trx, id);
  }

  async addRelation(trx: Transaction<any>, relation: KBRelation): Promise<boolean> {
    const existing = await trx
      .selectFrom('kb_relations')
      .select('from_id')
      .where('from_id', '=', relation.fromId)
      .where('to_id', '=', relation.toId)
      .where('relation_type', '=', relation.type)
      .executeTakeFirst();
    if (existing) return false;
    await trx
      .insertInto('kb_relations')
      .values({
        from_id: relation.fromId,
        to_id: relation.toId,
        relation_type: relation.type,
        created_at: relation.createdAt,
      })
      .execute();
    return true;
  }

  async removeRelation(
    trx: Transaction<any>,
    fromId: string,
    toId: string,
    type: RelationType,
  ): Promise<boolean> {
    const result = await trx
      .deleteFrom('kb_relations')
      .where('from_id', '=', fromId)
      .where('to_id', '=', toId)
      .where('relation_type', '=', type)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async relationsOf(db: Db, id: string): Promise<KBRelation[]> {
    const rows = await db
      .selectFrom('kb_relations')
      .selectAll()
      .where((eb) => eb.or([eb('from_id', '=', id), eb('to_id', '=', id)]))
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      fromId: r.from_id,
      toId: r.to_id,
      type: r.relation_type,
      createdAt: r.created_at,
    }));
  }

  async insertSearchHistory(trx: Transaction<any>, records: readonly Omit<SearchHistoryRecord, 'id'>[]) {
    for (let i = 0; i < records.length; i += CHUNK) {
      await trx
        .insertInto('search_history')
        .values(
          records.slice(i, i + CHUNK).map((r) => ({
            // NUL cannot be stored in PostgreSQL text; the log keeps the rest of what was typed.
            query: r.query.replaceAll('\u0000', '\ufffd'),
            result_count: r.resultCount,
            top_result_id: r.topResultId,
            corrected_query: r.correctedQuery,
            took_ms: r.tookMs,
            user_id: r.userId,
            created_at: r.createdAt,
          })),
        )
        .execute();
    }
  }

  async searchHistory(db: Db, limit: number, since?: string): Promise<SearchHistoryRecord[]> {
    let query = db.selectFrom('search_history').selectAll();
    if (since !== undefined) query = query.where('created_at', '>=', since);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      query: r.query,
      resultCount: Number(r.result_count),
      topResultId: r.top_result_id,
      correctedQuery: r.corrected_query,
      tookMs: Number(r.took_ms),
      userId: r.user_id,
      createdAt: r.created_at,
    }));
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
