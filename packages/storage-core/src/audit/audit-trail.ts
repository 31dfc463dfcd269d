import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { insertRows } from '../util/insert-rows.js';

export type Role = 'viewer' | 'editor' | 'admin';

export interface Actor {
  id: string;
  role: Role;
}

export interface AuditRecord {
  action: string;
  entity: string;
  entityId: string | null;
  detail?: unknown;
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** The first row whose hash or link does not match; absent when ok. */
  firstBadSeq?: number;
}

/** The hash the first audit row links to. */
export const AUDIT_GENESIS = '0'.repeat(64);
const GENESIS = AUDIT_GENESIS;

function rowHash(prev: string, at: string, actor: Actor, record: AuditRecord, detail: string | null): string {
  // A length-prefixed encoding: no field can be shifted into its neighbour to forge the same digest, and
  // NULL (`-`) differs from the empty string (`0:`).
  const fields = [
    prev,
    at,
    actor.id,
    actor.role,
    record.action,
    record.entity,
    record.entityId ?? null,
    detail,
  ];
  const hash = createHash('sha256');
  for (const field of fields) hash.update(field === null ? '-|' : `${field.length}:${field}|`);
  return hash.digest('hex');
}

/**
 * The audit trail: one row per mutation, written in the mutation's transaction, each row carrying the hash
 * of its predecessor. Appends start by locking the chain's head row (`kb_audit_head`) — with a locking read
 * where the dialect runs writers concurrently — so the chain stays linear; the head also records the last
 * row, so a deleted tail shows.
 */
export class AuditTrail {
  constructor(
    private readonly db: Kysely<any>,
    /** Whether `SELECT … FOR UPDATE` exists (server dialects); SQLite serialises writers instead. */
    private readonly lockingReads: boolean,
  ) {}

  async append(
    trx: Transaction<any>,
    actor: Actor,
    records: readonly AuditRecord[],
    at: string,
  ): Promise<void> {
    if (records.length === 0) return;
    let head = trx.selectFrom('kb_audit_head').select(['seq', 'hash']).where('id', '=', 1);
    if (this.lockingReads) head = head.forUpdate();
    const current = await head.executeTakeFirst();
    if (!current)
      throw new Error('the audit chain head row is missing (kb_audit_head); the store is damaged');
    let prev: string = current.hash;
    const rows = records.map((record) => {
      const detail = record.detail === undefined ? null : JSON.stringify(record.detail);
      const hash = rowHash(prev, at, actor, record, detail);
      const row = {
        at,
        actor: actor.id,
        role: actor.role,
        action: record.action,
        entity: record.entity,
        entity_id: record.entityId,
        detail,
        prev_hash: prev,
        hash,
      };
      prev = hash;
      return row;
    });
    // Chunked: SQLite binds at most 32,766 parameters per statement.
    await insertRows(trx, 'kb_audit', rows, 2_000);
    // Holding the head, no other transaction can append: the largest key is the last row just written.
    const last = await trx
      .selectFrom('kb_audit')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('kb_audit_head')
      .set({ seq: Number(last.seq), hash: prev })
      .where('id', '=', 1)
      .execute();
  }

  /** Points the head at the last row, after audit rows were loaded as they are (a copy or a restore). */
  async resetHead(trx: Transaction<any>): Promise<void> {
    const last = await trx
      .selectFrom('kb_audit')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    await trx.deleteFrom('kb_audit_head').execute();
    await trx
      .insertInto('kb_audit_head')
      .values({ id: 1, seq: last ? Number(last.seq) : 0, hash: last?.hash ?? GENESIS })
      .execute();
  }

  /** Walks the chain up to the head read first (rows appended meanwhile are left for the next check). */
  async verify(): Promise<AuditVerification> {
    const head = await this.db
      .selectFrom('kb_audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!head) return { ok: false, rows: 0, firstBadSeq: 0 };
    const end = Number(head.seq);
    let prev = GENESIS;
    let after = 0;
    let count = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('kb_audit')
        .selectAll()
        .where('seq', '>', after)
        .where('seq', '<=', end)
        .orderBy('seq')
        .limit(2_000)
        .execute();
      for (const row of rows) {
        count += 1;
        const expected = rowHash(
          prev,
          row.at,
          { id: row.actor, role: row.role },
          { action: row.action, entity: row.entity, entityId: row.entity_id },
          row.detail,
        );
        if (row.prev_hash !== prev || row.hash !== expected) {
          return { ok: false, rows: count, firstBadSeq: Number(row.seq) };
        }
        prev = row.hash;
      }
      if (rows.length < 2_000) {
        // The chain must end where the head says: rows deleted from the end leave the head pointing past them.
        const lastSeq = rows.length > 0 ? Number(rows[rows.length - 1]!.seq) : after;
        if (prev !== head.hash || lastSeq !== end) return { ok: false, rows: count, firstBadSeq: end };
        return { ok: true, rows: count };
      }
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}
