import semver from 'semver';
import { z } from 'zod';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { zodIssues } from '../util/zod-issues.js';
import type { PluginDefinition } from './plugin-types.js';
import { isStandardSchema } from './standard-schema.js';

/** core's namespace and the prefixes of core's operations: a plugin named so could redefine their rules. */
const RESERVED_IDS = new Set(['core', 'entry', 'relation', 'search', 'events', 'audit', 'storage']);

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*$/i, 'must be an identifier');

const tableSchema = z.strictObject({
  entity: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'entities are lower-case words'),
  primaryKey: z.array(identifier).min(1, 'a table needs a primary key'),
  derived: z.boolean().optional(),
});

const commandSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'command names are lower-case words joined by dashes'),
    summary: z.string().min(1),
    usage: z.string().min(1),
    run: z.function(),
  })
  .passthrough();

const definitionSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'ids are lower-case words joined by dashes')
    .refine((id) => !RESERVED_IDS.has(id), {
      message: 'is reserved for storage-core (its operations use that prefix)',
    }),
  version: z.string().refine((v) => semver.valid(v) !== null, 'must be a semver version'),
  mvp: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)]),
  package: z.string().min(1).optional(),
  description: z.string().optional(),
  dependsOn: z
    .record(
      z.string(),
      z.string().refine((r) => semver.validRange(r) !== null, 'must be a semver range'),
    )
    .optional(),
  options: z.custom(isStandardSchema, 'must be a Standard Schema (a zod schema, for instance)').optional(),
  tables: z.record(identifier, tableSchema).optional(),
  migrations: z.array(z.object({ id: z.string().min(1), up: z.function() }).passthrough()).optional(),
  provides: z
    .array(identifier)
    .refine((names) => new Set(names).size === names.length, 'names a method twice')
    .optional(),
  commands: z
    .array(commandSchema)
    .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, 'names a command twice')
    .optional(),
  setup: z.function().optional(),
});

/**
 * Declares a plugin. The definition is checked here, where its author sees the mistake, not when a store
 * that enables it starts. The result is a frozen object: pass it as it is to `createStorage(config,
 * { plugins })` or export it as the package's default; options come from `config.mvp.extensions[].options`,
 * checked by the definition's `options` schema.
 */
export function definePlugin<const Id extends string, Api = unknown, Db = any, Options = any>(
  definition: PluginDefinition<Id, Api, Db, Options>,
): PluginDefinition<Id, Api, Db, Options> {
  assertPluginDefinition(definition);
  return Object.freeze({ ...definition });
}

export function assertPluginDefinition(value: unknown): asserts value is PluginDefinition {
  const result = definitionSchema.safeParse(value);
  if (!result.success) {
    const id =
      typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id : '(unnamed)';
    if (typeof value === 'function') {
      throw new StorageError(
        StorageErrorCode.EXTENSION_INVALID,
        `a plugin is the object definePlugin() returns, not a function (${value.name || 'anonymous'}): pass the object, and give options through config.mvp.extensions[].options`,
      );
    }
    const issues = zodIssues(result.error);
    throw new StorageError(
      StorageErrorCode.EXTENSION_INVALID,
      `plugin '${id}' is malformed: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      { details: { plugin: id, issues } },
    );
  }
}
