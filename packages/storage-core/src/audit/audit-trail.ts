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

const GENESIS = '0'.repeat(64);

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
 * of its predecessor. Writers are serialised by the write lock, so the chain is linear.
 */
export class AuditTrail {
  constructor(private readonly db: Kysely<any>) {}

  async append(
    trx: Transaction<any>,
    actor: Actor,
    records: readonly AuditRecord[],
    at: string,
  ): Promise<void> {
    if (records.length === 0) return;
    const last = await trx
      .selectFrom('kb_audit')
      .select('hash')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    let prev: string = last?.hash ?? GENESIS;
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
  }

  async verify(): Promise<AuditVerification> {
    let prev = GENESIS;
    let after = 0;
    let count = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('kb_audit')
        .selectAll()
        .where('seq', '>', after)
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
      if (rows.length < 2_000) return { ok: true, rows: count };
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}
