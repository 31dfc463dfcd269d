import { ConfigError, type Role, type ValidationIssue } from '@mainframe-kb/storage-core';

/**
 * The config file's `cli` section: which role each actor gets. The CLI reads it and removes it before the
 * rest of the file reaches createStorage, whose config schema knows nothing of it.
 */
export interface CliRolesConfig {
  /** `cli.roles`: actor name (or `*`) → role; absent when the config maps no roles at all. */
  roles?: ReadonlyMap<string, Role>;
  /** `cli.defaultRole`: the role of an actor `cli.roles` does not name. */
  defaultRole?: Role;
}

/** Every role of storage-core; a Record so that a role added there fails to compile here until listed. */
const ROLE_NAMES: Record<Role, true> = { viewer: true, editor: true, admin: true };
const ROLE_LIST = Object.keys(ROLE_NAMES).join(', ');
const SECTION_KEYS = ['roles', 'defaultRole'];

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(ROLE_NAMES, value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function roleIssue(path: string, value: unknown): ValidationIssue {
  return { path, message: `must be one of ${ROLE_LIST}, got ${JSON.stringify(value) ?? String(value)}` };
}

function parseRoles(value: unknown, issues: ValidationIssue[]): Map<string, Role> {
  const roles = new Map<string, Role>();
  if (!isObject(value)) {
    issues.push({ path: 'cli.roles', message: 'must be an object mapping actor names to roles' });
    return roles;
  }
  for (const [actor, role] of Object.entries(value)) {
    if (actor.trim() === '') issues.push({ path: 'cli.roles', message: 'has an empty actor name' });
    else if (!isRole(role)) issues.push(roleIssue(`cli.roles.${actor}`, role));
    else roles.set(actor, role);
  }
  return roles;
}

/**
 * Checks the `cli` section of the config file `file`. A mistake here would silently change who may do
 * what, so any unknown key or role is a config error naming the field, never ignored.
 */
export function parseCliRolesConfig(section: unknown, file: string): CliRolesConfig {
  if (section === undefined) return {};
  const issues: ValidationIssue[] = [];
  const config: { roles?: Map<string, Role>; defaultRole?: Role } = {};
  if (!isObject(section)) {
    issues.push({
      path: 'cli',
      message: 'must be an object: { "roles": { "<actor>": "<role>" }, "defaultRole": "<role>" }',
    });
  } else {
    for (const key of Object.keys(section)) {
      if (!SECTION_KEYS.includes(key)) {
        issues.push({
          path: `cli.${key}`,
          message: `is not a setting; cli takes ${SECTION_KEYS.join(' and ')}`,
        });
      }
    }
    if (section.roles !== undefined) config.roles = parseRoles(section.roles, issues);
    if (section.defaultRole !== undefined) {
      if (isRole(section.defaultRole)) config.defaultRole = section.defaultRole;
      else issues.push(roleIssue('cli.defaultRole', section.defaultRole));
    }
  }
  if (issues.length > 0) {
    const list = issues.map((i) => `${i.path} ${i.message}`).join('; ');
    throw new ConfigError(`config file ${file}: ${list} (see docs/cli-roles.md)`, issues);
  }
  return config;
}
