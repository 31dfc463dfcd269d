import type { Kysely, Transaction } from 'kysely';
import type { Migration } from '../../migration/migration-types.js';

/**
 * Bytes per stored chunk of a part. MySQL's client sends bytes as hex inside the statement, and a statement
 * must fit MariaDB's max_allowed_packet (16 MiB by default): 4 MiB of bytes is an 8 MiB statement.
 */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The server engines' saved search state (search-state-codec.ts: a head and parts), so that a new process
 * loads what another built instead of reading and tokenizing every entry (1–2 s at 100,000 entries, tens of
 * seconds at a million). `kb_search_state` holds the head and where the saved state stands (the largest
 * entry key folded in and when the build or refresh that produced it started); `kb_search_state_parts`
 * holds the parts, cut into chunks that one statement can carry on every server.
 */
export const serverSearchStateMigration: Migration = {
  id: 'server_search_0002_saved_state',
  description: 'the saved search state (champion lists, vocabulary, entry facts) of the server engine',
  async up(db, ctx) {
    await db.schema
      .createTable('kb_search_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('format', 'integer', (c) => c.notNull())
      .addColumn('max_seq', 'bigint', (c) => c.notNull())
      .addColumn('refreshed_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('entries', 'integer', (c) => c.notNull())
      .addColumn('saved_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('head', ctx.types.blob, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('kb_search_state_parts')
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('chunk', 'integer', (c) => c.notNull())
      .addColumn('bytes', ctx.types.blob, (c) => c.notNull())
      .addPrimaryKeyConstraint('kb_search_state_parts_pk', ['part', 'chunk'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('kb_search_state_parts').execute();
    await db.schema.dropTable('kb_search_state').execute();
  },
};

/** Where a saved state stands, and its bytes. */
export interface SavedServerState {
  format: number;
  /** Largest entry key folded in. */
  maxSeq: number;
  /** When the build or refresh the state comes from started (ms since the epoch, the saver's clock). */
  refreshedAt: number;
  /** Entries the state held. */
  entries: number;
  head: Uint8Array;
  parts: Map<number, Uint8Array>;
}

const asBytes = (value: unknown): Uint8Array =>
  value instanceof Uint8Array ? value : Buffer.from(value as ArrayBuffer);

/**
 * The saved state, read in one snapshot (head and parts of the same save), or undefined when none is saved
 * or the tables are not there (before their migration, or after one down past it).
 */
export async function readSavedServerState(db: Kysely<any>): Promise<SavedServerState | undefined> {
  try {
    return await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const row = await trx
          .selectFrom('kb_search_state')
          .select(['format', 'max_seq', 'refreshed_at', 'entries', 'head'])
          .where('id', '=', 1)
          .executeTakeFirst();
        if (!row) return undefined;
        const chunks = await trx
          .selectFrom('kb_search_state_parts')
          .select(['part', 'chunk', 'bytes'])
          .orderBy('part')
          .orderBy('chunk')
          .execute();
        const pieces = new Map<number, Uint8Array[]>();
        for (const c of chunks) {
          const list = pieces.get(Number(c.part)) ?? [];
          // A missing or repeated chunk leaves the part short or long: its CRC then fails, and the state is
          // rebuilt.
          list[Number(c.chunk)] = asBytes(c.bytes);
          pieces.set(Number(c.part), list);
        }
        const parts = new Map<number, Uint8Array>();
        for (const [part, list] of pieces) parts.set(part, Buffer.concat(list.filter(Boolean)));
        return {
          format: Number(row.format),
          maxSeq: Number(row.max_seq),
          refreshedAt: Date.parse(String(row.refreshed_at)),
          entries: Number(row.entries),
          head: asBytes(row.head),
          parts,
        };
      });
  } catch {
    // No tables (or a connection error, which the search then meets and reports itself): build instead.
    return undefined;
  }
}

/** Replaces the saved state, in the caller's transaction. */
export async function writeSavedServerState(
  trx: Transaction<any>,
  state: Omit<SavedServerState, 'parts'> & { parts: readonly Uint8Array[] },
): Promise<void> {
  await trx.deleteFrom('kb_search_state_parts').execute();
  await trx.deleteFrom('kb_search_state').execute();
  for (const [part, bytes] of state.parts.entries()) {
    if (!bytes) continue;
    for (let chunk = 0, at = 0; at < bytes.length || chunk === 0; chunk++, at += CHUNK_BYTES) {
      await trx
        .insertInto('kb_search_state_parts')
        .values({ part, chunk, bytes: Buffer.from(bytes.subarray(at, at + CHUNK_BYTES)) })
        .execute();
    }
  }
  await trx
    .insertInto('kb_search_state')
    .values({
      id: 1,
      format: state.format,
      max_seq: state.maxSeq,
      refreshed_at: new Date(state.refreshedAt).toISOString(),
      entries: state.entries,
      saved_at: new Date().toISOString(),
      head: Buffer.from(state.head),
    })
    .execute();
}

/** Removes the saved state in the caller's transaction (the index was rebuilt, or its rows were replaced). */
export async function forgetSavedServerState(trx: Transaction<any>): Promise<void> {
  await trx.deleteFrom('kb_search_state_parts').execute();
  await trx.deleteFrom('kb_search_state').execute();
}
