import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { auditRowHash, sameDigest } from './audit-hash.js';
import type { AuditKey } from './audit-keyring.js';

/**
 * A load (`importTables`) waiting in `kb_audit_head` to become the first row of the next append: the load's
 * own transaction must leave kb_audit as the source had it. Whoever can write the database can write the
 * head too, so a waiting load is signed with a key the store holds when it loads (its own, or the key of
 * the chain it brought): a signed one that was altered refuses the next write; one that could not be signed
 * (a new file with no key yet) is appended as `storage-import-unverified`, which is what it is.
 */
export interface PendingLoad {
  readonly at: string;
  readonly actor: string;
  readonly role: string;
  /** The load's detail, as JSON text. */
  readonly detail: string;
  readonly keyId?: string;
  readonly mac?: string;
}

/** An audit row to append, before it is chained. */
export interface AuditEntry {
  readonly at: string;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly entity: string;
  readonly entityId: string | null;
  readonly detail: string | null;
}

const MAX_PENDING = 1_000;

function macOf(load: Omit<PendingLoad, 'mac'>, key: AuditKey): string {
  return auditRowHash(
    {
      prev: 'kb-audit-pending-load',
      at: load.at,
      actor: load.actor,
      role: load.role,
      action: 'storage-import',
      entity: 'store',
      entityId: null,
      detail: load.detail,
      keyId: key.id,
    },
    key.secret,
  );
}

export function pendingLoad(
  actor: { id: string; role: string },
  at: string,
  detail: unknown,
  signer: AuditKey | undefined,
): PendingLoad {
  const load = { at, actor: actor.id, role: actor.role, detail: JSON.stringify(detail) };
  return signer ? { ...load, keyId: signer.id, mac: macOf({ ...load, keyId: signer.id }, signer) } : load;
}

function altered(why: string): StorageError {
  return new StorageError(
    StorageErrorCode.INTEGRITY,
    `the load waiting in kb_audit_head to be recorded ${why}: it was changed outside the store. The write is refused; see docs/audit.md`,
  );
}

/** The loads waiting in the head's `pending` column; anything else found there refuses the write. */
export function parsePendingLoads(text: unknown): PendingLoad[] {
  if (text === null || text === undefined || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(text));
  } catch {
    throw altered('is not JSON');
  }
  const fields = ['at', 'actor', 'role', 'detail'] as const;
  const valid = (p: unknown): p is PendingLoad => {
    const r = p as Record<string, unknown> | null;
    return (
      typeof r === 'object' &&
      r !== null &&
      fields.every((f) => typeof r[f] === 'string') &&
      (r.mac === undefined || (typeof r.mac === 'string' && typeof r.keyId === 'string'))
    );
  };
  if (!Array.isArray(parsed) || parsed.length > MAX_PENDING || !parsed.every(valid)) {
    throw altered('is not a list of loads');
  }
  return parsed;
}

/** The row a waiting load becomes; a signed load that no longer matches its signature refuses the write. */
export function pendingLoadEntry(load: PendingLoad, keyOf: (id: string) => Buffer | undefined): AuditEntry {
  let action = 'storage-import-unverified';
  if (load.keyId !== undefined && load.mac !== undefined) {
    const secret = keyOf(load.keyId);
    if (secret) {
      if (!sameDigest(load.mac, macOf(load, { id: load.keyId, secret })))
        throw altered('no longer matches its signature');
      action = 'storage-import';
    }
  }
  return {
    at: load.at,
    actor: load.actor,
    role: load.role,
    action,
    entity: 'store',
    entityId: null,
    detail: load.detail,
  };
}
