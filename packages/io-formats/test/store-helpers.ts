import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterAll, beforeAll } from 'vitest';
import { ioFormatsPlugin } from '../src/index.js';

export interface TempDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

export function tempDir(prefix = 'io-formats-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** A SQLite store with io-formats, and raw access for the helpers below that read tables directly. */
export async function openStore(path: string): Promise<Storage> {
  return createStorage(
    { database: { type: 'sqlite', path } },
    { plugins: [ioFormatsPlugin, rawAccessPlugin], actor: { id: 'io-test', role: 'admin' } },
  );
}

/** Tables whose content an import reproduces (the store's own logs are not imported). */
export const DATA_TABLES = [
  'kb_entries',
  'kb_tags',
  'kb_relations',
  'kb_feedback',
  'usage_metrics',
  'search_history',
];

/** Every row of a table in primary-key order, as plain objects (a store opened by `openStore`). */
export async function tableRows(storage: Storage, table: string): Promise<Record<string, unknown>[]> {
  const key = storage.tables().find((t) => t.name === table)?.primaryKey ?? [];
  let query = rawDb(storage).selectFrom(table).selectAll();
  for (const column of key) query = query.orderBy(column);
  return (await query.execute()) as Record<string, unknown>[];
}

/** A snapshot of the data tables, to assert that a refused import changed nothing. */
export async function snapshot(storage: Storage): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const table of [...DATA_TABLES, 'kb_events']) out[table] = await tableRows(storage, table);
  return out;
}

/** A small store with entries, tags, a relation, feedback and usage. */
export async function seedStore(storage: Storage): Promise<string[]> {
  const ids = await storage.createEntries([
    {
      title: 'S0C7 data exception in payroll batch',
      problem:
        'Job PAY001 abends with S0C7 after the\r\nnew input file arrived; "quoted" text, commas, and <xml> & entities.',
      solution: '=HYPERLINK("http://evil") — check COMP-3 fields; +1 -1 @SUM',
      category: 'COBOL',
      severity: 'high',
      tags: ['s0c7', 'abend', 'comp-3'],
    },
    {
      title: 'VSAM status 35 opening KSDS',
      problem: 'OPEN fails with file status 35 😀 (astral) and e\u0301 (combining)',
      solution: 'Define the cluster with IDCAMS before the first run.',
      category: 'VSAM',
      tags: ['vsam', 'status-35'],
    },
    {
      title: 'SQLCODE -911 deadlock',
      problem: '\tTab-led problem text',
      solution: '@mention style solution',
      category: 'DB2',
      severity: 'critical',
    },
  ]);
  await storage.addRelation(ids[0] as string, ids[1] as string, 'related');
  await storage.recordFeedback(ids[0] as string, { outcome: 'success', rating: 5, comment: 'worked' });
  await storage.recordUsage(ids[1] as string, 'view', { userId: 'u1' });
  return ids;
}

/** A seeded store in a temporary folder, with its snapshot taken before a test imports anything. */
export interface SeededStore {
  readonly dir: TempDir;
  readonly storage: Storage;
  readonly before: Awaited<ReturnType<typeof snapshot>>;
}

/**
 * Opens a seeded store before the suite's tests and closes it (and removes its folder) after them; the tests
 * compare the store's snapshot with `before` to show that a refused import wrote nothing.
 */
export function useSeededStore(): SeededStore {
  let fixture: SeededStore | undefined;
  const current = () => {
    if (!fixture) throw new Error('the seeded store did not open; see the beforeAll error');
    return fixture;
  };
  beforeAll(async () => {
    const dir = tempDir();
    const storage = await openStore(dir.file('store.db'));
    await seedStore(storage);
    fixture = { dir, storage, before: await snapshot(storage) };
  });
  afterAll(async () => {
    await fixture?.storage.close();
    fixture?.dir.remove();
  });
  return {
    get dir() {
      return current().dir;
    },
    get storage() {
      return current().storage;
    },
    get before() {
      return current().before;
    },
  };
}
