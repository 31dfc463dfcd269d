import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStorageConfig, type StorageConfigInput } from '../../src/config/storage-config.js';
import { Fts5SearchIndex, type Fts5Tuning } from '../../src/dialect/sqlite/fts5-search-index.js';
import { SqliteDialectAdapter } from '../../src/dialect/sqlite/sqlite-adapter.js';
import { kbSchemaMigration } from '../../src/kb/kb-migrations.js';
import { entryToRow } from '../../src/kb/kb-repository.js';
import { normalizeCategory, normalizeTags } from '../../src/kb/kb-schemas.js';
import { type KBEntry, SEVERITIES, type Severity } from '../../src/kb/kb-types.js';
import type { MigrationContext } from '../../src/migration/migration-types.js';

/**
 * Test support for the search engines: a fresh in-memory SQLite store with the knowledge-base schema and
 * the FTS5 index migrations applied, entries written the way the repository writes them (row, tags, index
 * update in one write transaction), and the seed-anchor data (`../shared/data/seed-anchor`, or
 * KB_SEED_ANCHOR_DIR) mapped to entries.
 */

export interface EntrySeed {
  id?: string;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity?: Severity;
  tags?: string[];
  usageCount?: number;
  successCount?: number;
  failureCount?: number;
  archived?: boolean;
  updatedAt?: string;
}

export interface SearchStore {
  adapter: SqliteDialectAdapter;
  index: Fts5SearchIndex;
  close(): Promise<void>;
}

/** Opens `:memory:` (or the configured path), migrates unless told not to, and returns an index built with `tuning`. */
export async function openSearchStore(
  tuning: Partial<Fts5Tuning> = {},
  config: StorageConfigInput = {},
  migrate = true,
): Promise<SearchStore> {
  const parsed = parseStorageConfig({ ...config, database: { path: ':memory:', ...config.database } });
  const adapter = SqliteDialectAdapter.open(parsed);
  const index = new Fts5SearchIndex(adapter, parsed, tuning);
  const ctx: MigrationContext = {
    dialect: 'sqlite',
    capabilities: adapter.capabilities,
    types: adapter.columnTypes,
    appendOnly: adapter.appendOnlyGuard,
  };
  if (migrate) {
    await adapter.migrationTransaction(async (trx) => {
      await kbSchemaMigration.up(trx, ctx);
      for (const m of [...index.migrations, ...(index.laterMigrations ?? [])]) await m.up(trx, ctx);
    });
  }
  return { adapter, index, close: () => adapter.close() };
}

let clock = Date.parse('2026-01-01T00:00:00.000Z');

function toEntry(seed: EntrySeed): KBEntry {
  clock += 1000;
  const at = seed.updatedAt ?? new Date(clock).toISOString();
  return {
    id: seed.id ?? randomUUID(),
    title: seed.title,
    problem: seed.problem,
    solution: seed.solution,
    category: normalizeCategory(seed.category),
    severity: seed.severity ?? 'medium',
    tags: normalizeTags(seed.tags ?? []),
    createdAt: at,
    updatedAt: at,
    createdBy: null,
    usageCount: seed.usageCount ?? 0,
    successCount: seed.successCount ?? 0,
    failureCount: seed.failureCount ?? 0,
    archived: seed.archived ?? false,
    version: 1,
  };
}

/** Writes entries as the repository does: rows and tags, then the index, in one write transaction. */
export async function addEntries(
  store: SearchStore,
  seeds: readonly EntrySeed[],
  mode: 'one-by-one' | 'bulk' = 'bulk',
): Promise<KBEntry[]> {
  const entries = seeds.map(toEntry);
  await store.adapter.writeTransaction(async (trx) => {
    for (const e of entries) {
      await trx.insertInto('kb_entries').values(entryToRow(e)).execute();
      if (e.tags.length > 0) {
        await trx
          .insertInto('kb_tags')
          .values(e.tags.map((tag) => ({ entry_id: e.id, tag })))
          .execute();
      }
      if (mode === 'one-by-one') await store.index.upsert(trx, e);
    }
    if (mode === 'bulk') await store.index.upsertMany(trx, entries);
  });
  return entries;
}

