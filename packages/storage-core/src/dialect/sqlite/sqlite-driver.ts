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
    await connection.executeQuery(CompiledQuery.raw(this.#writing ? 'begin immediate' : 'begin deferred'));
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
      return { rows: statement.all(parameters as unknown[]) as R[] };
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
    const statement = this.database.prepare(sql);
    for (const row of statement.iterate(parameters as unknown[])) {
      yield { rows: [row as R] };
    }
  }
}
