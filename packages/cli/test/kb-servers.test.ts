import {
  mysqlStores,
  postgresStores,
  skipReason,
  type TestStores,
  testDatabaseUrl,
} from '@mainframe-kb/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** `kb --db postgres://…` and `kb --db mysql://…` against the servers CI provides, each run in a new schema/database. */

async function targetUrl(stores: TestStores): Promise<string> {
  const db = (await stores.database()) as { url: string; schema?: string };
  return db.schema ? `${db.url}${db.url.includes('?') ? '&' : '?'}schema=${db.schema}` : db.url;
}

const servers = [
  { name: 'postgresql' as const, url: testDatabaseUrl('postgresql'), make: postgresStores },
  { name: 'mysql' as const, url: testDatabaseUrl('mysql'), make: mysqlStores },
];

for (const server of servers) {
  const title = server.url ? `kb on ${server.name}` : `kb on ${server.name} (${skipReason(server.name)})`;
  describe.skipIf(!server.url)(title, () => {
    const stores = server.url ? server.make(server.url) : undefined;
    let ws: Workspace;
    beforeEach(() => {
      ws = new Workspace();
      ws.writeConfig({ cli: { roles: { '*': 'admin' } } });
    });
    afterEach(() => ws.remove());
    afterAll(async () => stores?.cleanup());

    it('init --sample creates the store, loads the sample KB once, and search finds S0C7', async () => {
      const db = await targetUrl(stores!);
      const first = await ws.ok(['--db', db, 'init', '--sample']);
      expect(first).toEqual({ created: true, entries: 36 });
      const again = await ws.ok(['--db', db, 'init', '--sample']);
      expect(again).toEqual({ created: false, entries: 36 });
      const found = await ws.ok(['--db', db, 'search', 'S0C7']);
      expect(found.results[0].title).toMatch(/S0C7/);
      expect(found.results[0].snippet).toContain('<mark>S0C7</mark>');
      const health = await ws.ok(['--db', db, 'health']);
      expect(health.status).not.toBe('unhealthy');
    });

    it('copy moves a SQLite store to the server and back with equal content hashes; a second copy changes nothing', async () => {
      const db = await targetUrl(stores!);
      const local = ws.path('kb.db');
      await ws.ok(['--db', local, 'init', '--sample']);
      await ws.ok([
        '--db',
        local,
        'feedback',
        (await ws.ok(['--db', local, 'search', 'S0C7'])).results[0].id,
        '--success',
      ]);
      const there = await ws.ok(['copy', '--from', local, '--to', db, '--batch-size', '7']);
      expect(there.copied).toBe(true);
      expect(there.rows.kb_entries).toBe(36);
      const again = await ws.ok(['copy', '--from', local, '--to', db]);
      expect(again).toMatchObject({ copied: false, hash: there.hash });
      const back = await ws.ok(['copy', '--from', db, '--to', ws.path('back.db')]);
      expect(back.hash).toBe(there.hash);
      // The copy works as a store of its own (a search also adds a search-history row there).
      const found = await ws.ok(['--db', db, 'search', 'S0C7']);
      expect(found.results[0].title).toMatch(/S0C7/);
      // A target holding other content is refused (exit 3, CONFLICT) and left as it was.
      const other = ws.path('other.db');
      await ws.init(['--db', other]);
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
      const refused = await ws.run(['--json', 'copy', '--from', db, '--to', other]);
      expect(refused.code).toBe(3);
      expect(refused.errorJson().error.code).toBe('CONFLICT');
      const replaced = await ws.ok(['copy', '--from', db, '--to', other, '--replace']);
      expect(replaced.copied).toBe(true);
      expect(replaced.hash).not.toBe(there.hash);
    });

    it('reads the target from $KB_DATABASE_URL', async () => {
      const db = await targetUrl(stores!);
      await ws.ok(['init', '--sample'], { env: { KB_DATABASE_URL: db } });
      const found = await ws.ok(['search', 'VSAM status 35'], { env: { KB_DATABASE_URL: db } });
      expect(found.total).toBeGreaterThan(0);
    });
  });
}
