import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStorage, definePlugin, type KBEntryInput, StorageErrorCode } from '../src/index.js';

const CHILD = fileURLToPath(new URL('./fixtures/read-only-child.ts', import.meta.url));
/** Root writes through any file mode: the permission tests run the child as `nobody` then. */
const NOBODY = 65_534;
const asRoot = process.getuid?.() === 0;

const entry = (title: string): KBEntryInput => ({
  title,
  problem: 'Program PAYROLL abends when adding a packed decimal field that holds spaces.',
  solution: 'Initialise the COMP-3 field with MOVE ZERO and validate input with IF NUMERIC.',
  category: 'cobol',
  tags: ['abend'],
});

let dir: string;
let path: string;
let ids: string[];

/** The database's bytes and the folder's listing: what a read-only store must leave exactly as it was. */
function fingerprint(): { sha256: string; files: string[] } {
  return {
    sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    files: readdirSync(dir).sort(),
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kb-read-only-'));
  path = join(dir, 'kb.db');
  const storage = await createStorage({ database: { path } });
  ids = [];
  for (const title of ['S0C7 data exception in PAYROLL', 'S0C4 protection exception', 'IEF212I not found'])
    ids.push(await storage.createEntry(entry(title)));
  await storage.search('S0C7');
  await storage.close();
});

afterEach(() => {
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

describe('a store opened read-only (database.readonly)', () => {
  it('reads, reports read-only in health, refuses writes with READ_ONLY, and changes no byte on disk', async () => {
    const before = fingerprint();
    expect(before.files.filter((f) => /-(wal|shm|journal)$/.test(f))).toEqual([]);
    const storage = await createStorage({ database: { path, readonly: true } });
    const errors: { operation: string; code: string }[] = [];
    storage.on('storage:error', (e) => errors.push(e));
    try {
      expect((await storage.search('S0C7')).results[0]?.entry.title).toBe('S0C7 data exception in PAYROLL');
      expect(await storage.getEntry(ids[1]!)).toMatchObject({ title: 'S0C4 protection exception' });
      expect((await storage.listEntries()).total).toBe(3);
      expect((await storage.getSearchHistory()).map((h) => h.query)).toEqual(['S0C7']);

      const health = await storage.healthCheck();
      expect(health.status).not.toBe('unhealthy');
      const probe = health.probes.find((p) => p.name === 'database file');
      expect(probe).toMatchObject({
        status: 'healthy',
        detail: expect.stringMatching(/read-only/),
        data: { readOnly: true },
      });

      const refused = storage.createEntry(entry('U4038 written read-only'));
      await expect(refused).rejects.toMatchObject({ code: StorageErrorCode.READ_ONLY });
      await expect(refused).rejects.toThrow(path);
      await expect(storage.deleteEntry(ids[0]!)).rejects.toMatchObject({ code: StorageErrorCode.READ_ONLY });
      await expect(storage.optimize()).rejects.toMatchObject({ code: StorageErrorCode.READ_ONLY });
      // Searches are not recorded: their batched history write is refused before any transaction begins.
      await storage.search('S0C4');
      await storage.flushSearchHistory();
      expect(errors).toContainEqual(
        expect.objectContaining({ operation: 'search-history', code: StorageErrorCode.READ_ONLY }),
      );
      expect(errors.every((e) => e.code === StorageErrorCode.READ_ONLY)).toBe(true);
    } finally {
      await storage.close();
    }
    expect(fingerprint()).toEqual(before);
  });

  it('reads beside a writer through its -wal, seeing what it commits', async () => {
    const writer = await createStorage({ database: { path } });
    const reader = await createStorage({ database: { path, readonly: true } });
    try {
      const files = readdirSync(dir).sort();
      const id = await writer.createEntry(entry('SQLCODE -911 deadlock'));
      expect(await reader.getEntry(id)).toMatchObject({ title: 'SQLCODE -911 deadlock' });
      const probe = (await reader.healthCheck()).probes.find((p) => p.name === 'database file');
      expect(probe).toMatchObject({ status: 'healthy', detail: expect.not.stringMatching(/copy/) });
      expect(readdirSync(dir).sort()).toEqual(files);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('reads a file nobody has open from a copy, and health says when the file has moved on', async () => {
    const reader = await createStorage({ database: { path, readonly: true } });
    try {
      const before = (await reader.healthCheck()).probes.find((p) => p.name === 'database file');
      expect(before).toMatchObject({ status: 'healthy', detail: expect.stringMatching(/copy/) });
      const writer = await createStorage({ database: { path } });
      await writer.createEntry(entry('SQLCODE -805 package not found'));
      await writer.close();
      const after = (await reader.healthCheck()).probes.find((p) => p.name === 'database file');
      expect(after).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/reopen/) });
      expect((await reader.listEntries()).total).toBe(3);
    } finally {
      await reader.close();
    }
  });

  it('refuses to open with pending migrations, naming them, instead of migrating', async () => {
    const late = definePlugin({
      id: 'late',
      version: '1.0.0',
      mvp: 2,
      migrations: [
        {
          id: '0001_late',
          async up(db) {
            await sql`create table late_notes (id integer primary key)`.execute(db);
          },
        },
      ],
      setup: () => ({}),
    });
    const before = fingerprint();
    await expect(
      createStorage({ database: { path, readonly: true } }, { plugins: [late] }),
    ).rejects.toMatchObject({
      code: StorageErrorCode.MIGRATION_PENDING,
      message: expect.stringContaining('late:0001_late'),
    });
    expect(fingerprint()).toEqual(before);
  });
});

describe('a store whose file or folder the user cannot write', () => {
  function openAsUnprivileged(): Record<string, any> {
    const run = spawnSync(process.execPath, ['--import', 'tsx', CHILD, path], {
      encoding: 'utf8',
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as Record<string, any>;
  }

  const expectReadOnlyRun = (report: Record<string, any>) => {
    expect(report.open).toBeUndefined();
    expect(report.found).toEqual(['S0C7 data exception in PAYROLL']);
    expect(report.listed).toBe(3);
    expect(report.probe).toMatchObject({ status: 'healthy', data: { readOnly: true } });
    expect(report.write).toMatchObject({
      code: StorageErrorCode.READ_ONLY,
      message: expect.stringContaining(path),
    });
  };

  it('opens a 0444 file read-only by itself, creating no -wal or -shm beside it', () => {
    chmodSync(path, 0o444);
    chmodSync(dir, 0o777);
    const before = fingerprint();
    expectReadOnlyRun(openAsUnprivileged());
    expect(fingerprint()).toEqual(before);
  });

  it('opens a file in a folder it cannot write (as on a read-only mount) read-only', () => {
    chmodSync(path, 0o444);
    chmodSync(dir, 0o555);
    const before = fingerprint();
    expectReadOnlyRun(openAsUnprivileged());
    expect(fingerprint()).toEqual(before);
  });
});
