import { type Kysely, sql, type Transaction } from 'kysely';
import { type AppendOnlyGuard, appendOnlyMessage, guardedTable } from '../append-only-guard.js';

/**
 * MySQL / MariaDB: BEFORE UPDATE and BEFORE DELETE triggers that signal unless the session variable
 * `@kb_append_only_lifted` is 1. The store sets it on the connection of its own transaction and clears it
 * before the connection goes back to the pool. Any session can set a user variable, and TRUNCATE fires no
 * trigger (it needs the DROP privilege): this refuses accidental and casual changes; the keyed hash chain
 * is what makes a deliberate one evident.
 */
export class MysqlAppendOnlyGuard implements AppendOnlyGuard {
  async protect(db: Kysely<any>, table: string): Promise<void> {
    const name = guardedTable(table);
    for (const operation of ['UPDATE', 'DELETE'] as const) {
      const trigger = `${name}_no_${operation.toLowerCase()}`;
      await sql`create trigger ${sql.id(trigger)} before ${sql.raw(operation.toLowerCase())} on ${sql.table(name)}
        for each row begin
          if coalesce(@kb_append_only_lifted, 0) <> 1 then
            signal sqlstate '45000' set message_text = ${sql.lit(appendOnlyMessage(name, operation))};
          end if;
        end`.execute(db);
    }
  }

  async unprotect(db: Kysely<any>, table: string): Promise<void> {
    const name = guardedTable(table);
    for (const operation of ['update', 'delete']) {
      await sql`drop trigger if exists ${sql.id(`${name}_no_${operation}`)}`.execute(db);
    }
  }

  async lifted<T>(trx: Transaction<any>, fn: () => Promise<T>): Promise<T> {
    await sql`set @kb_append_only_lifted = 1`.execute(trx);
    try {
      return await fn();
    } finally {
      // A connection whose reset failed is broken and is not reused; a working one must not keep the lift.
      await sql`set @kb_append_only_lifted = null`.execute(trx).catch(() => undefined);
    }
  }
}
