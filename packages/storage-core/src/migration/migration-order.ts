import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import type { Migration, MigrationNamespace } from './migration-types.js';

/** A declared migration with its place in the run order. */
export interface OrderedMigration {
  readonly namespace: string;
  readonly migration: Migration;
  /** Position inside its namespace (the array order). */
  readonly index: number;
  /** Position in the whole run order. */
  readonly position: number;
  /** `namespace:id`, the form used in messages and in `up({ to })`. */
  readonly key: string;
}

export const migrationKey = (namespace: string, id: string): string => `${namespace}:${id}`;

// The ledger's key columns are varchar(64) and varchar(255) on every dialect.
const MAX_NAMESPACE_LENGTH = 64;
const MAX_ID_LENGTH = 255;

function declarationProblems(namespaces: readonly MigrationNamespace[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const ns of namespaces) {
    const name = ns.namespace;
    if (
      typeof name !== 'string' ||
      name.length === 0 ||
      name.length > MAX_NAMESPACE_LENGTH ||
      name.includes(':')
    ) {
      problems.push(
        `namespace name '${String(name)}' must be 1–${MAX_NAMESPACE_LENGTH} characters without ':'`,
      );
      continue;
    }
    if (seen.has(name)) problems.push(`namespace '${name}' is declared twice`);
    seen.add(name);
    const ids = new Set<string>();
    for (const m of ns.migrations) {
      if (typeof m.id !== 'string' || m.id.length === 0 || m.id.length > MAX_ID_LENGTH) {
        problems.push(
          `namespace '${name}' has a migration whose id '${String(m.id)}' is not 1–${MAX_ID_LENGTH} characters`,
        );
        continue;
      }
      if (ids.has(m.id)) problems.push(`migration ${migrationKey(name, m.id)} is declared twice`);
      ids.add(m.id);
      if (typeof m.up !== 'function') problems.push(`migration ${migrationKey(name, m.id)} has no up()`);
      if (m.irreversible !== undefined && m.down !== undefined) {
        problems.push(
          `migration ${migrationKey(name, m.id)} declares itself irreversible but has down(); remove one of the two`,
        );
      }
    }
  }
  for (const ns of namespaces) {
    for (const dep of ns.dependsOn) {
      if (!seen.has(dep))
        problems.push(`namespace '${ns.namespace}' depends on '${dep}', which is not registered`);
    }
  }
  return problems;
}

/** Follows unplaced dependencies from a stuck namespace until one repeats, and names that loop. */
function findCycle(stuck: readonly MigrationNamespace[]): string[] {
  const byName = new Map(stuck.map((ns) => [ns.namespace, ns]));
  const path: string[] = [];
  let current = stuck[0];
  while (current && !path.includes(current.namespace)) {
    path.push(current.namespace);
    const next = current.dependsOn.find((dep) => byName.has(dep));
    current = next === undefined ? undefined : byName.get(next);
  }
  if (!current) return path;
  return [...path.slice(path.indexOf(current.namespace)), current.namespace];
}

/**
 * Validates the declarations and orders namespaces so each comes after everything it depends on. Among
 * namespaces that are ready at the same time the declaration order wins, so the order is stable.
 */
export function orderNamespaces(namespaces: readonly MigrationNamespace[]): MigrationNamespace[] {
  const problems = declarationProblems(namespaces);
  if (problems.length > 0) {
    throw new StorageError(StorageErrorCode.MIGRATION_INVALID, `invalid migrations: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  const placed = new Set<string>();
  const ordered: MigrationNamespace[] = [];
  let remaining = [...namespaces];
  while (remaining.length > 0) {
    const ready = remaining.find((ns) => ns.dependsOn.every((dep) => placed.has(dep)));
    if (!ready) {
      const cycle = findCycle(remaining);
      throw new StorageError(
        StorageErrorCode.MIGRATION_INVALID,
        `invalid migrations: namespaces depend on each other in a cycle (${cycle.join(' → ')})`,
        { details: { cycle } },
      );
    }
    placed.add(ready.namespace);
    ordered.push(ready);
    remaining = remaining.filter((ns) => ns !== ready);
  }
  return ordered;
}

/** The run order of every declared migration. */
export function flattenMigrations(ordered: readonly MigrationNamespace[]): OrderedMigration[] {
  const out: OrderedMigration[] = [];
  for (const ns of ordered) {
    ns.migrations.forEach((migration, index) => {
      out.push({
        namespace: ns.namespace,
        migration,
        index,
        position: out.length,
        key: migrationKey(ns.namespace, migration.id),
      });
    });
  }
  return out;
}

/** `namespace` and every namespace it depends on, directly or not. */
export function dependencyClosure(ordered: readonly MigrationNamespace[], namespace: string): Set<string> {
  const byName = new Map(ordered.map((ns) => [ns.namespace, ns]));
  const closure = new Set<string>();
  const visit = (name: string) => {
    if (closure.has(name)) return;
    closure.add(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) visit(dep);
  };
  visit(namespace);
  return closure;
}

/** `namespace` and every namespace that depends on it, directly or not. */
export function dependentClosure(ordered: readonly MigrationNamespace[], namespace: string): Set<string> {
  const closure = new Set<string>([namespace]);
  // Dependents come after their dependencies in `ordered`, so one forward pass reaches them all.
  for (const ns of ordered) {
    if (ns.dependsOn.some((dep) => closure.has(dep))) closure.add(ns.namespace);
  }
  return closure;
}
