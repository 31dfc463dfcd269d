import { type Kysely, sql, type Transaction } from 'kysely';
import { type AppendOnlyGuard, appendOnlyMessage, guardedTable } from '../append-only-guard.js';

/** Transaction-local: it ends with the transaction that set it, committed or rolled back. */
const SETTING = 'kb.append_only_lifted';

/**
 * PostgreSQL: a trigger function that raises unless the transaction-local setting `kb.append_only_lifted`
 * is `on`, fired BEFORE UPDATE or DELETE of each row and BEFORE TRUNCATE. Any session may set the setting
 * (it is documented, not secret): this refuses accidental and casual changes; a role that owns the table
 * can drop the trigger, and only the keyed hash chain makes such a change evident.
 */
export class PgAppendOnlyGuard implements AppendOnlyGuard {
  async protect(db: Kysely<any>, table: string): Promise<void> {
    const name = guardedTable(table);
    const fn = `${name}_append_only`;
    const message = (op: 'UPDATE' | 'DELETE' | 'TRUNCATE') => sql.lit(appendOnlyMessage(name, op));
    await sql`create or replace function ${sql.id(fn)}() returns trigger language plpgsql as $$
      begin
        if coalesce(current_setting(${sql.lit(SETTING)}, true), '') <> 'on' then
          if tg_op = 'UPDATE' then raise exception using errcode = '23000', message = ${message('UPDATE')};
          elsif tg_op = 'DELETE' then raise exception using errcode = '23000', message = ${message('DELETE')};
          else raise exception using errcode = '23000', message = ${message('TRUNCATE')};
          end if;
        end if;
        if tg_op = 'DELETE' then return old; end if;
        return new;
      end $$`.execute(db);
    await sql`create trigger ${sql.id(`${name}_no_change`)} before update or delete on ${sql.table(name)}
      for each row execute function ${sql.id(fn)}()`.execute(db);
    await sql`create trigger ${sql.id(`${name}_no_truncate`)} before truncate on ${sql.table(name)}
      for each statement execute function ${sql.id(fn)}()`.execute(db);
  }

  async unprotect(db: Kysely<any>, table: string): Promise<void> {
    const name = guardedTable(table);
    await sql`drop trigger if exists ${sql.id(`${name}_no_truncate`)} on ${sql.table(name)}`.execute(db);
    await sql`drop trigger if exists ${sql.id(`${name}_no_change`)} on ${sql.table(name)}`.execute(db);
    await sql`drop function if exists ${sql.id(`${name}_append_only`)}()`.execute(db);
  }

  async lifted<T>(trx: Transaction<any>, fn: () => Promise<T>): Promise<T> {
    await sql`select set_config(${SETTING}, 'on', true)`.execute(trx);
    try {
      return await fn();
    } finally {
      // After a failed statement the transaction refuses everything until it rolls back, which resets the
      // setting anyway.
      await sql`select set_config(${SETTING}, 'off', true)`.execute(trx).catch(() => undefined);
    }
  }
}
