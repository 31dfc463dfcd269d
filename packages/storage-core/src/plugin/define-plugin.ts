import semver from 'semver';
import { z } from 'zod';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { zodIssues } from '../util/zod-issues.js';
import type { PluginDefinition } from './plugin-types.js';

/** core's namespace and the prefixes of core's operations: an extension named so could redefine their rules. */
const RESERVED_IDS = new Set(['core', 'entry', 'relation', 'search', 'events', 'audit', 'storage']);

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
  migrations: z.array(z.object({ id: z.string().min(1), up: z.function() }).passthrough()).optional(),
  setup: z.function().optional(),
});

/**
 * Declares an extension. The definition is checked here, where its author sees the mistake, not when a
 * store that enables it starts.
 */
export function definePlugin<const Id extends string, Api = unknown>(
  definition: PluginDefinition<Id, Api>,
): PluginDefinition<Id, Api> {
  assertPluginDefinition(definition);
  return Object.freeze({ ...definition });
}

export function assertPluginDefinition(value: unknown): asserts value is PluginDefinition {
  const result = definitionSchema.safeParse(value);
  if (!result.success) {
    const id =
      typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id : '(unnamed)';
    const issues = zodIssues(result.error);
    throw new StorageError(
      StorageErrorCode.EXTENSION_INVALID,
      `extension '${id}' is malformed: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      { details: { extension: id, issues } },
    );
  }
}
