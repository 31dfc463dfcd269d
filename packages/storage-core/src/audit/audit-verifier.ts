import type { Kysely, Transaction } from 'kysely';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { type AuditProblem, type WalkStart, walkChain } from './audit-chain-walk.js';
import {
  type AuditCheckpoint,
  type CheckpointFile,
  checkpointSignatureValid,
  signCheckpoint,
} from './audit-checkpoints.js';
import { AUDIT_GENESIS } from './audit-hash.js';
import type { AuditKey, AuditKeyring } from './audit-keyring.js';
import { processAuditKey } from './process-audit-keys.js';

export interface AuditVerification {
  ok: boolean;
  /** Rows checked (after `since` when verification started from a checkpoint). */
  rows: number;
  /** The first row whose hash or link does not match, or where the chain falls short; absent when ok. */
  firstBadSeq?: number;
  /** Why it is not ok. */
  problem?: AuditProblem;
  /** What is wrong, in words. */
  message?: string;
  /** Rows whose key this store's keyring lacks, per key id: they cannot be verified. */
  missingKeys?: Record<string, number>;
  /** Rows hashed without a key (written before keys): they prove nothing unless a checkpoint seals them. */
  unkeyed?: number;
  /** The checkpoint's seq verification started after. */
  since?: number;
}

export interface VerifyOptions {
  /** Start from this checkpoint (verified first): rows before it are not read. */
  readonly since?: AuditCheckpoint;
  /** Start from the last checkpoint of the checkpoint file (health): the cost is bounded by its age. */
  readonly incremental?: boolean;
}

/** The last row of the chain, as the head records it. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

function integrity(message: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError(StorageErrorCode.INTEGRITY, message, { details });
}

/**
 * Verifies the audit chain: row by row under each row's key, from the genesis or from a checkpoint, against
 * the head and against the signed checkpoints kept outside the store; signs new checkpoints of the head.
 */
export class AuditVerifier {
  constructor(
    private readonly db: Kysely<any>,
    readonly keyring: AuditKeyring,
    readonly checkpoints: CheckpointFile,
  ) {}

  /**
   * Verifies a chain just loaded into `trx` (a restore or an import bringing audit rows), before it commits:
   * every link, every unkeyed row, every keyed row whose key this store has. Rows keyed with a key it lacks
   * are returned, not refused: a copy or restore into another store cannot check them until it has the key.
   */
  async verifyLoaded(
    trx: Transaction<any>,
  ): Promise<{ rows: number; missingKeys: Record<string, number>; lastKey?: AuditKey }> {
    // The keys of the other stores this process opened verify a chain one of them wrote (a restore, an
    // export re-imported); the store keeps those its rows needed, once they verified.
    const borrowed = new Map<string, AuditKey>();
    const walked = await walkChain(trx, {
      start: { seq: 0, hash: AUDIT_GENESIS, keyed: false },
      keyOf: (id) => {
        const own = this.keyring.key(id);
        if (own) return own;
        const key = processAuditKey(id);
        if (key) borrowed.set(id, key);
        return key?.secret;
      },
    });
    if (walked.problem) {
      throw integrity(
        `the audit trail being loaded fails verification: ${walked.problem.message}; nothing was written`,
        { firstBadSeq: walked.problem.seq, problem: walked.problem.problem },
      );
    }
    this.keyring.adopt([...borrowed.values()], 'existing');
    // The key of the last row, when it verified: it can sign the load's own record on a store without one.
    const last = await trx
      .selectFrom('kb_audit')
      .select('key_id')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const lastKeyId: string | null = last?.key_id ?? null;
    const secret = lastKeyId && !walked.missingKeys.has(lastKeyId) ? this.keyring.key(lastKeyId) : undefined;
    return {
      rows: walked.rows,
      missingKeys: Object.fromEntries(walked.missingKeys),
      ...(lastKeyId && secret ? { lastKey: { id: lastKeyId, secret } } : {}),
    };
  }

