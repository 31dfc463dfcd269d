import { userInfo } from 'node:os';
import type { CliIo } from './cli-io.js';

/** Who runs `kb`: `id` is what the audit trail records, `name` what `cli.roles` of the config is matched on. */
export interface CliActor {
  id: string;
  name: string;
}

function osUserName(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.USER || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers) has no name to give.
    return 'operator';
  }
}

/**
 * `$KB_ACTOR` verbatim when set (a service account, a CI job), else the operating-system user: the audit
 * id is then `cli:<user>`, while `cli.roles` names the plain user, as operators know it.
 */
export function resolveActor(env: Readonly<Record<string, string | undefined>>): CliActor {
  const claimed = env.KB_ACTOR;
  if (claimed) return { id: claimed, name: claimed };
  const user = osUserName(env);
  return { id: `cli:${user}`, name: user };
}

/** Who the audit trail records for this run: `$KB_ACTOR`, else `cli:<operating-system user>`. */
export function actorId(io: CliIo): string {
  return resolveActor(io.env).id;
}
