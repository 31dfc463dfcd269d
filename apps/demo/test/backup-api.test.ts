import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage, type Role } from '@mainframe-kb/storage-core';
import { loadEssentialKb, loadSeedTemplateFile } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import { DEMO_PLUGINS } from '../src/server.js';
import { TokenTable } from '../src/tokens.js';
import { type Fixture, GRANTS, openFixture, sampleEntry, TOKENS } from './support/demo-fixture.js';

const PASSPHRASE = 'a demo passphrase for the tests';

let f: Fixture;
/** The server's folders: beside the store file, by default. */
let backupDir: string;
let restoreDir: string;

async function seed(fixture: Fixture): Promise<number> {
  const ids = await fixture.storage.createEntries([
    ...loadEssentialKb(),
    ...loadSeedTemplateFile('jcl-errors.json'),
  ]);
  await fixture.storage.recordFeedback(ids[0] as string, { outcome: 'success', rating: 4 });
  return ids.length;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)],
  );
}

beforeEach(async () => {
  f = await openFixture({ app: { backup: { passphrase: PASSPHRASE } } });
  backupDir = join(f.dir, 'kb.db.backups');
  restoreDir = join(f.dir, 'kb.db.restores');
});

afterEach(async () => {
  await f.close();
});

describe('backups over HTTP', () => {
  it('creates a backup, lists it, verifies it, and restores it into a new file equal to the source', async () => {
    const count = await seed(f);
    const source = await f.storage.contentHash();
    const sourceCounts = await f.storage.rowCounts();

    const empty = await f.json('viewer', 'GET', '/api/backups');
    expect(empty).toMatchObject({ status: 200, body: { backups: [], damaged: [] } });

    const created = await f.json('admin', 'POST', '/api/backups', { type: 'full' });
    expect(created.status).toBe(201);
    const backup = created.body.backup;
    expect(backup).toMatchObject({
      type: 'full',
      kind: 'physical',
      encrypted: true,
      entryCount: count,
      dependsOn: [],
      testVerified: null,
    });
    expect(existsSync(join(backupDir, 'config'))).toBe(true);

    // Any role may list (the plugin's backup.list is viewer); no server path is shown.
    const listed = await f.call('viewer', 'GET', '/api/backups');
    const text = await listed.text();
    expect(JSON.parse(text).backups.map((b: { id: string }) => b.id)).toEqual([backup.id]);
    expect(text).not.toContain(f.dir);
    expect((await f.json('viewer', 'GET', `/api/backups/${backup.id}`)).body.checksum).toBe(backup.checksum);

    const verified = await f.json('admin', 'POST', `/api/backups/${backup.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, id: backup.id, keyed: true });
    expect(verified.body.checks.length).toBeGreaterThan(0);
    expect(verified.body.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);

    const restored = await f.json('admin', 'POST', `/api/backups/${backup.id}/restore`, { name: 'copy' });
    expect(restored.status).toBe(201);
    expect(restored.body).toMatchObject({
      id: backup.id,
      file: 'copy.db',
      restored: true,
      entryCount: count,
      comparison: { equal: true, changedTables: [] },
    });
    expect(restored.body.tables).toEqual(sourceCounts);
    expect(restored.body.checks.map((c: { name: string }) => c.name)).toContain('image-sha256');
    expect(restored.body.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);

    // The new file is a store with exactly the source's content; the live store is where it was.
    const copyPath = join(restoreDir, 'copy.db');
    expect(statSync(copyPath).isFile()).toBe(true);
    const copy = await createStorage({ database: { path: copyPath } }, { plugins: [...DEMO_PLUGINS] });
    try {
      expect(await copy.contentHash()).toEqual(source);
    } finally {
      await copy.close();
    }
    expect(await f.storage.countEntries()).toBe(count);

    const again = await f.json('admin', 'POST', `/api/backups/${backup.id}/restore`, { name: 'copy.db' });
    expect(again).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    const files = await f.json('admin', 'GET', '/api/backups/restores');
    expect(files.body.restores).toEqual([
      { file: 'copy.db', bytes: statSync(copyPath).size, modifiedAt: expect.any(String) },
    ]);

    // Each operation is on record, under the caller.
    const actions = (await f.storage.auditRows({ entity: 'backup', limit: 100 })).map((r) => [
      r.action,
      r.actor,
    ]);
    expect(actions).toEqual([
      ['backup-create', 'admin-user'],
      ['backup-verify', 'admin-user'],
      ['backup-restore', 'admin-user'],
    ]);
  });

  it('makes an incremental on the full, and restores the change with it', async () => {
    const count = await seed(f);
    const full = (await f.json('admin', 'POST', '/api/backups', {})).body.backup;
    await f.storage.createEntry(sampleEntry);
    const incremental = await f.json('admin', 'POST', '/api/backups', { type: 'incremental' });
    expect(incremental.status).toBe(201);
    expect(incremental.body.backup).toMatchObject({ type: 'incremental', dependsOn: [full.id] });
    const listed = (await f.json('viewer', 'GET', '/api/backups')).body.backups;
    expect(listed.map((b: { id: string }) => b.id)).toEqual([full.id, incremental.body.backup.id]);

    // A deep verification test-restores the chain and compares it with the live store: only the audit
    // trail has moved on (the backups' own rows).
    const deep = await f.json('admin', 'POST', `/api/backups/${incremental.body.backup.id}/verify`, {
      deep: true,
    });
    expect(deep.body).toMatchObject({ ok: true, keyed: true, comparison: { changedTables: ['kb_audit'] } });
    expect(deep.body.restoreMs).toBeGreaterThan(0);
    const after = await f.json('viewer', 'GET', `/api/backups/${incremental.body.backup.id}`);
    expect(after.body.testVerified).toEqual(expect.any(String));

    const restored = await f.json('admin', 'POST', `/api/backups/${incremental.body.backup.id}/restore`);
    expect(restored.status).toBe(201);
    expect(restored.body.file).toMatch(/^restore-.*\.db$/);
    expect(restored.body.entryCount).toBe(count + 1);
    expect(restored.body.tables.kb_entries).toBe(count + 1);
    const older = await f.json('admin', 'POST', `/api/backups/${full.id}/restore`, { name: 'older' });
    expect(older.body.tables.kb_entries).toBe(count);
    // The live store has moved on since the full: the restore says which tables differ.
    expect(older.body.comparison.equal).toBe(false);
    expect(older.body.comparison.changedTables).toContain('kb_entries');
  });

  it('restores a logical backup too', async () => {
    const count = await seed(f);
    // A row restore loads the audit trail and then records the load in it: every other table is equal.
    const tables = Object.keys((await f.storage.contentHash()).tables).filter((t) => t !== 'kb_audit');
    const source = await f.storage.contentHash({ tables });
    const created = await f.json('admin', 'POST', '/api/backups', { kind: 'logical' });
    expect(created.body.backup).toMatchObject({ kind: 'logical', entryCount: count });
    const restored = await f.json('admin', 'POST', `/api/backups/${created.body.backup.id}/restore`, {
      name: 'rows',
    });
    expect(restored.status).toBe(201);
    expect(restored.body.tables.kb_entries).toBe(count);
    const copy = await createStorage(
      { database: { path: join(restoreDir, 'rows.db') } },
      { plugins: [...DEMO_PLUGINS] },
    );
    try {
      expect(await copy.contentHash({ tables })).toEqual(source);
    } finally {
      await copy.close();
    }
  });
});

describe('damage and refusals', () => {
  it('reports a damaged pack as a failed check, and refuses to restore from it', async () => {
    await seed(f);
    const { id } = (await f.json('admin', 'POST', '/api/backups', {})).body.backup;
    const packs = filesUnder(join(backupDir, 'data'));
    expect(packs.length).toBeGreaterThan(0);
    const pack = packs[0] as string;
    const bytes = readFileSync(pack);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0xff;
    writeFileSync(pack, bytes);

    const report = await f.json('admin', 'POST', `/api/backups/${id}/verify`);
    expect(report.status).toBe(200);
    expect(report.body.ok).toBe(false);
    const failed = report.body.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed.length).toBeGreaterThan(0);
    const repository = await f.json('admin', 'POST', '/api/backups/verify');
    expect(repository.body).toMatchObject({ ok: false, id: null });

    const restored = await f.json('admin', 'POST', `/api/backups/${id}/restore`, { name: 'broken' });
    expect(restored.body.code).toBe('INTEGRITY');
    expect(existsSync(join(restoreDir, 'broken.db'))).toBe(false);
  });

  it('refuses a wrong passphrase, and an encrypted repository without one', async () => {
    await seed(f);
    const { id } = (await f.json('admin', 'POST', '/api/backups', {})).body.backup;
    // The same store behind a server configured with another passphrase.
    const misconfigured = createDemoApp({
      storage: f.storage,
      tokens: new TokenTable(GRANTS),
      backup: { passphrase: 'not the passphrase' },
    });
    const response = await misconfigured.app.request(`/api/backups/${id}/restore`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wrong' }),
    });
    await misconfigured.close();
    expect(await response.json()).toMatchObject({
      code: 'INTEGRITY',
      details: { reason: 'WRONG_PASSPHRASE' },
    });
    expect(existsSync(join(restoreDir, 'wrong.db'))).toBe(false);

    const other = await openFixture({
      config: { backup: { encryption: { passphraseEnv: 'KB_DEMO_TEST_NO_SUCH_VARIABLE' } } },
    });
    try {
      const none = await other.json('admin', 'POST', '/api/backups', {});
      expect(none).toMatchObject({
        status: 422,
        body: { code: 'VALIDATION', details: { reason: 'PASSPHRASE_REQUIRED' } },
      });
    } finally {
      await other.close();
    }
  });

  it('takes ids and names only: anything path-like is refused before the plugin', async () => {
    await seed(f);
    const { id } = (await f.json('admin', 'POST', '/api/backups', {})).body.backup;
    for (const name of ['../escape', '/tmp/evil', 'a/b', '..', '.hidden', 'x'.repeat(100)]) {
      const refused = await f.json('admin', 'POST', `/api/backups/${id}/restore`, { name });
      expect(refused).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    }
    for (const bad of ['..%2F..%2Fetc', 'manifests', `${id}x`]) {
      const refused = await f.json('admin', 'POST', `/api/backups/${bad}/restore`, {});
      expect(refused).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    }
    const unknownField = await f.json('admin', 'POST', `/api/backups/${id}/restore`, { to: '/tmp/x.db' });
    expect(unknownField).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    const missing = await f.json(
      'admin',
      'POST',
      '/api/backups/20200101t000000000z-full-00000000/restore',
      {},
    );
    expect(missing.status).toBe(404);
    expect(filesUnder(restoreDir)).toEqual([]);
  });

  it('refuses a viewer or an editor with 403: nothing is backed up, verified or restored', async () => {
    await seed(f);
    const { id } = (await f.json('admin', 'POST', '/api/backups', {})).body.backup;
    const before = await f.storage.contentHash();
    const repository = filesUnder(backupDir).sort();
    for (const role of ['viewer', 'editor'] as Role[]) {
      for (const [method, path, body] of [
        ['POST', '/api/backups', { type: 'full' }],
        ['POST', `/api/backups/${id}/verify`, { deep: true }],
        ['POST', '/api/backups/verify', undefined],
        ['POST', `/api/backups/${id}/restore`, { name: 'stolen' }],
        ['GET', '/api/backups/restores', undefined],
      ] as const) {
        const response = await f.json(role, method, path, body);
        expect(response, `${role} ${method} ${path}`).toMatchObject({
          status: 403,
          body: { code: 'FORBIDDEN' },
        });
      }
    }
    expect(await f.storage.contentHash()).toEqual(before);
    expect(filesUnder(backupDir).sort()).toEqual(repository);
    expect(existsSync(restoreDir)).toBe(false);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await f.json(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/backups',
        '/api/backups/{id}',
        '/api/backups/{id}/verify',
        '/api/backups/{id}/restore',
        '/api/backups/restores',
      ]),
    );
    expect(doc.body.components.schemas.Backup).toBeDefined();
  });
});
