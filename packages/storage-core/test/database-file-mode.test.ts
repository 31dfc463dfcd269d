import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takeSqliteSnapshot } from '../src/dialect/sqlite/sqlite-snapshot.js';
import { createStorage } from '../src/index.js';

const entry = {
  title: 'S0C7 data exception in PAYROLL',
  problem: 'Program PAYROLL abends S0C7 when adding a packed decimal field that holds spaces.',
  solution: 'Initialise the COMP-3 field with MOVE ZERO and validate input with IF NUMERIC.',
  category: 'cobol',
};

const modeOf = (file: string) => statSync(file).mode & 0o777;

let dir: string;
let path: string;
let umask: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-file-mode-'));
  path = join(dir, 'kb.db');
  // The most permissive umask: whatever the process's umask, the store's files must not be readable by others.
  umask = process.umask(0);
});

afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('database files the store creates', () => {
  it('are owner-only (0600), with their -wal and -shm, whatever the umask', async () => {
    const storage = await createStorage({ database: { path } });
    try {
      await storage.createEntry(entry);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(modeOf(file), file).toBe(0o600);
    } finally {
      await storage.close();
    }
  });

  it('include the pre-migration snapshot, a full copy of the data', async () => {
    const sqlite = new BetterSqlite3(path);
    try {
      chmodSync(path, 0o600);
      sqlite.exec("create table t (x text); insert into t values ('IEF212I')");
      const snapshot = await takeSqliteSnapshot({ sqlite, location: path });
      expect(modeOf(snapshot.location)).toBe(0o600);
      await snapshot.discard();
    } finally {
      sqlite.close();
    }
  });

  it('leave the mode of an existing database as its owner set it', async () => {
    new BetterSqlite3(path).close();
    chmodSync(path, 0o640);
    const storage = await createStorage({ database: { path } });
    await storage.close();
    expect(modeOf(path)).toBe(0o640);
  });
});