  /** Walks the chain up to the head read first (rows appended meanwhile are left for the next check). */
  async verify(options: VerifyOptions = {}): Promise<AuditVerification> {
    return (await this.#check(options)).result;
  }

  async #check(options: VerifyOptions): Promise<{ result: AuditVerification; head?: AuditHead }> {
    const bad = (
      problem: AuditProblem,
      message: string,
      firstBadSeq?: number,
      rows = 0,
    ): { result: AuditVerification } => ({
      result: { ok: false, rows, ...(firstBadSeq === undefined ? {} : { firstBadSeq }), problem, message },
    });
    const log = this.checkpoints.read();
    const row = await this.db
      .selectFrom('kb_audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row) return bad('head', 'the audit chain head row (kb_audit_head) is missing', 0);
    const head = { seq: Number(row.seq), hash: String(row.hash) };
    if (log.problems.length > 0) return bad('checkpoint', log.problems.join('; '));
    const checkpoints = [...log.checkpoints, ...(options.since ? [options.since] : [])];
    for (const checkpoint of checkpoints) {
      const key = this.keyring.key(checkpoint.keyId);
      if (!key) {
        return {
          result: {
            ok: false,
            rows: 0,
            problem: 'key-missing',
            missingKeys: { [checkpoint.keyId]: 0 },
            message: `the checkpoint of row ${checkpoint.seq} is signed with key ${checkpoint.keyId}, which ${this.keyring.description} lacks`,
          },
        };
      }
      if (!checkpointSignatureValid(checkpoint, key))
        return bad(
          'checkpoint',
          `the checkpoint of row ${checkpoint.seq} has a bad signature`,
          checkpoint.seq,
        );
      if (checkpoint.seq > head.seq) {
        return bad(
          'checkpoint',
          `the chain ends at row ${head.seq}, but a checkpoint vouches for row ${checkpoint.seq}: rows were removed from its end`,
          head.seq + 1,
        );
      }
    }
    const from = options.since ?? (options.incremental ? log.checkpoints.at(-1) : undefined);
    let start: WalkStart = { seq: 0, hash: AUDIT_GENESIS, keyed: false };
    if (from && from.seq > 0) {
      const anchor = await this.db
        .selectFrom('kb_audit')
        .select(['hash', 'key_id'])
        .where('seq', '=', from.seq)
        .executeTakeFirst();
      if (anchor?.hash !== from.hash) {
        return bad(
          'checkpoint',
          `row ${from.seq} ${anchor ? 'no longer has the hash' : 'is gone, though'} its checkpoint of ${from.at} recorded`,
          from.seq,
        );
      }
      start = { seq: from.seq, hash: from.hash, keyed: anchor.key_id != null };
    } else if (from && from.hash !== AUDIT_GENESIS) {
      return bad('checkpoint', 'a checkpoint of the empty chain has a hash other than the genesis', 0);
    }
    const watch = new Set(checkpoints.filter((c) => c.seq > start.seq).map((c) => c.seq));
    const walked = await walkChain(this.db, {
      start,
      end: head.seq,
      keyOf: (id) => this.keyring.key(id),
      watch,
    });
    if (walked.problem) {
      return bad(walked.problem.problem, walked.problem.message, walked.problem.seq, walked.rows);
    }
    // The chain must end where the head says: rows deleted from the end leave the head pointing past them.
    if (walked.last.hash !== head.hash || walked.last.seq !== head.seq) {
      return bad(
        'head',
        `the head records row ${head.seq} but the chain ends at row ${walked.last.seq}: rows were removed from its end`,
        head.seq,
        walked.rows,
      );
    }
    for (const checkpoint of checkpoints) {
      if (checkpoint.seq <= start.seq || walked.seen.get(checkpoint.seq) === checkpoint.hash) continue;
      return bad(
        'checkpoint',
        `row ${checkpoint.seq} ${walked.seen.has(checkpoint.seq) ? 'no longer has the hash' : 'is gone, though'} its checkpoint of ${checkpoint.at} recorded` +
          ' (a checkpoint file shared with another store would show this too: each store needs its own)',
        checkpoint.seq,
        walked.rows,
      );
    }
    const since = from ? { since: from.seq } : {};
    if (walked.missingKeys.size > 0) {
      const missing = Object.fromEntries(walked.missingKeys);
      const count = [...walked.missingKeys.values()].reduce((a, b) => a + b, 0);
      return {
        result: {
          ok: false,
          rows: walked.rows,
          problem: 'key-missing',
          missingKeys: missing,
          message: `cannot verify ${count} rows keyed with ${Object.keys(missing).join(', ')}: ${this.keyring.description} lacks that key; add it to the keyring`,
          ...since,
        },
      };
    }
    return {
      result: {
        ok: true,
        rows: walked.rows,
        ...(walked.unkeyed > 0 ? { unkeyed: walked.unkeyed } : {}),
        ...since,
      },
      head,
    };
  }

  /**
   * Verifies the chain from the last checkpoint, then signs its head and appends the checkpoint to the
   * checkpoint file. Refuses when the chain does not verify: a checkpoint would vouch for it.
   */
  async checkpoint(): Promise<{ checkpoint: AuditCheckpoint; file: string | null }> {
    const key = this.keyring.current();
    if (!key) {
      throw new StorageError(
        StorageErrorCode.AUDIT_KEY_MISSING,
        `a checkpoint is signed with the audit key, and this store has ${this.keyring.description}`,
      );
    }
    const { result, head } = await this.#check({ incremental: true });
    if (!result.ok || !head) {
      throw integrity(
        `the audit chain does not verify (${result.message}); a checkpoint would vouch for it. Find out what changed first`,
        { verification: result },
      );
    }
    const checkpoint = signCheckpoint(
      { seq: head.seq, hash: head.hash, at: new Date().toISOString(), keyId: key.id },
      key.secret,
    );
    this.checkpoints.append(checkpoint);
    return { checkpoint, file: this.checkpoints.path ?? null };
  }

  /**
   * After a load that replaced the chain commits: where checkpoints are kept, a signed `load` checkpoint of
   * the new head, so the checkpoints of the replaced chain are not held against the new one.
   */
  recordLoad(head: AuditHead): AuditCheckpoint | undefined {
    if (!this.checkpoints.exists()) return undefined;
    const key = this.keyring.current();
    if (!key) return undefined;
    const checkpoint = signCheckpoint(
      { kind: 'load', seq: head.seq, hash: head.hash, at: new Date().toISOString(), keyId: key.id },
      key.secret,
    );
    this.checkpoints.append(checkpoint);
    return checkpoint;
  }
}
