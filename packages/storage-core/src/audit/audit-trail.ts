import type { Kysely, Transaction } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { insertRows } from '../util/insert-rows.js';
import type { AuditCheckpoint, CheckpointFile } from './audit-checkpoints.js';
import { AUDIT_GENESIS, auditRowHash } from './audit-hash.js';
import type { AuditKeyring } from './audit-keyring.js';
import {
  type AuditEntry,
  type PendingLoad,
  parsePendingLoads,
  pendingLoad,
  pendingLoadEntry,
} from './audit-pending-load.js';
import {
  type AuditHead,
  type AuditVerification,
  AuditVerifier,
  type VerifyOptions,
} from './audit-verifier.js';
import { processAuditKey } from './process-audit-keys.js';

export { AUDIT_GENESIS } from './audit-hash.js';
export type { AuditVerification, VerifyOptions } from './audit-verifier.js';

export type Role = 'viewer' | 'editor' | 'admin';

/** Which audit rows to read: the last `limit` (default 50), or the first `limit` at or after `since`. */
export interface AuditRowsOptions {
  limit?: number;
  /** An ISO time. */
  since?: string;
  /** Only rows about this kind of thing: the table it changed (`kb_entry`, …). */
  entity?: string;
  /** Only rows about this one thing (an entry's id, …). */
  entityId?: string;
}

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

/** An audit row as `kb audit show` prints it. */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  entity: string;
  entityId: string | null;
  detail: unknown;
  keyId: string | null;
  hash: string;
}

/** A chain a load brought: what verifying it found, and its head. */
export interface LoadedChain {
  readonly verified: { readonly rows: number; readonly missingKeys: Record<string, number> };
  readonly head: AuditHead;
}

