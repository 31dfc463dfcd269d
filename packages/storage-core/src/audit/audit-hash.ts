import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The hash the first audit row links to. */
export const AUDIT_GENESIS = '0'.repeat(64);

/** The fields of an audit row that its hash covers, as stored. */
export interface AuditRowFields {
  readonly prev: string;
  readonly at: string;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly entity: string;
  readonly entityId: string | null;
  /** The detail as stored: JSON text, or null. */
  readonly detail: string | null;
  /** The key that signed the row; null for rows of the first, unkeyed scheme. */
  readonly keyId: string | null;
}

/** Feeds each field length-prefixed: no field shifts into its neighbour, and NULL (`-`) differs from ''. */
function feed(update: (text: string) => void, fields: readonly (string | null)[]): void {
  for (const field of fields) update(field === null ? '-|' : `${field.length}:${field}|`);
}

/**
 * An audit row's hash. Rows with a key id are an HMAC-SHA-256 with that key over the scheme tag, the key id
 * and the fields; rows without one (written before keys existed) a plain SHA-256 over the fields, which
 * anyone can recompute and therefore proves nothing on its own.
 */
export function auditRowHash(row: AuditRowFields, key?: Buffer): string {
  const fields = [row.prev, row.at, row.actor, row.role, row.action, row.entity, row.entityId, row.detail];
  if (row.keyId === null) {
    const hash = createHash('sha256');
    feed((text) => hash.update(text), fields);
    return hash.digest('hex');
  }
  if (!key) throw new Error(`auditRowHash: row keyed with ${row.keyId} needs its key`);
  const mac = createHmac('sha256', key);
  feed((text) => mac.update(text), ['kb-audit-hmac-v1', row.keyId, ...fields]);
  return mac.digest('hex');
}

/** A key's public name: recorded on each row it signs, derived from the key so it cannot be mislabelled. */
export function auditKeyId(secret: Buffer): string {
  return createHash('sha256').update('mainframe-kb audit key id\n').update(secret).digest('hex').slice(0, 16);
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
