import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStorage } from '@mainframe-kb/storage-core';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLiveImage } from '../src/sqlite/live-image.js';
import type { SqliteImage } from '../src/sqlite/sqlite-image.js';
import { type Fixture, makeFixture } from './support/fixtures.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readImage(image: SqliteImage): Promise<Buffer> {
  const out = Buffer.alloc(image.pageCount * image.pageSize);
  const got = await image.read(out, 1, image.pageCount);
  expect(got).toBe(out.length);
  return out;
}

describe('a backup image read in place from the live database file', () => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await makeFixture(300, { liveMinBytes: 0 });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('is the snapshot of its moment while other connections commit and try to checkpoint', async () => {
    const writer = new BetterSqlite3(fx.dbPath);
    try {
      writer.exec('create table if not exists t_live (x blob)');
      const live = await captureLiveImage(fx.dbPath);
      expect(live).toBeDefined();
      const { image, reader } = live!;
      const countAtCapture = (reader.prepare('select count(*) as n from kb_entries').get() as { n: number })
        .n;
      const first = await readImage(image);
      // Commits the log cannot hold back, and checkpoints that would copy them into the file.
      const insert = writer.prepare('insert into t_live values (randomblob(3000))');
      for (let i = 0; i < 2_000; i += 1) insert.run();
      writer.exec('delete from kb_tags');
      const [passive] = writer.pragma('wal_checkpoint(PASSIVE)') as { checkpointed: number }[];
      expect(passive!.checkpointed).toBe(0);
      const [truncate] = writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      expect(truncate!.busy).toBe(1);
      const second = await readImage(image);
      expect(sha(second)).toBe(sha(first));
      await image.discard();

      // The image opens on its own: SQLite's checks pass and the rows are those of the capture.
      const path = join(fx.dir, 'image.db');
      writeFileSync(path, first);
      const copy = new BetterSqlite3(path, { readonly: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
        expect((copy.prepare('select count(*) as n from kb_entries').get() as { n: number }).n).toBe(
          countAtCapture,
        );
        expect((copy.prepare('select count(*) as n from kb_tags').get() as { n: number }).n).toBeGreaterThan(
          0,
        );
      } finally {
        copy.close();
      }
      // Released: the checkpoint now goes through.
      const [after] = writer.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      expect(after!.checkpointed).toBe(after!.log);
    } finally {
      writer.close();
    }
  });

  it('is not taken while a reader of an older snapshot keeps the log from being checkpointed', async () => {
    const old = new BetterSqlite3(fx.dbPath, { readonly: true });
    const writer = new BetterSqlite3(fx.dbPath);
    try {
      old.exec('BEGIN');
      old.prepare('select count(*) from kb_entries').get();
      writer.exec('create table t_live (x)');
      expect(await captureLiveImage(fx.dbPath, 200)).toBeUndefined();
      old.exec('COMMIT');
      const live = await captureLiveImage(fx.dbPath);
      expect(live).toBeDefined();
      await live!.image.discard();
      // Nothing is left holding the file: a checkpoint completes.
      const [after] = writer.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      expect(after!.busy).toBe(0);
    } finally {
      old.close();
      writer.close();
    }
  });

  it('is not taken while another connection holds the write lock', async () => {
    const writer = new BetterSqlite3(fx.dbPath);
    try {
      writer.exec('BEGIN IMMEDIATE');
      expect(await captureLiveImage(fx.dbPath, 200)).toBeUndefined();
      writer.exec('ROLLBACK');
    } finally {
      writer.close();
    }
  }, 15_000);

  it('backs up a store that another process writes to meanwhile, and restores to that moment', async () => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.pragma('busy_timeout = 10000');
         db.exec('create table if not exists t_churn (x blob)');
         const ins = db.prepare('insert into t_churn values (randomblob(2000))');
         const batch = db.transaction(() => { for (let i = 0; i < 20; i++) ins.run(); });
         // 'ready' only once a batch has committed, so every snapshot taken after it holds churn rows.
         batch();
         process.stdout.write('ready\\n');
         // A writer that commits a batch every few milliseconds, as an application does. One that never pauses
         // leaves the backup no moment between its transactions on a loaded machine; the backup then (rightly)
         // takes another kind of snapshot, which is not what this test is about.
         const pause = new Int32Array(new SharedArrayBuffer(4));
         const end = Date.now() + 20000;
         while (Date.now() < end) { batch(); Atomics.wait(pause, 0, 0, 2); }`,
        fx.dbPath,
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
      });
      const run = await fx.manager.create({ type: 'full' });
      expect(run.ok, String(run.destinations[0]?.error)).toBe(true);
      expect(run.snapshot).toBe('live');
      await fx.storage.createEntries([
        { title: 'after the full', problem: 'written meanwhile', solution: 'kept', category: 'Other' },
      ]);
      const inc = await fx.manager.create({ type: 'incremental' });
      expect(inc.type).toBe('incremental');
      expect(inc.snapshot).toBe('live');
      for (const id of [run.id, inc.id]) {
        const to = join(fx.dir, `restored-${id}.db`);
        const restored = await fx.manager.restore(id, { to, integrity: 'full' });
        expect(restored.checks.filter((c) => !c.ok)).toEqual([]);
        expect(restored.checks.map((c) => c.name)).toContain('integrity_check');
        const db = new BetterSqlite3(to, { readonly: true });
        try {
          const churn = (db.prepare('select count(*) as n from t_churn').get() as { n: number }).n;
          expect(churn).toBeGreaterThan(0);
        } finally {
          db.close();
        }
      }
      const store = await createStorage(
        { database: { type: 'sqlite', path: join(fx.dir, `restored-${inc.id}.db`) } },
        { migrate: 'verify' },
      );
      try {
        expect((await store.listEntries({ limit: 1000 })).entries.map((e) => e.title)).toContain(
          'after the full',
        );
      } finally {
        await store.close();
      }
    } finally {
      child.kill('SIGKILL');
    }
    // The file the writer kept extending is still a sound database.
    const check = new BetterSqlite3(fx.dbPath, { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
    expect(readFileSync(fx.dbPath).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
  }, 60_000);
});
