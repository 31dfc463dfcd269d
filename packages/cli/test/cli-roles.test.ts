import { chownSync } from 'node:fs';
import { createStorage } from '@mainframe-kb/storage-core';
import { postgresStores, rawAccessPlugin, rawDb, skipReason, testDatabaseUrl } from '@mainframe-kb/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** Who may do what through `kb`: the config file's `cli` section, and the owner rule (docs/cli-roles.md). */

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const ENTRY = [
  '--title',
  'SQLCODE -911 in NIGHTLY',
  '--problem',
  'Deadlock or timeout on DB2 update',
  '--solution',
  'Commit more often; retry the unit of work',
  '--category',
  'DB2',
];

const as = (actor: string) => ({ env: { KB_ACTOR: actor } });

/** Reads the store file as it is, around kb. */
async function readStore<T>(read: (db: ReturnType<typeof rawDb>) => Promise<T>): Promise<T> {
  const storage = await createStorage(
    { database: { type: 'sqlite', path: ws.path('kb.db') } },
    { migrate: 'none', actor: { id: 'test-reader', role: 'viewer' }, plugins: [rawAccessPlugin] },
  );
  try {
    return await read(rawDb(storage));
  } finally {
    await storage.close();
  }
}

async function entryIds(): Promise<string[]> {
  const rows = await readStore((db) => db.selectFrom('kb_entries').select('id').execute());
  return rows.map((r: { id: string }) => r.id).sort();
}

/** The audit rows' actor and role, oldest first. */
function auditActors(): Promise<{ actor: string; role: string }[]> {
  return readStore((db) => db.selectFrom('kb_audit').select(['actor', 'role']).orderBy('seq').execute());
}

describe('with cli.roles in the config file', () => {
  beforeEach(async () => {
    // Created while no config maps roles: the owner loads the sample as admin.
    await ws.ok(['init', '--sample']);
    ws.writeConfig({ cli: { roles: { alice: 'viewer', bob: 'editor', carol: 'admin' } } });
  });

  it('refuses a viewer adding an entry with exit 3, naming the role and what it needs; nothing is written', async () => {
    const before = await entryIds();
    const audited = (await auditActors()).length;
    const refused = await ws.run(['--json', 'add', ...ENTRY], as('alice'));
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(Object.keys(refused.errorJson())).toEqual(['error']);
    const { error } = refused.errorJson();
    expect(Object.keys(error)).toEqual(['code', 'message']);
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain("'alice' (viewer) may not entry.create; it needs the editor role");
    expect(error.message).toContain(`cli.roles of ${ws.path('kb.config.json')} maps 'alice' to viewer`);
    expect(await entryIds()).toEqual(before);
    expect(await auditActors()).toHaveLength(audited);

    const human = await ws.run(['add', ...ENTRY], as('alice'));
    expect(human.code).toBe(3);
    expect(human.stderr).toMatch(/^kb: 'alice' \(viewer\) may not entry\.create; it needs the editor role/);
  });

  it('lets a viewer search and get', async () => {
    const found = await ws.ok(['search', 'S0C7'], as('alice'));
    expect(found.results[0].title).toMatch(/S0C7/);
    expect((await ws.ok(['get', found.results[0].id], as('alice'))).id).toBe(found.results[0].id);
  });

  it('lets an editor add and update, and the audit trail records the actor id', async () => {
    const before = await entryIds();
    const { id } = await ws.ok<{ id: string }>(['add', ...ENTRY], as('bob'));
    expect(await entryIds()).toEqual([...before, id].sort());
    await ws.ok(['update', id, '--title', 'SQLCODE -911 in NIGHTLY (DB2)'], as('bob'));
    expect(await auditActors()).toContainEqual({ actor: 'bob', role: 'editor' });

    // Admin-only operations stay refused to an editor.
    const optimize = await ws.run(['--json', 'optimize'], as('bob'));
    expect(optimize.code).toBe(3);
    expect(optimize.errorJson().error.message).toContain(
      '(editor) may not storage.optimize; it needs the admin role',
    );
    expect((await ws.run(['--json', 'optimize'], as('carol'))).code).toBe(0);
  });

  it('gives an actor the mapping does not name the least role, viewer, even the owner of the file', async () => {
    const stranger = await ws.run(['--json', 'add', ...ENTRY], as('mallory'));
    expect(stranger.code).toBe(3);
    expect(stranger.errorJson().error.message).toContain("'mallory' (viewer)");
    expect(stranger.errorJson().error.message).toContain('there is no cli.defaultRole');
    expect((await ws.run(['--json', 'search', 'S0C7'], as('mallory'))).code).toBe(0);

    // The test process owns kb.db, but a cli.roles section means only the mapping counts.
    expect((await ws.run(['--json', 'add', ...ENTRY])).code).toBe(3);
  });

  it('matches the plain operating-system user name, and records it as cli:<user>', async () => {
    const { id } = await ws.ok<{ id: string }>(['add', ...ENTRY], { env: { USER: 'bob' } });
    expect(id).toMatch(/\S/);
    expect(await auditActors()).toContainEqual({ actor: 'cli:bob', role: 'editor' });
    // $KB_ACTOR wins over $USER.
    expect((await ws.run(['add', ...ENTRY], { env: { USER: 'bob', KB_ACTOR: 'alice' } })).code).toBe(3);
  });
});

