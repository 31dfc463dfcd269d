import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStorage,
  definePlugin,
  type PluginDefinition,
  parseStorageConfig,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import { generateCorpusArray, postgresStores, skipReason, testDatabaseUrl } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDestination } from '../src/destination/local-destination.js';
import { backupPlugin } from '../src/index.js';
import type { BackupMetadata } from '../src/manifest/backup-metadata.js';
import { readManifest, writeManifest } from '../src/manifest/manifest-store.js';
import { Repository } from '../src/repository/repository.js';
import { targetPlugins } from '../src/restore/target-plugins.js';
import { NOTES_PACKAGE, notesPlugin } from './fixtures/notes-plugin.js';
import { commandNamed, runCommand } from './support/command-context.js';
import { PASSPHRASE } from './support/fixtures.js';

const env = { KB_BACKUP_PASSPHRASE: PASSPHRASE };
const backup = commandNamed(backupPlugin.commands, 'backup');
const restore = commandNamed(backupPlugin.commands, 'restore');

/** The rows of one table, by id. */
async function rowsOf(storage: Storage, table: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of storage.exportTables({ tables: [table] })) rows.push(...batch.rows);
  return rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** A store with entries, the notes plugin's rows and the backup plugin. */
async function sourceStore(
  config: StorageConfigInput,
  plugins: readonly PluginDefinition[] = [backupPlugin, notesPlugin],
) {
  const storage = await createStorage(config, { plugins });
  const ids = await storage.createEntries(generateCorpusArray({ count: 12, seed: 5 }));
  return { storage, ids };
}

async function addNotes(storage: Storage, entryIds: readonly string[]): Promise<void> {
  const notes = storage.plugin(notesPlugin);
  await notes.add('n1', 'first note', entryIds[0]);
  await notes.add('n2', 'second note', entryIds[1]);
  await notes.add('n3', 'a note of its own');
}

describe('a logical backup restores into a new target with the plugins its source had', () => {
  let dir: string;
  let storage: Storage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-restore-plugins-'));
    const source = await sourceStore({ database: { type: 'sqlite', path: join(dir, 'kb.db') } });
    storage = source.storage;
    await addNotes(storage, source.ids);
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (command: typeof backup, argv: string[]) =>
    runCommand(command, argv, { storage, cwd: dir, env });

  it('kb restore --to a new SQLite file: the plugin’s table and rows arrive; the manifest names the plugin', async () => {
    const created = await run(backup, ['create', '--logical', '--dest', 'repo']);
    expect(created.code).toBe(0);
    const restored = await run(restore, [created.json.id, '--to', 'copy.db', '--dest', 'repo']);
    expect(restored.code).toBe(0);
    expect(restored.json.tables.test_notes).toBe(3);
    expect(created.json.plugins).toContainEqual({
      id: 'test-notes',
      version: '1.2.0',
      package: NOTES_PACKAGE,
      tables: ['test_notes'],
    });
    const copy = await createStorage(
      { database: { type: 'sqlite', path: join(dir, 'copy.db') } },
      { plugins: [notesPlugin] },
    );
    try {
      expect(await rowsOf(copy, 'test_notes')).toEqual(await rowsOf(storage, 'test_notes'));
      expect((await rowsOf(copy, 'test_notes')).map((n) => n.body)).toContain('a note of its own');
    } finally {
      await copy.close();
    }
    // The test restore of verify --deep opens its temporary store the same way.
    const deep = await run(backup, ['verify', created.json.id, '--deep', '--dest', 'repo']);
    expect(deep.json.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(deep.code).toBe(0);
  });

  it('a manifest written before plugins were recorded takes them from the restoring store', async () => {
    const api = storage.plugin(backupPlugin);
    const repo = join(dir, 'repo');
    const run = await api.create({ kind: 'logical', destination: repo, passphrase: PASSPHRASE });
    expect(run.ok).toBe(true);
    const repository = await Repository.open(new LocalDestination(repo), { passphrase: PASSPHRASE });
    const { metadata, body } = await readManifest(repository, run.id);
    const { plugins: _recorded, ...old } = metadata;
    await writeManifest(repository, old as BackupMetadata, body);

    const result = await api.restore(run.id, {
      destination: repo,
      passphrase: PASSPHRASE,
      to: join(dir, 'old.db'),
    });
    expect(result.tables.test_notes).toBe(3);
  });

  it('refuses, naming the package to install, before writing anything at the target', async () => {
    const absent = definePlugin({
      id: 'test-absent',
      version: '0.3.0',
      mvp: 2,
      package: '@mainframe-kb/backup-test-absent',
      tables: { test_absent: { entity: 'absent', primaryKey: ['id'] } },
      migrations: [
        {
          id: '0001_absent',
          async up(db) {
            await db.schema
              .createTable('test_absent')
              .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
              .execute();
          },
        },
      ],
    });
    const other = await sourceStore({ database: { type: 'sqlite', path: join(dir, 'other.db') } }, [
      backupPlugin,
      absent,
    ]);
    try {
      const created = await runCommand(backup, ['create', '--logical', '--dest', 'repo-absent'], {
        storage: other.storage,
        cwd: dir,
        env,
      });
      expect(created.code).toBe(0);
      const before = readdirSync(dir).sort();
      const refused = await runCommand(
        restore,
        [created.json.id, '--to', 'absent.db', '--dest', 'repo-absent'],
        { storage: other.storage, cwd: dir, env },
      ).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'EXTENSION_NOT_INSTALLED' });
      expect((refused as Error).message).toContain('@mainframe-kb/backup-test-absent');
      expect(existsSync(join(dir, 'absent.db'))).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(before);
    } finally {
      await other.storage.close();
    }
  });
});

