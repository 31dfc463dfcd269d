import { existsSync, readdirSync, readFileSync } from 'node:fs';
import {
  createStorage,
  openDialect,
  parseStorageConfig,
  type SqliteDialectAdapter,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import {
  mysqlStores,
  postgresStores,
  rawAccessPlugin,
  rawDb,
  rawDialect,
  skipReason,
  type TestStores,
  testDatabaseUrl,
} from '@mainframe-kb/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyCommand } from '../src/commands/copy-command.js';
import { Workspace } from './cli-harness.js';

// Issue 18, as an operator meets it: `kb copy` SQLite → MariaDB of a store with search history; a failed copy
// leaves no residue in the target; the hint names the flag kb copy really has; CLI.md's exit codes.

/** Durations `kb search` recorded on the store where the issue was found, and others mysql2 misread. */
const DURATIONS = [
  9.412266000000045, 93.61670999999933, 9.092805999999655, 9.331600000000435, 9.771466999999575,
];

const GLOBAL_FLAGS = ['db', 'config', 'json', 'quiet'];

/** Every `--flag` a text names. */
const flagsIn = (text: string) => [...text.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!);

async function withRaw<T>(path: string, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await createStorage({ database: { type: 'sqlite', path } }, { plugins: [rawAccessPlugin] });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

async function contentHash(database: NonNullable<StorageConfigInput['database']>): Promise<string> {
  const storage = await createStorage({ database });
  try {
    return (await storage.contentHash()).hash;
  } finally {
    await storage.close();
  }
}

/**
 * A store whose kb_tags holds a row for an entry that does not exist (written with foreign keys off, as a
 * damaged file or an old tool might): every target refuses that row half-way through the copy.
 */
async function damagedSource(ws: Workspace, name: string): Promise<string> {
  const path = ws.path(name);
  await ws.ok(['--db', path, 'init', '--sample']);
  await withRaw(path, async (storage) => {
    const sqlite = (rawDialect(storage) as SqliteDialectAdapter).sqlite;
    sqlite.pragma('foreign_keys = off');
    await rawDb(storage).insertInto('kb_tags').values({ entry_id: 'no-such-entry', tag: 'orphan' }).execute();
    sqlite.pragma('foreign_keys = on');
  });
  return path;
}

/** The files in the workspace whose name starts with `base` (the store, its companions, scratch files). */
const filesOf = (ws: Workspace, base: string) =>
  readdirSync(ws.dir)
    .filter((f) => f.startsWith(base))
    .sort();

describe('kb copy', () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = new Workspace();
    ws.writeConfig({ cli: { roles: { '*': 'admin' } } });
  });
  afterEach(() => ws.remove());

  it('its usage and details name only flags it has', () => {
    const known = new Set([...Object.keys(copyCommand.options ?? {}), ...GLOBAL_FLAGS]);
    const text = [copyCommand.usage, ...(copyCommand.details ?? [])].join('\n');
    expect(flagsIn(text).filter((f) => !known.has(f))).toEqual([]);
    expect(Object.keys(copyCommand.options ?? {})).toContain('replace');
  });

  it('refuses a target holding other content with exit 3, and the hint names --replace, which then works', async () => {
    const from = ws.path('kb.db');
    await ws.ok(['--db', from, 'init', '--sample']);
    const other = ws.path('other.db');
    await ws.ok(['--db', other, 'init']);
    await ws.ok([
      '--db',
      other,
      'add',
      '--title',
      'Other',
      '--problem',
      'p',
      '--solution',
      's',
      '--category',
      'jcl',
    ]);
    const before = await contentHash({ type: 'sqlite', path: other });

    const refused = await ws.run(['--json', 'copy', '--from', from, '--to', other]);
    expect(refused.code).toBe(3);
    const { error } = refused.errorJson();
    expect(error.code).toBe('CONFLICT');
    const known = new Set([...Object.keys(copyCommand.options ?? {}), ...GLOBAL_FLAGS]);
    expect(flagsIn(error.message)).toContain('replace');
    expect(flagsIn(error.message).filter((f) => !known.has(f))).toEqual([]);
    expect(await contentHash({ type: 'sqlite', path: other })).toBe(before);

    // The hint, followed, works.
    const replaced = await ws.ok(['copy', '--from', from, '--to', other, '--replace']);
    expect(replaced.copied).toBe(true);
    expect(await contentHash({ type: 'sqlite', path: other })).toBe(
      await contentHash({ type: 'sqlite', path: from }),
    );
  });

  it('a --from that names no store exits 4 naming it, and creates neither it nor the target', async () => {
    const missing = ws.path('missing.db');
    const to = ws.path('new.db');
    const result = await ws.run(['--json', 'copy', '--from', missing, '--to', to]);
    expect(result.code).toBe(4);
    const { error } = result.errorJson();
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(missing);
    expect(error.message).toMatch(/--from/);
    expect(existsSync(missing)).toBe(false);
    expect(filesOf(ws, 'missing.db')).toEqual([]);
    expect(filesOf(ws, 'new.db')).toEqual([]);
  });

  it('a copy into a new SQLite file that fails half-way leaves no file and no scratch files', async () => {
    const from = await damagedSource(ws, 'damaged.db');
    const result = await ws.run([
      '--json',
      'copy',
      '--from',
      from,
      '--to',
      ws.path('new.db'),
      '--batch-size',
      '5',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.errorJson().error.message).toMatch(/FOREIGN KEY|foreign key|kb_tags/i);
    expect(filesOf(ws, 'new.db')).toEqual([]);
  });

  it('a copy into an existing SQLite store that fails leaves its content, its files and its key file', async () => {
    const from = await damagedSource(ws, 'damaged.db');
    const to = ws.path('existing.db');
    await ws.ok(['--db', to, 'init']);
    await ws.ok([
      '--db',
      to,
      'add',
      '--title',
      'Mine',
      '--problem',
      'p',
      '--solution',
      's',
      '--category',
      'jcl',
    ]);
    const hash = await contentHash({ type: 'sqlite', path: to });
    const files = filesOf(ws, 'existing.db');
    const key = readFileSync(`${to}.audit-key`);

    const result = await ws.run(['--json', 'copy', '--from', from, '--to', to, '--replace']);
    expect(result.code).not.toBe(0);
    expect(filesOf(ws, 'existing.db')).toEqual(files);
    expect(readFileSync(`${to}.audit-key`).equals(key)).toBe(true);
    expect(await contentHash({ type: 'sqlite', path: to })).toBe(hash);
  });
});

