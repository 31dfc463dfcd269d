import type { AuditKey } from './audit-keyring.js';

/**
 * The audit keys of every store this process has opened. A load (a restore, an import, a copy) into one store
 * of a chain written by another store of the same process verifies it with that store's key, and the target
 * keeps the key (see AuditKeyring.adopt): a restore inside one process is verified end to end. Only keys
 * whose rows then verify are taken; nothing outside this module can read the registry.
 */
const known = new Map<string, Buffer>();

export function rememberAuditKeys(keys: readonly AuditKey[]): void {
  for (const key of keys) known.set(key.id, key.secret);
}

export function processAuditKey(id: string): AuditKey | undefined {
  const secret = known.get(id);
  return secret ? { id, secret } : undefined;
}