describe('the plugins a new target is opened with', () => {
  const config = parseStorageConfig({ mvp: { extensions: [{ id: 'test-notes', options: { a: 1 } }] } });
  const notes = { id: 'test-notes', version: '1.2.0', package: NOTES_PACKAGE, tables: ['test_notes'] };

  it('are those owning a restored table, with the source’s options', async () => {
    const loaded = await targetPlugins([notes], ['test_notes', 'kb_entries'], config);
    expect(loaded.plugins).toEqual([notesPlugin]);
    expect(loaded.extensions).toEqual([{ id: 'test-notes', enabled: true, options: { a: 1 } }]);
    expect((await targetPlugins([notes], ['kb_entries'], config)).plugins).toEqual([]);
  });

  it('are only ever imported by package name, never from a path or a URL a manifest names', async () => {
    const imported: string[] = [];
    const importer = async (specifier: string) => {
      imported.push(specifier);
      return {};
    };
    for (const forged of ['data:text/javascript,globalThis.pwned=1', '/tmp/evil.mjs', '../evil.js']) {
      await expect(
        targetPlugins([{ ...notes, package: forged }], ['test_notes'], config, importer),
      ).rejects.toMatchObject({ code: 'EXTENSION_NOT_INSTALLED' });
    }
    expect(imported).toEqual([]);
  });
});

const pgUrl = testDatabaseUrl('postgresql');
const pgTitle = 'a PostgreSQL store’s backup restores into a new PostgreSQL schema with its plugins';
if (!pgUrl) {
  describe.skip(`${pgTitle} — ${skipReason('postgresql')}`, () => {
    it('needs the server', () => {});
  });
} else {
  describe(pgTitle, () => {
    it('the plugin’s table and rows arrive', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kb-restore-plugins-pg-'));
      const stores = postgresStores(pgUrl);
      try {
        const source = await stores.open({}, { plugins: [backupPlugin, notesPlugin] });
        const ids = await source.createEntries(generateCorpusArray({ count: 12, seed: 5 }));
        await addNotes(source, ids);
        const api = source.plugin(backupPlugin);
        const call = { destination: join(dir, 'repo'), passphrase: PASSPHRASE };
        const created = await api.create(call);
        expect(created.ok, String(created.destinations[0]?.error)).toBe(true);
        const database = await stores.database();
        if (!('schema' in database) || !database.schema) throw new Error('expected a schema');
        const result = await api.restore(created.id, { ...call, to: `${pgUrl}?schema=${database.schema}` });
        expect(result.tables.test_notes).toBe(3);
        const target = await createStorage({ database }, { plugins: [notesPlugin] });
        try {
          expect(await rowsOf(target, 'test_notes')).toEqual(await rowsOf(source, 'test_notes'));
        } finally {
          await target.close();
        }
      } finally {
        await stores.cleanup();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
