import { statSync } from 'node:fs';
import type { Role } from '@mainframe-kb/storage-core';
import { type DbTarget, MEMORY_PATH } from './db-target.js';
import type { StoreSettings } from './store-config.js';

/** The role a run gets, and why: the why is printed when a command is refused, so the operator can fix it. */
export interface RoleGrant {
  role: Role;
  reason: string;
}

/** Least privilege: the role of an actor that nothing maps. */
export const FALLBACK_ROLE: Role = 'viewer';

/**
 * Whether this process owns the SQLite store: its file's uid is ours, or the file does not exist yet, so
 * this run creates it (`kb init`), or it lives in memory. Whoever can write the file can change anything in
 * it without kb, so roles would guard nothing against them. Server stores have no owner kb can see, and
 * on a platform without uids (Windows) only the creator counts.
 */
export function ownsStore(target: DbTarget): boolean {
  if (target.type !== 'sqlite') return false;
  if (target.path === MEMORY_PATH) return true;
  const stat = statSync(target.path, { throwIfNoEntry: false });
  if (stat === undefined) return true;
  return process.getuid !== undefined && stat.uid === process.getuid();
}

/**
 * The role of `settings.actor` (docs/cli-roles.md): `cli.roles[name]`, else `cli.roles["*"]`, else
 * `cli.defaultRole`, else viewer. Only while the config has no `cli.roles` section does the owner of a
 * SQLite store get admin.
 */
export function grantRole(settings: StoreSettings): RoleGrant {
  const { roles, defaultRole } = settings.cliRoles;
  const name = settings.actor.name;
  const file = settings.configFile ?? 'the config file';
  const unmapped =
    defaultRole === undefined
      ? { role: FALLBACK_ROLE, why: 'there is no cli.defaultRole, so it gets the least role' }
      : { role: defaultRole, why: `cli.defaultRole is ${defaultRole}` };
  if (roles === undefined) {
    const { target } = settings;
    const owns = ownsStore(target);
    const owner =
      target.type === 'sqlite'
        ? `this user ${owns ? 'owns' : 'does not own'} ${target.path}`
        : `kb sees no owner of a ${target.type} store`;
    if (owns) return { role: 'admin', reason: `${owner} and no cli.roles section maps roles` };
    return { role: unmapped.role, reason: `${owner}, no cli.roles section maps roles and ${unmapped.why}` };
  }
  const mapped = roles.get(name);
  if (mapped !== undefined)
    return { role: mapped, reason: `cli.roles of ${file} maps '${name}' to ${mapped}` };
  const wildcard = roles.get('*');
  if (wildcard !== undefined) {
    return {
      role: wildcard,
      reason: `cli.roles of ${file} does not name '${name}' and maps "*" to ${wildcard}`,
    };
  }
  return { role: unmapped.role, reason: `cli.roles of ${file} does not name '${name}' and ${unmapped.why}` };
}