describe('precedence: cli.roles[actor], then cli.roles["*"], then cli.defaultRole, then viewer', () => {
  beforeEach(async () => {
    await ws.ok(['init']);
  });

  it('uses "*" before cli.defaultRole', async () => {
    ws.writeConfig({ cli: { roles: { alice: 'viewer', '*': 'editor' }, defaultRole: 'viewer' } });
    expect((await ws.run(['add', ...ENTRY], as('dave'))).code).toBe(0);
    expect((await ws.run(['add', ...ENTRY], as('alice'))).code).toBe(3);
  });

  it('uses cli.defaultRole for actors cli.roles does not name', async () => {
    ws.writeConfig({ cli: { roles: { alice: 'viewer' }, defaultRole: 'editor' } });
    expect((await ws.run(['add', ...ENTRY], as('dave'))).code).toBe(0);
    const admin = await ws.run(['--json', 'optimize'], as('dave'));
    expect(admin.code).toBe(3);
    expect(admin.errorJson().error.message).toContain('cli.defaultRole is editor');
  });

  it('takes an empty cli.roles as a mapping: the owner rule no longer applies', async () => {
    ws.writeConfig({ cli: { roles: {} } });
    expect((await ws.run(['add', ...ENTRY])).code).toBe(3);
  });

  it('reads the cli section of a --config file, and hands the rest to the store', async () => {
    const file = ws.writeConfig({ cli: { roles: { bob: 'editor' } }, mvp: { extensions: [] } }, 'roles.json');
    expect((await ws.run(['--config', file, 'add', ...ENTRY], as('bob'))).code).toBe(0);
    expect((await ws.run(['--config', file, 'add', ...ENTRY], as('alice'))).code).toBe(3);
    expect(await ws.ok(['--config', file, 'plugins'], as('bob'))).toMatchObject({ plugins: [] });
  });
});

describe('the owner rule: no cli.roles anywhere', () => {
  it('lets whoever creates the store init --sample and add, with no config file at all', async () => {
    expect(await ws.ok(['init', '--sample'], as('newcomer'))).toMatchObject({ created: true });
    const { id } = await ws.ok<{ id: string }>(['add', ...ENTRY], as('newcomer'));
    expect(id).toMatch(/\S/);
    expect(await auditActors()).toContainEqual({ actor: 'newcomer', role: 'admin' });
  });

  it('still applies with a config file that maps no roles', async () => {
    await ws.ok(['init']);
    ws.writeConfig({ cli: { defaultRole: 'viewer' }, performance: {} });
    expect((await ws.run(['add', ...ENTRY])).code).toBe(0);
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)('gives someone who does not own the store file viewer (or cli.defaultRole)', async () => {
    await ws.ok(['init']);
    chownSync(ws.path('kb.db'), 4242, 4242);
    const refused = await ws.run(['--json', 'add', ...ENTRY]);
    expect(refused.code).toBe(3);
    expect(refused.errorJson().error.message).toContain(`does not own ${ws.path('kb.db')}`);
    expect((await ws.run(['--json', 'search', 'S0C7'])).code).toBe(0);

    ws.writeConfig({ cli: { defaultRole: 'editor' } });
    expect((await ws.run(['add', ...ENTRY])).code).toBe(0);
  });
});

describe('an invalid cli section is a config error (exit 2) naming the field', () => {
  beforeEach(async () => {
    await ws.ok(['init']);
  });

  const cases: [string, unknown, RegExp][] = [
    [
      'a role that does not exist',
      { roles: { alice: 'superuser' } },
      /cli\.roles\.alice must be one of viewer, editor, admin, got "superuser"/,
    ],
    ['a bad defaultRole', { defaultRole: 'root' }, /cli\.defaultRole must be one of viewer, editor, admin/],
    ['roles that are not an object', { roles: ['alice'] }, /cli\.roles must be an object/],
    ['an unknown key', { role: { alice: 'viewer' } }, /cli\.role is not a setting/],
    ['a section that is not an object', 'admin', /cli must be an object/],
  ];
  for (const [what, cli, message] of cases) {
    it(`refuses ${what}`, async () => {
      ws.writeConfig({ cli });
      const result = await ws.run(['--json', 'search', 'S0C7'], as('alice'));
      expect(result.code).toBe(2);
      expect(result.errorJson().error.code).toBe('CONFIG_INVALID');
      expect(result.errorJson().error.message).toMatch(message);
      expect(result.errorJson().error.message).toContain(ws.path('kb.config.json'));
    });
  }
});

const pgUrl = testDatabaseUrl('postgresql');
describe.skipIf(!pgUrl)(
  pgUrl ? 'roles on a server store' : `roles on a server store (${skipReason('postgresql')})`,
  () => {
    const stores = pgUrl ? postgresStores(pgUrl) : undefined;
    afterAll(async () => stores?.cleanup());

    async function target(): Promise<string> {
      const db = (await stores!.database()) as { url: string; schema?: string };
      return db.schema ? `${db.url}${db.url.includes('?') ? '&' : '?'}schema=${db.schema}` : db.url;
    }

    it('gives viewer without a mapping, and the mapped role with one', async () => {
      const db = await target();
      const refused = await ws.run(['--json', '--db', db, 'init', '--sample']);
      expect(refused.code).toBe(3);
      expect(refused.errorJson().error.message).toContain('kb sees no owner of a postgresql store');
      ws.writeConfig({ cli: { roles: { ops: 'admin' } } });
      expect(await ws.ok(['--db', db, 'init', '--sample'], as('ops'))).toMatchObject({ entries: 36 });
      expect((await ws.run(['--db', db, 'add', ...ENTRY], as('alice'))).code).toBe(3);
    });
  },
);
