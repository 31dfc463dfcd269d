import { computeContentHash, computeRowCounts, type TableContribution } from '@mainframe-kb/storage-core';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { TableDigest } from '../manifest/backup-metadata.js';

export interface ImageContent {
  readonly contentHash: string | null;
  readonly tables: Record<string, TableDigest>;
  readonly entryCount: number;
  readonly schemaVersion: number;
}

export type ContentCheckMode = 'hash' | 'counts';

/** Recorded content to compare a restore with: a manifest body or a freshly computed ImageContent. */
export interface ExpectedContentSource {
  readonly contentHash: string | null;
  readonly tables: Readonly<Record<string, TableDigest>>;
}

/** Opens a SQLite file through kysely (read-only unless asked), runs `fn`, closes it. */
export async function withSqliteFile<T>(
  path: string,
  fn: (db: Kysely<any>, raw: BetterSqlite3.Database) => Promise<T>,
  options: { readonly?: boolean } = {},
): Promise<T> {
  const raw = new BetterSqlite3(path, { readonly: options.readonly ?? true, fileMustExist: true });
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    return await fn(db, raw);
  } finally {
    await db.destroy();
    // kysely closes the connection only if it ever used it: a caller that ran pragmas alone would leave it
    // open, and an open connection keeps another's last close from merging the WAL into the file.
    if (raw.open) raw.close();
  }
}

/**
 * The content of a database: per-table row counts and (mode `hash`) storage-core's canonical content hash,
 * computed the same way `storage.contentHash()` does on any dialect.
 */
export async function contentOf(
  db: Kysely<any>,
  tables: readonly TableContribution[],
  mode: ContentCheckMode,
): Promise<ImageContent> {
  const present = new Set(
    (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map(
      (r) => r.name,
    ),
  );
  const hashed = tables.filter((t) => !t.derived && t.entity !== 'schema' && present.has(t.name));
  let contentHash: string | null = null;
  const digests: Record<string, TableDigest> = {};
  if (mode === 'hash') {
    const result = await computeContentHash(db, hashed);
    contentHash = result.hash;
    for (const [name, t] of Object.entries(result.tables)) digests[name] = { rows: t.rows, hash: t.hash };
  } else {
    const counts = await computeRowCounts(db, hashed);
    for (const [name, rows] of Object.entries(counts)) digests[name] = { rows, hash: '' };
  }
  const count = async (table: string) =>
    present.has(table)
      ? Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      : 0;
  return {
    contentHash,
    tables: digests,
    entryCount: digests.kb_entries?.rows ?? (await count('kb_entries')),
    schemaVersion: await count('kb_migrations'),
  };
}
