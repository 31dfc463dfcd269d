import type { KBEntry, PluginDefinition, Storage } from '@mainframe-kb/storage-core';
import { expect } from 'vitest';
import { rawDb } from '../raw-access/raw-access-plugin.js';

/**
 * How the suite gets stores: each `open(plugins)` returns a new, empty, migrated store, with these plugins
 * enabled besides the target's own, that the suite closes.
 */
export interface ConformanceTarget {
  /** Shown in the describe block: `sqlite`, `postgresql`, `sqlite + plugin-patterns` … */
  name: string;
  /** The suite passes `rawAccessPlugin` (to tamper with rows on purpose); pass them on to createStorage. */
  open: (plugins: readonly PluginDefinition[]) => Promise<Storage>;
  /** Runs once after the whole suite (drop a schema, remove a temp folder). */
  cleanup?: () => Promise<void>;
  /** Folder of the seed-anchor files; the default is `../shared/data/seed-anchor` beside the repo. */
  seedDir?: string;
  /** Runs of the model-based test (default 20, or KB_MODEL_RUNS). */
  modelRuns?: number;
}

/** Awaits a promise that must reject with a StorageError of `code`; returns the error for more checks. */
export async function expectStorageError(
  promise: Promise<unknown>,
  code: string,
): Promise<Error & { code: string; details?: unknown }> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} error, but the call succeeded`).toBeDefined();
  expect(caught).toBeInstanceOf(Error);
  expect((caught as { code?: unknown }).code, String((caught as Error).message)).toBe(code);
  return caught as Error & { code: string };
}

/** Every entry (archived ones too), ordered by id: two snapshots are equal iff the stored content is. */
export async function snapshotEntries(storage: Storage): Promise<KBEntry[]> {
  const all: KBEntry[] = [];
  for (let offset = 0; ; offset += 1_000) {
    const page = await storage.listEntries({
      includeArchived: true,
      limit: 1_000,
      offset,
      orderBy: 'createdAt',
    });
    all.push(...page.entries);
    if (page.entries.length < 1_000) break;
  }
  return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Number of rows a table holds for an entry (the store must be opened with `rawAccessPlugin`). */
export async function rowsFor(storage: Storage, table: string, column: string, id: string): Promise<number> {
  const row = await rawDb(storage)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(column, '=', id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A valid entry with a distinguishing word, so tests can find exactly what they wrote. */
export function sampleEntry(word: string, overrides: Record<string, unknown> = {}) {
  return {
    title: `${word} sample entry`,
    problem: `Job PAYJ010D ended with ${word} while reading PROD.PAYROLL.MASTER.`,
    solution: `1. Check the ${word} input\n2. Restart the job`,
    category: 'Batch',
    ...overrides,
  };
}
