import { existsSync, readdirSync } from 'node:fs';
import { createStorage, type Role, type Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportStore, importStore, ioFormatsPlugin } from '../src/index.js';
import { seedStore, type TempDir, tempDir } from './store-helpers.js';

/** A database handle: a kysely instance (a transaction is one) or anything that builds queries. */
function isHandle(value: object): boolean {
  const candidate = value as { selectFrom?: unknown; executeQuery?: unknown };
  return (
    value instanceof Kysely ||
    typeof candidate.selectFrom === 'function' ||
    typeof candidate.executeQuery === 'function'
  );
}

/**
 * Every path under `root` that reaches a database handle: its properties (own and inherited, getters
 * included) and what each of its zero-argument functions returns (awaited; a refusal reaches nothing).
 */
async function handlesUnder(root: unknown): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const visit = async (value: unknown, path: string, depth: number): Promise<void> => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 6) return;
    seen.add(value);
    if (isHandle(value)) {
      found.push(path);
      return;
    }
    for (const key of propertyNames(value)) {
      let member: unknown;
      try {
        member = (value as Record<PropertyKey, unknown>)[key];
      } catch {
        continue;
      }
      const at = `${path}.${String(key)}`;
      if (typeof member !== 'function') {
        await visit(member, at, depth + 1);
      } else if (member.length === 0 && key !== 'constructor') {
        let result: unknown;
        try {
          result = await member.call(value);
        } catch {
          continue;
        }
        await visit(result, `${at}()`, depth + 1);
      }
    }
  };
  await visit(root, 'api', 0);
  return found;
}

function propertyNames(value: object): PropertyKey[] {
  const names = new Set<PropertyKey>();
  for (let o: object | null = value; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Reflect.ownKeys(o)) names.add(key);
  }
  return [...names];
}

describe('io-formats and roles', () => {
  let dir: TempDir;
  let admin: Storage;
  const actors: Partial<Record<Role, Storage>> = {};
  let exported: string;

  const holding = (role: Role) => actors[role] as Storage;

  beforeAll(async () => {
    dir = tempDir();
    const path = dir.file('store.db');
    admin = await createStorage(
      { database: { type: 'sqlite', path } },
      { plugins: [ioFormatsPlugin, rawAccessPlugin], actor: { id: 'root', role: 'admin' } },
    );
    await seedStore(admin);
    exported = dir.file('export.json');
    await exportStore(admin, { format: 'json', out: exported });
    for (const role of ['viewer', 'editor'] as const) {
      actors[role] = await createStorage(
        { database: { type: 'sqlite', path } },
        { plugins: [ioFormatsPlugin], actor: { id: role, role } },
      );
    }
  });

  afterAll(async () => {
    for (const store of Object.values(actors)) await store.close();
    await admin.close();
    dir.remove();
  });

  it('the walk finds a handle where one is exposed (the check itself works)', async () => {
    const leaky = { codecs: {}, manager: () => ({ db: rawDb(admin) }) };
    expect(await handlesUnder(leaky)).toEqual(['api.manager().db']);
  });

  it('a viewer holding the store reaches no database handle through the io-formats API', async () => {
    const api = holding('viewer').plugin(ioFormatsPlugin);
    expect(Object.keys(api).sort()).toEqual(['codecs', 'export', 'import']);
    expect(await handlesUnder(api)).toEqual([]);
    expect(api).not.toHaveProperty('context');
  });

  for (const role of ['viewer', 'editor'] as const) {
    it(`${role}: export is refused with FORBIDDEN before any file is created`, async () => {
      const store = holding(role);
      const before = readdirSync(dir.path).sort();
      const refusals = [
        exportStore(store, { format: 'json', out: dir.file(`${role}.json`) }),
        store.export({ format: 'csv', out: dir.file(`${role}-csv`) }),
        store.plugin(ioFormatsPlugin).export({ format: 'ndjson', out: dir.file(`${role}-ndjson`) }),
      ];
      for (const refusal of refusals) {
        await expect(refusal).rejects.toMatchObject({
          code: 'FORBIDDEN',
          details: expect.objectContaining({ operation: 'io-formats.export', needed: 'admin' }),
        });
      }
      expect(readdirSync(dir.path).sort()).toEqual(before);
    });

    it(`${role}: import and restore are refused with FORBIDDEN and write nothing`, async () => {
      const store = holding(role);
      const hash = await admin.contentHash();
      const checkpoint = dir.file(`${role}.checkpoint`);
      const refusals = [
        importStore(store, { input: exported, onConflict: 'update' }),
        store.import({ input: exported, onConflict: 'update', batchSize: 1, checkpoint }),
        store.plugin(ioFormatsPlugin).import({ input: exported, restore: true }),
      ];
      for (const refusal of refusals) {
        await expect(refusal).rejects.toMatchObject({
          code: 'FORBIDDEN',
          details: expect.objectContaining({ operation: 'io-formats.import', needed: 'admin' }),
        });
      }
      expect(existsSync(checkpoint)).toBe(false);
      // The audit trail and event log are in the hash: not even a refusal row was written.
      expect(await admin.contentHash()).toEqual(hash);
    });
  }

  it('the admin may import what the others may not', async () => {
    const result = await importStore(admin, { input: exported, onConflict: 'skip', dryRun: true });
    expect(result).toMatchObject({ dryRun: true, committed: false, errors: [] });
  });
});
