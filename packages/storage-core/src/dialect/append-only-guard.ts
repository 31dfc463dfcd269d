import type { Kysely, Transaction } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';

/**
 * Makes the database itself refuse UPDATE and DELETE on a table (the audit trail), whoever connects. The
 * store's own sanctioned whole-table loads (`importTables` with `replace`) lift the guard for their one
 * transaction; each dialect decides how a lift is recognised (a function only the store's connection has
 * on SQLite, a transaction- or session-local setting on the servers).
 */
export interface AppendOnlyGuard {
  /**
   * Issues, through `db` (a migration's transaction, so its plan and checksum see them), the statements that
   * make `table` refuse UPDATE and DELETE.
   */
  protect(db: Kysely<any>, table: string): Promise<void>;
  /** Removes what `protect` created. */
  unprotect(db: Kysely<any>, table: string): Promise<void>;
  /** Runs `fn` with every guard lifted for the statements of `trx`, and only until `fn` settles. */
  lifted<T>(trx: Transaction<any>, fn: () => Promise<T>): Promise<T>;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,40}$/;

/** The table name, checked: it becomes part of trigger and function names. */
export function guardedTable(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new StorageError(
      StorageErrorCode.MIGRATION_INVALID,
      `cannot guard '${table}': an append-only table name is lower-case letters, digits and _ (at most 41)`,
    );
  }
  return table;
}

/** The message every dialect's guard refuses with, so the refusal reads the same everywhere. */
export function appendOnlyMessage(table: string, operation: 'UPDATE' | 'DELETE' | 'TRUNCATE'): string {
  return `${table} is append-only: ${operation} refused`;
}
