import { AsyncLocalStorage } from 'node:async_hooks';
import { z } from 'zod';
import { validate } from '../kb/kb-schemas.js';
import type { Actor, Role } from './audit-trail.js';

const actorSchema = z.strictObject({
  id: z.string().min(1).max(128),
  role: z.enum(['viewer', 'editor', 'admin']),
});

/** Roles in order of what they may do: each may do everything the ones below it may. */
export const ROLE_RANK: Readonly<Record<Role, number>> = Object.freeze({ viewer: 0, editor: 1, admin: 2 });

/** The actor a store acts for when it is opened without one. */
const SYSTEM_ACTOR: Actor = Object.freeze({ id: 'system', role: 'admin' });

/** Checks an actor given by a caller; none means the system actor (admin). */
export function validateActor(actor: Actor | undefined): Actor {
  return actor === undefined ? SYSTEM_ACTOR : validate(actorSchema, actor, 'actor');
}

/**
 * The actors of the `runAs` scopes the current async context is inside, one per store (a scope on one store
 * says nothing about another store open in the same process).
 */
export const actorScope = new AsyncLocalStorage<ReadonlyMap<object, Actor>>();
