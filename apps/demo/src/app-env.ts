import type { Actor, Role, Storage } from '@mainframe-kb/storage-core';
import { ROLE_RANK, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { MiddlewareHandler } from 'hono';
import type { EventFeed } from './events/event-feed.js';
import type { BackupRouteSettings } from './routes/backup-routes.js';

/** What every handler can reach: the store, the caller's actor, the event feed, the limits. */
export interface AppEnv {
  Variables: {
    actor: Actor;
  };
}

export interface AppDeps {
  storage: Storage;
  feed: EventFeed;
  limits: { jsonBytes: number; uploadBytes: number };
  /** The server's backup repository, restore folder and passphrase (clients never name a folder). */
  backup: BackupRouteSettings;
}

/**
 * Refuses, before the store is called, a caller whose role is below `role`: a viewer's write is a 403 that
 * never reaches the store. The store checks the role again at its own choke point (runAs), so a route that
 * forgot this gate is still refused there.
 */
export function minRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const actor = c.get('actor');
    if (ROLE_RANK[actor.role] < ROLE_RANK[role]) {
      throw new StorageError(
        StorageErrorCode.FORBIDDEN,
        `'${actor.id}' (${actor.role}) may not ${c.req.method} ${c.req.path}; it needs the ${role} role`,
        { details: { actor: actor.id, role: actor.role, needed: role } },
      );
    }
    await next();
  };
}