/** Updates an entry the way the repository does (row, tags, then index with the previous version). */
export async function updateEntry(
  store: SearchStore,
  before: KBEntry,
  change: Partial<KBEntry>,
): Promise<KBEntry> {
  clock += 1000;
  const after: KBEntry = {
    ...before,
    ...change,
    updatedAt: new Date(clock).toISOString(),
    version: before.version + 1,
  };
  await store.adapter.writeTransaction(async (trx) => {
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
        usage_count: after.usageCount,
        success_count: after.successCount,
        failure_count: after.failureCount,
        updated_at: after.updatedAt,
        version: after.version,
      })
      .where('id', '=', after.id)
      .execute();
    await trx.deleteFrom('kb_tags').where('entry_id', '=', after.id).execute();
    if (after.tags.length > 0) {
      await trx
        .insertInto('kb_tags')
        .values(after.tags.map((tag) => ({ entry_id: after.id, tag })))
        .execute();
    }
    await store.index.upsert(trx, after, before);
  });
  return after;
}

/** Deletes an entry the way the repository does: index first, then the row. */
export async function deleteEntry(store: SearchStore, entry: KBEntry): Promise<void> {
  await store.adapter.writeTransaction(async (trx) => {
    await store.index.remove(trx, entry);
    await trx.deleteFrom('kb_entries').where('id', '=', entry.id).execute();
  });
}

export function seedAnchorDir(): string {
  return (
    process.env.KB_SEED_ANCHOR_DIR ??
    fileURLToPath(new URL('../../../../../shared/data/seed-anchor/', import.meta.url))
  );
}

function readJson(file: string): unknown {
  const path = join(seedAnchorDir(), file);
  if (!existsSync(path)) throw new Error(`seed-anchor file ${path} not found; set KB_SEED_ANCHOR_DIR`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

function severityOf(value: unknown): Severity {
  const s = typeof value === 'string' ? value.toLowerCase() : '';
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : 'medium';
}

type RawEntry = Record<string, unknown>;

function mapTemplate(raw: RawEntry): EntrySeed {
  return {
    title: String(raw.title).trim(),
    problem: String(raw.problem).trim(),
    solution: String(raw.solution).trim(),
    category: String(raw.category),
    severity: severityOf(raw.severity),
    tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

/** The 46 mainframe entries: the four template files, essential-kb.json and mock-kb-data.json (with counters). */
export function seedAnchorEntries(): EntrySeed[] {
  const out: EntrySeed[] = [];
  for (const file of ['cobol-abends.json', 'db2-sqlcodes.json', 'jcl-errors.json', 'vsam-errors.json']) {
    for (const raw of readJson(file) as RawEntry[]) out.push(mapTemplate(raw));
  }
  for (const raw of (readJson('essential-kb.json') as { entries: RawEntry[] }).entries)
    out.push(mapTemplate(raw));
  for (const raw of readJson('mock-kb-data.json') as RawEntry[]) {
    out.push({
      ...mapTemplate(raw),
      id: String(raw.id),
      usageCount: Number(raw.usage_count ?? 0),
      successCount: Number(raw.success_count ?? 0),
      failureCount: Number(raw.failure_count ?? 0),
    });
  }
  return out;
}

/** kb_entries.json: Portuguese FAQ chunks (uuid/title/content/summary), mapped to entries. */
export function portugueseEntries(): EntrySeed[] {
  return (readJson('kb_entries.json') as RawEntry[]).map((raw) => ({
    title: String(raw.title)
      .replace(/^\[[^\]]*\]\s*/, '')
      .replace(/\s+/g, ' ')
      .slice(0, 200)
      .trim(),
    problem: String(raw.content ?? '').trim() || '-',
    solution: String(raw.summary ?? '').trim() || '-',
    category: String(raw.category ?? 'Other'),
    tags: Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === 'string') : [],
  }));
}