/** Its URL for `--db` / `--to`: PostgreSQL's schema as the `?schema=` parameter. */
function urlOf(database: { url?: string; schema?: string }): string {
  const url = database.url!;
  return database.schema ? `${url}${url.includes('?') ? '&' : '?'}schema=${database.schema}` : url;
}

/**
 * The tables of a server target, and on PostgreSQL whether its schema exists: read through a dialect opened
 * on the database's `public` schema (PostgreSQL) or on the target database itself (MySQL), which creates
 * nothing there.
 */
async function serverTables(dialect: 'postgresql' | 'mysql', database: { url?: string; schema?: string }) {
  const admin = await openDialect(
    parseStorageConfig({
      database:
        dialect === 'postgresql'
          ? { type: dialect, url: database.url!, schema: 'public' }
          : { type: dialect, url: database.url! },
    }),
  );
  try {
    if (dialect === 'postgresql') {
      const schemas = await admin.db
        .selectFrom('pg_catalog.pg_namespace')
        .select('nspname')
        .where('nspname', '=', database.schema!)
        .execute();
      const tables = await admin.db
        .selectFrom('information_schema.tables')
        .select('table_name as t')
        .where('table_schema', '=', database.schema!)
        .orderBy('t')
        .execute();
      return { schema: schemas.length === 1, tables: tables.map((r) => String(r.t)) };
    }
    const name = decodeURIComponent(new URL(database.url!).pathname.slice(1));
    const tables = await admin.db
      .selectFrom('information_schema.tables')
      .select('table_name as t')
      .where('table_schema', '=', name)
      .orderBy('t')
      .execute();
    return { schema: true, tables: tables.map((r) => String(r.t)) };
  } finally {
    await admin.close();
  }
}

