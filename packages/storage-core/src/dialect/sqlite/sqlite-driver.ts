import type { Database, Statement } from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
  SelectQueryNode,
  type TransactionSettings,
} from 'kysely';

const STATEMENT_CACHE_SIZE = 256;

interface BeginStatements {
  timeout: Statement;
  noWait: Statement;
  begin: Statement;
  /** Sets the timeout back to `restoreMs`, the connection's own. */
  restore?: Statement;
  restoreMs?: number;
}

/** SQLITE_BUSY and its extended codes: another connection holds the lock this one needs. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * better-sqlite3 reads an INTEGER as a JS number, and one beyond ±(2^53 − 1) as the nearest double: the
 * stored 9007199254740993 comes back as 9007199254740992, and a copy or a backup would write that instead.
 * Such a row is read again with exact integers, and those beyond the safe range are handed out as decimal
 * strings, as the PostgreSQL and MySQL dialects hand out their BIGINTs (SQLite turns the string back into
 * the same INTEGER when it is written to an INTEGER column). A REAL is a double either way.
 */
function mayHaveLostAnInteger(rows: readonly unknown[]): boolean {
  for (const row of rows) {
    for (const key in row as Record<string, unknown>) {
      const value = (row as Record<string, unknown>)[key];
      if (typeof value === 'number' && (value > MAX_SAFE || value < -MAX_SAFE)) return true;
    }
  }
  return false;
}

function exactRows<R>(statement: Statement, parameters: readonly unknown[]): R[] {
  statement.safeIntegers(true);
  try {
    return (statement.all(parameters as unknown[]) as Record<string, unknown>[]).map((row) =>
      exactRow<R>(row),
    );
  } finally {
    statement.safeIntegers(false);
  }
}

/** A row read with `safeIntegers(true)`: safe integers as numbers, the others as their decimal digits. */
function exactRow<R>(row: Record<string, unknown>): R {
  for (const key in row) {
    const value = row[key];
    if (typeof value === 'bigint') {
      row[key] = value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
    }
  }
  return row as R;
}

/**
 * A kysely driver over one better-sqlite3 connection. It differs from kysely's own in two ways that the
 * store depends on: write transactions begin with BEGIN IMMEDIATE (deferred ones lose ~18% of commits to
 * SQLITE_BUSY under four writer processes), and prepared statements are cached, so hot paths do not
 * re-parse their SQL. `beforeWriteCommit` runs before every write transaction's COMMIT; when it throws, the
 * transaction rolls back instead.
 */
export class SqliteDriver implements Driver {
  readonly #connection: SqliteConnection;
  readonly #beforeWriteCommit: (() => void) | undefined;
  #lock: Promise<void> | undefined;
  #unlock: (() => void) | undefined;
  /** The open transaction writes (one connection: one transaction at a time). */
  #writing = false;
  #begin: BeginStatements | undefined;

  constructor(database: Database, beforeWriteCommit?: () => void) {
    this.#connection = new SqliteConnection(database);
    this.#beforeWriteCommit = beforeWriteCommit;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection: callers queue until the previous holder releases it.
    while (this.#lock) await this.#lock;
    this.#lock = new Promise((resolve) => {
      this.#unlock = resolve;
    });
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.#writing = settings.accessMode !== 'read only';
    if (this.#writing) await this.#beginImmediate();
    else await connection.executeQuery(CompiledQuery.raw('begin deferred'));
  }

  /**
   * BEGIN IMMEDIATE, waiting out another process's write lock by trying again every millisecond or two
   * instead of in SQLite's busy handler. That handler is not fair: after its first tries it sleeps 100 ms
   * between attempts, so among writers that take the lock back within a millisecond of releasing it, a
   * waiting one wins only when its wake-up falls into a gap. Measured with four writer processes on a
   * loaded two-core machine: one write waited 5.4 s, and in CI one gave up after the 15 s timeout. The
   * connection's busy timeout stays the bound: the wait ends with SQLITE_BUSY once it has passed, and a
   * timeout of 0 (a write that may be skipped) tries once.
   */
  async #beginImmediate(): Promise<void> {
    this.#begin ??= this.#prepareBegin();
    const statements = this.#begin;
    const timeoutMs = statements.timeout.get() as number;
    if (timeoutMs === 0) {
      statements.begin.run();
      return;
    }
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      statements.noWait.get();
      try {
        statements.begin.run();
        return;
      } catch (error) {
        if (!isBusy(error) || performance.now() >= deadline) throw error;
      } finally {
        // Only the attempt runs without the timeout: every other statement keeps it, checkpoints included.
        if (statements.restoreMs !== timeoutMs) {
          statements.restore = this.#connection.database.prepare(`pragma busy_timeout = ${timeoutMs}`);
          statements.restoreMs = timeoutMs;
        }
        statements.restore!.get();
      }
      // 1 or 2 ms, at random: waiting processes do not retry in step with each other.
      const pauseMs = 1 + Math.round(Math.random());
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  #prepareBegin(): BeginStatements {
    const database = this.#connection.database;
    return {
      timeout: database.prepare('pragma busy_timeout').pluck(),
      noWait: database.prepare('pragma busy_timeout = 0'),
      begin: database.prepare('begin immediate'),
    };
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#writing) this.#beforeWriteCommit?.();
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // SQLite may already have rolled back (disk full, interrupt); a second rollback would throw and hide
    // the original error.
    if (this.#connection.database.inTransaction) {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    }
  }

  async savepoint(connection: DatabaseConnection, name: string, _compile: QueryCompiler['compileQuery']) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release "${name}"`));
  }

  async releaseConnection(): Promise<void> {
    const unlock = this.#unlock;
    this.#lock = undefined;
    this.#unlock = undefined;
    unlock?.();
  }

  async destroy(): Promise<void> {
    this.#connection.clear();
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly database: Database;
  readonly #statements = new Map<string, Statement>();

  constructor(database: Database) {
    this.database = database;
  }

  clear(): void {
    this.#statements.clear();
  }

  #prepare(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement) {
      // Move to the back: the map's insertion order is the LRU order.
      this.#statements.delete(sql);
      this.#statements.set(sql, statement);
      return statement;
    }
    statement = this.database.prepare(sql);
    // Schema changes invalidate statements; DDL is rare, so it is simply not cached.
    if (!/^\s*(create|drop|alter|pragma|vacuum|begin|commit|rollback|savepoint|release)\b/i.test(sql)) {
      this.#statements.set(sql, statement);
      if (this.#statements.size > STATEMENT_CACHE_SIZE) {
        const oldest = this.#statements.keys().next().value as string;
        this.#statements.delete(oldest);
      }
    }
    return statement;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const statement = this.#prepare(sql);
    if (statement.reader) {
      // A statement that writes (INSERT … RETURNING) must not run twice: it reads exactly the first time.
      if (!statement.readonly) return { rows: exactRows<R>(statement, parameters) };
      const rows = statement.all(parameters as unknown[]) as R[];
      // Read again, exactly, on the same connection: only a row holding a number beyond 2^53 costs this (a
      // REAL that large reads back the same).
      return { rows: mayHaveLostAnInteger(rows) ? exactRows<R>(statement, parameters) : rows };
    }
    const { changes, lastInsertRowid } = statement.run(parameters as unknown[]);
    return {
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    };
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    if (!SelectQueryNode.is(query)) throw new Error('SQLite streams SELECT queries only');
    const statement = this.database.prepare(sql).safeIntegers(true);
    for (const row of statement.iterate(parameters as unknown[])) {
      yield { rows: [exactRow<R>(row as Record<string, unknown>)] };
    }
  }
}
