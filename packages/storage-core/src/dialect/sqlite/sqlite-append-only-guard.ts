import type { Database } from 'better-sqlite3';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type AppendOnlyGuard, appendOnlyMessage, guardedTable } from '../append-only-guard.js';

/** Registered on the store's own connection only; the sqlite3 shell and other tools do not have it. */
const LIFTED_FUNCTION = 'kb_append_only_lifted';

/**
 * SQLite: BEFORE UPDATE / DELETE triggers that raise unless `kb_append_only_lifted()` returns 1. The function
 * is defined on the store's connection alone, so any other connection — the sqlite3 shell, another program
 * — fails on "no such function" and is refused as well, while the store lifts the guard for the span of one
 * of its own transactions (one connection, transactions serialised: nothing else runs meanwhile).
 */
export class SqliteAppendOnlyGuard implements AppendOnlyGuard {
  #lifted = false;

  constructor(sqlite: Database) {
    sqlite.function(LIFTED_FUNCTION, { deterministic: false }, () => (this.#lifted ? 1 : 0));
  }

  async protect(db: Kysely<any>, table: string): Promise<void> {
    const name = guardedTable(table);
    for (const operation of ['UPDATE', 'DELETE'] as const) {
      const trigger = `${name}_no_${operation.toLowerCase()}`;
      await sql`create trigger ${sql.id(trigger)} before ${sql.raw(operation.toLowerCase())} on ${sql.table(name)}
        when not ${sql.raw(LIFTED_FUNCTION)}()
        begin select raise(abort, ${sql.lit(appendOnlyMessage(name, operation))}); end`.execute(db);
    }
  }

  async unprotect(db: Kysely<any>, table: string): Promise<void> {
    const name = guardedTable(table);
    for (const operation of ['update', 'delete']) {
      await sql`drop trigger if exists ${sql.id(`${name}_no_${operation}`)}`.execute(db);
    }
  }

  async lifted<T>(_trx: Transaction<any>, fn: () => Promise<T>): Promise<T> {
    if (this.#lifted) return fn();
    this.#lifted = true;
    try {
      return await fn();
    } finally {
      this.#lifted = false;
    }
  }
}
