import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { ROLE_RANK as RANK } from './actor.js';
import type { Actor, Role } from './audit-trail.js';

/** The least role each operation needs. An operation without a rule is refused: deny by default. */
export const CORE_ACCESS_RULES: Readonly<Record<string, Role>> = {
  'entry.read': 'viewer',
  'entry.search': 'viewer',
  'entry.create': 'editor',
  'entry.update': 'editor',
  'entry.delete': 'editor',
  'entry.feedback': 'viewer',
  'entry.usage': 'viewer',
  'relation.add': 'editor',
  'relation.remove': 'editor',
  'search.history': 'viewer',
  'events.replay': 'admin',
  'audit.verify': 'admin',
  'audit.read': 'admin',
  'audit.checkpoint': 'admin',
  'audit.rotate': 'admin',
  'storage.metrics': 'viewer',
  'storage.health': 'viewer',
  'storage.optimize': 'admin',
  'storage.migrate': 'admin',
  'storage.migrations': 'viewer',
  'storage.hash': 'viewer',
  'storage.export': 'admin',
  'storage.import': 'admin',
};

/** The one choke point where roles are checked. */
export class AccessControl {
  readonly #rules = new Map<string, Role>(Object.entries(CORE_ACCESS_RULES));

  addRules(rules: Readonly<Record<string, Role>>): void {
    for (const [operation, role] of Object.entries(rules)) this.#rules.set(operation, role);
  }

  hasRule(operation: string): boolean {
    return this.#rules.has(operation);
  }

  check(actor: Actor, operation: string): void {
    if (!Object.hasOwn(RANK, actor.role)) {
      throw new StorageError(
        StorageErrorCode.FORBIDDEN,
        `'${String(actor.role)}' is not a role; refused by default`,
        {
          details: { operation, actor: actor.id },
        },
      );
    }
    const needed = this.#rules.get(operation);
    if (needed === undefined) {
      throw new StorageError(
        StorageErrorCode.FORBIDDEN,
        `no access rule covers '${operation}'; refused by default`,
        {
          details: { operation, actor: actor.id },
        },
      );
    }
    if (RANK[actor.role] < RANK[needed]) {
      throw new StorageError(
        StorageErrorCode.FORBIDDEN,
        `'${actor.id}' (${actor.role}) may not ${operation}; it needs the ${needed} role`,
        { details: { operation, actor: actor.id, role: actor.role, needed } },
      );
    }
  }
}