const servers = [
  { name: 'postgresql' as const, url: testDatabaseUrl('postgresql'), make: postgresStores },
  { name: 'mysql' as const, url: testDatabaseUrl('mysql'), make: mysqlStores },
];

for (const server of servers) {
  const title = server.url
    ? `kb copy with ${server.name}`
    : `kb copy with ${server.name} (${skipReason(server.name)})`;
  describe.skipIf(!server.url)(title, () => {
    const stores: TestStores | undefined = server.url ? server.make(server.url) : undefined;
    let ws: Workspace;
    beforeEach(() => {
      ws = new Workspace();
      ws.writeConfig({ cli: { roles: { '*': 'admin' } } });
    });
    afterEach(() => ws.remove());
    afterAll(async () => stores?.cleanup());

    it('init --sample, searches, then a copy there and back keeps every recorded duration exactly', async () => {
      const local = ws.path('kb.db');
      await ws.ok(['--db', local, 'init', '--sample']);
      for (const query of ['S0C7', 'VSAM status 35', 'SQLCODE -805', 'abend S322', 'IEC161I', 'DB2 deadlock'])
        await ws.ok(['--db', local, 'search', query]);
      // What searches recorded where the issue was found (the timings of this run's searches vary).
      await withRaw(local, async (storage) => {
        await rawDb(storage)
          .insertInto('search_history')
          .values(
            DURATIONS.map((tookMs, n) => ({
              query: `recorded ${n}`,
              result_count: 1,
              took_ms: tookMs,
              user_id: 'cli:root',
              created_at: new Date(Date.UTC(2026, 11, 6, 10, 0, n)).toISOString(),
            })),
          )
          .execute();
      });
      const recorded = (await ws.ok(['--db', local, 'history', '--limit', '100'])).searches as {
        tookMs: number;
      }[];

      const database = await stores!.database();
      const target = urlOf(database as { url: string; schema?: string });
      const there = await ws.ok(['copy', '--from', local, '--to', target]);
      expect(there.copied).toBe(true);
      expect(there.rows.search_history).toBe(recorded.length);
      const back = await ws.ok(['copy', '--from', target, '--to', ws.path('back.db')]);
      expect(back.hash).toBe(there.hash);

      for (const db of [target, ws.path('back.db')]) {
        const history = (await ws.ok(['--db', db, 'history', '--limit', '100'])).searches as {
          tookMs: number;
        }[];
        const got = history.map((h) => h.tookMs).sort((a, b) => a - b);
        const want = recorded.map((h) => h.tookMs).sort((a, b) => a - b);
        expect(got.length).toBe(want.length);
        expect(got.filter((t, i) => !Object.is(t, want[i]))).toEqual([]);
        for (const d of DURATIONS) expect(got).toContain(d);
      }
    });

    it('a copy into a new target that fails half-way leaves no table there', async () => {
      const from = await damagedSource(ws, 'damaged.db');
      const database = (await stores!.database()) as { url: string; schema?: string };
      const before = await serverTables(server.name, database);
      expect(before.tables).toEqual([]);
      const result = await ws.run([
        '--json',
        'copy',
        '--from',
        from,
        '--to',
        urlOf(database),
        '--batch-size',
        '5',
      ]);
      expect(result.code).not.toBe(0);
      expect(await serverTables(server.name, database)).toEqual(before);
    });

    it('a copy into an existing store that fails leaves its content', async () => {
      const from = await damagedSource(ws, 'damaged.db');
      const database = (await stores!.database()) as { url: string; schema?: string };
      const target = urlOf(database);
      await ws.ok(['--db', target, 'init']);
      await ws.ok([
        '--db',
        target,
        'add',
        '--title',
        'Mine',
        '--problem',
        'p',
        '--solution',
        's',
        '--category',
        'jcl',
      ]);
      const before = await serverTables(server.name, database);
      const listed = await ws.ok(['--db', target, 'list']);
      const result = await ws.run(['--json', 'copy', '--from', from, '--to', target, '--replace']);
      expect(result.code).not.toBe(0);
      expect(await serverTables(server.name, database)).toEqual(before);
      expect(await ws.ok(['--db', target, 'list'])).toEqual(listed);
    });
  });
}
