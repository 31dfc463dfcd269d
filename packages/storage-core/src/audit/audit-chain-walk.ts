import type { Kysely, Transaction } from 'kysely';
import { auditRowHash, sameDigest } from './audit-hash.js';

/** Why a chain does not verify. */
export type AuditProblem = 'link' | 'hash' | 'downgrade' | 'head' | 'checkpoint' | 'key-missing';

/** Where a walk starts: the genesis, or a row already verified (a checkpoint's). */
export interface WalkStart {
  readonly seq: number;
  readonly hash: string;
  /** Whether that row was keyed: after a keyed row, an unkeyed one is a downgrade. */
  readonly keyed: boolean;
}

export interface WalkOptions {
  readonly start: WalkStart;
  /** The last seq to walk (the head read first); undefined walks to the last row. */
  readonly end?: number;
  readonly keyOf: (keyId: string) => Buffer | undefined;
  /** Seqs whose hashes the caller wants back (checkpoints to compare). */
  readonly watch?: ReadonlySet<number>;
}

export interface WalkResult {
  readonly rows: number;
  /** Rows hashed without a key: they prove nothing unless a checkpoint seals them. */
  readonly unkeyed: number;
  readonly last: { readonly seq: number; readonly hash: string };
  readonly problem?: { readonly seq: number; readonly problem: AuditProblem; readonly message: string };
  /** Rows whose key the keyring lacks, per key id: their links are checked, their hashes cannot be. */
  readonly missingKeys: ReadonlyMap<string, number>;
  readonly seen: ReadonlyMap<number, string>;
}

const PAGE = 2_000;

/**
 * Walks the chain from `start` in seq order, checking each row's link to its predecessor and its hash under
 * the row's own scheme: HMAC with the key it names, or plain SHA-256 for a row written before keys, which is
 * accepted only before the first keyed row. Stops at the first row that fails.
 */
export async function walkChain(
  db: Kysely<any> | Transaction<any>,
  options: WalkOptions,
): Promise<WalkResult> {
  const keys = new Map<string, Buffer | undefined>();
  const keyOf = (id: string) => {
    if (!keys.has(id)) keys.set(id, options.keyOf(id));
    return keys.get(id);
  };
  const missingKeys = new Map<string, number>();
  const seen = new Map<number, string>();
  let prev = options.start.hash;
  let keyed = options.start.keyed;
  let after = options.start.seq;
  let rows = 0;
  let unkeyed = 0;
  for (;;) {
    let query = db.selectFrom('kb_audit').selectAll().where('seq', '>', after);
    if (options.end !== undefined) query = query.where('seq', '<=', options.end);
    const page = await query.orderBy('seq').limit(PAGE).execute();
    for (const row of page) {
      const seq = Number(row.seq);
      rows += 1;
      const keyId: string | null = row.key_id ?? null;
      const fail = (problem: AuditProblem, message: string): WalkResult => ({
        rows,
        unkeyed,
        last: { seq: after, hash: prev },
        problem: { seq, problem, message },
        missingKeys,
        seen,
      });
      if (row.prev_hash !== prev) return fail('link', `row ${seq} does not link to the row before it`);
      const fields = {
        prev,
        at: row.at,
        actor: row.actor,
        role: row.role,
        action: row.action,
        entity: row.entity,
        entityId: row.entity_id ?? null,
        detail: row.detail ?? null,
        keyId,
      };
      let expected: string | undefined;
      if (keyId === null) {
        if (keyed) return fail('downgrade', `row ${seq} is hashed without a key after keyed rows`);
        unkeyed += 1;
        expected = auditRowHash(fields);
      } else {
        keyed = true;
        const key = keyOf(keyId);
        if (key) expected = auditRowHash(fields, key);
        else missingKeys.set(keyId, (missingKeys.get(keyId) ?? 0) + 1);
      }
      if (expected !== undefined && !sameDigest(String(row.hash), expected)) {
        return fail('hash', `row ${seq} does not match its hash${keyId ? ` under key ${keyId}` : ''}`);
      }
      if (options.watch?.has(seq)) seen.set(seq, row.hash);
      prev = row.hash;
      after = seq;
    }
    if (page.length < PAGE) return { rows, unkeyed, last: { seq: after, hash: prev }, missingKeys, seen };
  }
}