/** A row's detail as the JSON it was written as; text that is not JSON (an edited row) as it stands. */
function parseDetail(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The audit trail: one row per mutation, written in the mutation's transaction, each row carrying the hash
 * of its predecessor, keyed with the store's audit key (HMAC-SHA-256) so a chain cannot be recomputed after
 * an edit without the key. Appends start by locking the chain's head row (`kb_audit_head`) — with a locking
 * read where the dialect runs writers concurrently — so the chain stays linear; the head also records the
 * last row, so a deleted tail shows, and signed checkpoints kept outside the store show a tail deleted
 * together with the head.
 */
export class AuditTrail {
  readonly #verifier: AuditVerifier;

  constructor(
    private readonly db: Kysely<any>,
    /** Whether `SELECT … FOR UPDATE` exists (server dialects); SQLite serialises writers instead. */
    private readonly lockingReads: boolean,
    readonly keyring: AuditKeyring,
    checkpoints: CheckpointFile,
  ) {
    this.#verifier = new AuditVerifier(db, keyring, checkpoints);
  }

  async append(
    trx: Transaction<any>,
    actor: Actor,
    records: readonly AuditRecord[],
    at: string,
  ): Promise<void> {
    if (records.length === 0) return;
    let query = trx.selectFrom('kb_audit_head').select(['seq', 'hash', 'pending']).where('id', '=', 1);
    if (this.lockingReads) query = query.forUpdate();
    const head = await query.executeTakeFirst();
    if (!head) throw new Error('the audit chain head row is missing (kb_audit_head); the store is damaged');
    const key = await this.#signingKey(trx, Number(head.seq));
    const keyOf = (id: string) => this.keyring.key(id) ?? processAuditKey(id)?.secret;
    const entries: AuditEntry[] = [
      // A load recorded itself in the head (its own transaction had to leave kb_audit as loaded).
      ...parsePendingLoads(head.pending).map((load) => pendingLoadEntry(load, keyOf)),
      ...records.map((record) => ({
        at,
        actor: actor.id,
        role: actor.role,
        action: record.action,
        entity: record.entity,
        entityId: record.entityId ?? null,
        detail: record.detail === undefined ? null : JSON.stringify(record.detail),
      })),
    ];
    let prev: string = head.hash;
    const rows = entries.map((entry) => {
      const keyId = key?.id ?? null;
      const hash = auditRowHash({ prev, ...entry, keyId }, key?.secret);
      const row = {
        at: entry.at,
        actor: entry.actor,
        role: entry.role,
        action: entry.action,
        entity: entry.entity,
        entity_id: entry.entityId,
        detail: entry.detail,
        prev_hash: prev,
        hash,
        key_id: keyId,
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
      .set({ seq: Number(last.seq), hash: prev, pending: null })
      .where('id', '=', 1)
      .execute();
  }

  /**
   * Throws as `append` would when this process cannot extend the chain (it is keyed, and no key is here),
   * without writing: for callers that must know before they change anything.
   */
  async assertWritable(db: Kysely<any>): Promise<void> {
    const head = await db.selectFrom('kb_audit_head').select('seq').where('id', '=', 1).executeTakeFirst();
    if (head) await this.#signingKey(db, Number(head.seq));
  }

  /**
   * The key new rows are signed with; undefined writes the first, unkeyed scheme — allowed only while the
   * chain has no keyed row, so a process without the key cannot downgrade a keyed chain.
   */
  async #signingKey(trx: Kysely<any>, headSeq: number) {
    const key = this.keyring.current();
    if (key) return key;
    const last = await trx
      .selectFrom('kb_audit')
      .select('key_id')
      .where('seq', '=', headSeq)
      .executeTakeFirst();
    if (last?.key_id) {
      throw new StorageError(
        StorageErrorCode.AUDIT_KEY_MISSING,
        `the audit chain is keyed (its last row with key ${last.key_id}) and this store has ${this.keyring.description}: ` +
          'the write is refused rather than chained without a key. Supply the keyring (audit.keyFile, or the key in KB_AUDIT_KEY)',
        { details: { keyId: last.key_id } },
      );
    }
    return undefined;
  }

  /**
   * Points the head at the last row, after audit rows were loaded as they are (a copy or a restore). The load
   * is recorded by `load`, kept in the head and appended as a row by the next write: the load's own
   * transaction must leave kb_audit exactly as loaded, since copies and restores compare it with the source.
   */
  async resetHead(trx: Transaction<any>, load?: PendingLoad): Promise<AuditHead> {
    const old = await trx
      .selectFrom('kb_audit_head')
      .select('pending')
      .where('id', '=', 1)
      .executeTakeFirst();
    const pending = [...parsePendingLoads(old?.pending), ...(load ? [load] : [])];
    const last = await trx
      .selectFrom('kb_audit')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const head = { seq: last ? Number(last.seq) : 0, hash: last?.hash ?? AUDIT_GENESIS };
    await trx.deleteFrom('kb_audit_head').execute();
    await trx
      .insertInto('kb_audit_head')
      .values({ id: 1, ...head, pending: pending.length > 0 ? JSON.stringify(pending) : null })
      .execute();
    return head;
  }

  /**
   * Records a load (`importTables`) inside its transaction: a chain the load brought is verified and the
   * head pointed at its last row. The load's own row waits in the head for the next append either way: the
   * loaded kb_audit must stay exactly the source's, and a restore's scratch target must not create a key
   * file that its rename would leave behind. Returns the brought chain, if any.
   */
  async recordLoadIn(
    trx: Transaction<any>,
    actor: Actor,
    load: { bringsChain: boolean; detail: unknown },
  ): Promise<LoadedChain | undefined> {
    const verified = load.bringsChain ? await this.#verifier.verifyLoaded(trx) : undefined;
    // Signed with a key the store holds without creating one: its own, else the brought chain's.
    const signer = this.keyring.existing() ?? verified?.lastKey;
    const note = pendingLoad(actor, new Date().toISOString(), load.detail, signer);
    const head = await this.resetHead(trx, note);
    return verified
      ? { verified: { rows: verified.rows, missingKeys: verified.missingKeys }, head }
      : undefined;
  }

  /** Walks the chain up to the head read first (rows appended meanwhile are left for the next check). */
  verify(options: VerifyOptions = {}): Promise<AuditVerification> {
    return this.#verifier.verify(options);
  }

  /** Verifies from the last checkpoint and appends a signed checkpoint of the head (AuditVerifier). */
  checkpoint(): Promise<{ checkpoint: AuditCheckpoint; file: string | null }> {
    return this.#verifier.checkpoint();
  }

  /** After a load that replaced the chain commits, a `load` checkpoint where checkpoints are kept. */
  recordLoad(head: AuditHead): AuditCheckpoint | undefined {
    return this.#verifier.recordLoad(head);
  }

  /** The last `limit` rows, or the first `limit` rows at or after `since` (an ISO time), in seq order. */
  async rows(options: AuditRowsOptions = {}): Promise<AuditRow[]> {
    const limit = options.limit ?? 50;
    let query = this.db.selectFrom('kb_audit').selectAll();
    if (options.entity !== undefined) query = query.where('entity', '=', options.entity);
    if (options.entityId !== undefined) query = query.where('entity_id', '=', options.entityId);
    query =
      options.since === undefined
        ? query.orderBy('seq', 'desc')
        : query.where('at', '>=', options.since).orderBy('seq');
    const rows = await query.limit(limit).execute();
    if (options.since === undefined) rows.reverse();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      actor: r.actor,
      role: r.role,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id ?? null,
      detail: parseDetail(r.detail),
      keyId: r.key_id ?? null,
      hash: r.hash,
    }));
  }
}
