import { randomInt, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql, type Transaction } from 'kysely';
import { StorageErrorCode } from '../../errors/error-codes.js';
import { StorageError } from '../../errors/storage-error.js';
import { translateDatabaseError } from '../../errors/translate-error.js';
import { processAlive } from '../../util/process-alive.js';
import type { HeldLock } from '../dialect-adapter.js';
import { isBusy } from './sqlite-driver.js';

export const MIGRATION_LOCK_TABLE = 'kb_migration_lock';

/** What the lock needs of the adapter; a structural type so tests can pass a bare kysely-backed host. */
export interface SqliteLockHost {
  readonly db: Kysely<any>;
  writeTransaction<T>(fn: (trx: Transaction<any>) => Promise<T>): Promise<T>;
}

export interface SqliteMigrationLockOptions {
  /**
   * How long the lock stays valid without a heartbeat. Only a holder on another host is judged by it; on
   * this host a holder is alive exactly as long as its process. Default 2 minutes.
   */
  readonly ttlMs?: number;
  /** Default: a third of the TTL. */
  readonly heartbeatMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** The lock row as stored. */
export interface MigrationLockHolder {
  readonly owner: string;
  readonly pid: number;
  readonly hostname: string;
  readonly acquiredAt: string;
  readonly heartbeatAt: string;
  readonly expiresAt: string;
}

interface LockRecord {
  token: string;
  owner: string;
  pid: number | bigint;
  hostname: string;
  acquired_at: string;
  heartbeat_at: string;
  expires_at: string;
}

const DEFAULT_TTL_MS = 120_000;
const DEFAULT_INITIAL_BACKOFF_MS = 20;
const DEFAULT_MAX_BACKOFF_MS = 1_000;

/**
 * Tokens of locks this process holds now. A row with this process's pid but a token not in here was left
 * by an earlier process that had the same pid (pid 1 in a restarted container), so it is stale.
 */
const heldTokens = new Set<string>();

function holderOf(record: LockRecord): MigrationLockHolder {
  return {
    owner: record.owner,
    pid: Number(record.pid),
    hostname: record.hostname,
    acquiredAt: record.acquired_at,
    heartbeatAt: record.heartbeat_at,
    expiresAt: record.expires_at,
  };
}

/** Why a held lock may be taken over, or undefined when its holder may still be working. */
function staleReason(holder: MigrationLockHolder, now: number, host = hostname()): string | undefined {
  if (holder.hostname === host) {
    if (holder.pid === process.pid) return undefined;
    return processAlive(holder.pid) ? undefined : `process ${holder.pid} is gone`;
  }
  const expires = Date.parse(holder.expiresAt);
  return Number.isNaN(expires) || expires <= now ? `it expired at ${holder.expiresAt}` : undefined;
}

function isOwnLeftover(record: LockRecord, host: string): boolean {
  return record.hostname === host && Number(record.pid) === process.pid && !heldTokens.has(record.token);
}

/**
 * Whether taking the lock failed only because another connection is at it: busy (the driver's test), a
 * table locked within a shared cache, or the store's own BUSY error. Each is worth another attempt.
 */
function isContention(error: unknown): boolean {
  if (isBusy(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_LOCKED')) return true;
  return error instanceof StorageError && error.code === StorageErrorCode.BUSY;
}

async function ensureLockTable(trx: Transaction<any>): Promise<void> {
  await trx.schema
    .createTable(MIGRATION_LOCK_TABLE)
    .ifNotExists()
    // One row at most: the check makes a second holder a constraint error rather than a second row.
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('token', 'varchar(64)', (c) => c.notNull())
    .addColumn('owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
    .addColumn('acquired_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('heartbeat_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

type Attempt = { taken: true } | { taken: false; holder: MigrationLockHolder };

/** One short BEGIN IMMEDIATE transaction: read the row, and take it when free or stale. */
async function tryTake(
  host: SqliteLockHost,
  token: string,
  owner: string,
  ttlMs: number,
  hostName: string,
): Promise<Attempt> {
  return host.writeTransaction(async (trx) => {
    await ensureLockTable(trx);
    const record = (await trx
      .selectFrom(MIGRATION_LOCK_TABLE)
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst()) as LockRecord | undefined;
    const now = Date.now();
    if (record && !isOwnLeftover(record, hostName) && !staleReason(holderOf(record), now, hostName)) {
      return { taken: false, holder: holderOf(record) };
    }
    const at = new Date(now).toISOString();
    await trx.deleteFrom(MIGRATION_LOCK_TABLE).execute();
    await trx
      .insertInto(MIGRATION_LOCK_TABLE)
      .values({
        id: 1,
        token,
        owner,
        pid: process.pid,
        hostname: hostName,
        acquired_at: at,
        heartbeat_at: at,
        expires_at: new Date(now + ttlMs).toISOString(),
      })
      .execute();
    return { taken: true };
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the cross-process migration lock of a SQLite store: a single row in `kb_migration_lock`, written
 * in a short BEGIN IMMEDIATE transaction so two processes cannot both see it free. Waits with growing,
 * jittered pauses up to `timeoutMs`, then fails with MIGRATION_LOCKED naming the holder. A row left by a
 * dead process on this host, or expired, is taken over.
 */
export async function acquireSqliteMigrationLock(
  host: SqliteLockHost,
  owner: string,
  timeoutMs: number,
  options: SqliteMigrationLockOptions = {},
): Promise<HeldLock> {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1_000, Math.floor(ttlMs / 3));
  let backoff = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const hostName = hostname();
  const token = randomUUID();
  const deadline = Date.now() + timeoutMs;
  let holder: MigrationLockHolder | undefined;

  for (;;) {
    try {
      const attempt = await tryTake(host, token, owner, ttlMs, hostName);
      if (attempt.taken) break;
      holder = attempt.holder;
    } catch (error) {
      if (!isContention(error)) throw translateDatabaseError(error, 'taking the migration lock');
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw lockedError(holder, timeoutMs);
    // Jitter (0.5–1.5× the backoff) keeps processes that started together from retrying in step.
    await sleep(Math.min(remaining, (backoff * randomInt(500, 1_500)) / 1_000));
    backoff = Math.min(maxBackoff, backoff * 2);
  }

  heldTokens.add(token);
  const heartbeat = setInterval(() => {
    const now = Date.now();
    host.db
      .updateTable(MIGRATION_LOCK_TABLE)
      .set({ heartbeat_at: new Date(now).toISOString(), expires_at: new Date(now + ttlMs).toISOString() })
      .where('token', '=', token)
      .execute()
      .catch(() => {
        // A missed heartbeat only shortens the lease seen from other hosts; the next one retries.
      });
  }, heartbeatMs);
  heartbeat.unref();

  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      heldTokens.delete(token);
      try {
        await host.writeTransaction((trx) =>
          trx.deleteFrom(MIGRATION_LOCK_TABLE).where('token', '=', token).execute(),
        );
      } catch (error) {
        throw translateDatabaseError(error, 'releasing the migration lock');
      }
    },
  };
}

function lockedError(holder: MigrationLockHolder | undefined, timeoutMs: number): StorageError {
  const who = holder
    ? `'${holder.owner}' (pid ${holder.pid} on ${holder.hostname}, since ${holder.acquiredAt})`
    : 'another writer (the database stayed busy)';
  const hint = holder
    ? `wait for it to finish; if that process is gone from another machine the lock frees itself at ${holder.expiresAt}`
    : 'retry when the other writer is done';
  return new StorageError(
    StorageErrorCode.MIGRATION_LOCKED,
    `the migration lock is held by ${who}; waited ${timeoutMs} ms. ${hint}`,
    { details: holder ? { holder } : {} },
  );
}

/** The current lock row, if any; for status displays and tests. */
export async function readMigrationLock(db: Kysely<any>): Promise<MigrationLockHolder | undefined> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === MIGRATION_LOCK_TABLE)) return undefined;
  const record = (await db.selectFrom(MIGRATION_LOCK_TABLE).selectAll().executeTakeFirst()) as
    | LockRecord
    | undefined;
  return record ? holderOf(record) : undefined;
}
