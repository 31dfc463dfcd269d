import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_GENESIS,
  auditKeyId,
  auditRowHash,
  copyStore,
  createStorage,
  type Storage,
  type TableBatch,
} from '../src/index.js';
import { dialectOf } from '../src/storage.js';

const entry = (title: string) => ({
  title,
  problem: `${title}: the job ended abnormally`,
  solution: 'Correct the input and restart the step.',
  category: 'jcl',
});

let dir: string;
const open: Storage[] = [];
const LOADER = { id: 'restorer', role: 'admin' as const };

/** Stores sharing one keyring, as stores of one installation configured with audit.keyFile do. */
async function store(name: string, keyFile: string | null = join(dir, 'keyring')): Promise<Storage> {
  const s = await createStorage(
    { database: { path: join(dir, `${name}.db`) }, ...(keyFile ? { audit: { keyFile } } : {}) },
    { actor: LOADER },
  );
  open.push(s);
  return s;
}

async function exported(storage: Storage): Promise<TableBatch[]> {
  const batches: TableBatch[] = [];
  for await (const batch of storage.exportTables()) batches.push(batch);
  return batches;
}

async function* replay(batches: readonly TableBatch[]): AsyncGenerator<TableBatch> {
  yield* batches;
}

/** The batches with one audit row's detail changed, as an edited export file would carry it. */
function forged(batches: readonly TableBatch[], seq: number): TableBatch[] {
  return batches.map((b) =>
    b.table !== 'kb_audit'
      ? b
      : { ...b, rows: b.rows.map((r) => (Number(r.seq) === seq ? { ...r, detail: '{"forged":true}' } : r)) },
  );
}

/** The batches with the audit chain re-signed under `key` (rows of another installation, say). */
function signedWith(batches: readonly TableBatch[], key: Buffer): TableBatch[] {
  const keyId = auditKeyId(key);
  let prev = AUDIT_GENESIS;
  return batches.map((b) => {
    if (b.table !== 'kb_audit') return b;
    const rows = [...b.rows]
      .sort((x, y) => Number(x.seq) - Number(y.seq))
      .map((r) => {
        const fields = {
          prev,
          at: String(r.at),
          actor: String(r.actor),
          role: String(r.role),
          action: String(r.action),
          entity: String(r.entity),
          entityId: (r.entity_id as string | null) ?? null,
          detail: (r.detail as string | null) ?? null,
          keyId,
        };
        const hash = auditRowHash(fields, key);
        const row = { ...r, prev_hash: prev, hash, key_id: keyId };
        prev = hash;
        return row;
      });
    return { ...b, rows };
  });
}

async function auditActions(storage: Storage) {
  return dialectOf(storage).db.selectFrom('kb_audit').select(['action', 'actor']).orderBy('seq').execute();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-audit-import-'));
  writeFileSync(join(dir, 'keyring'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  delete process.env.KB_AUDIT_KEY;
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

describe('loads that bring audit rows verify them, and are recorded', () => {
  it('refuses a load whose audit chain holds a forged row with INTEGRITY, writing nothing', async () => {
    const source = await store('source');
    await source.createEntries([entry('S0C7'), entry('S0C4'), entry('S806')]);
    const batches = await exported(source);
    const target = await store('target');
    const before = await target.contentHash();
    const error = await target.importTables(replay(forged(batches, 2))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTEGRITY' });
    expect((error as Error).message).toMatch(/row 2/);
    expect((await target.contentHash()).hash).toBe(before.hash);
    expect(await target.countEntries()).toBe(0);
    // Replacing a store's content with it is refused the same way, and leaves the content as it was.
    await target.createEntry(entry('kept'));
    const kept = await target.contentHash();
    await expect(target.importTables(replay(forged(batches, 3)), { replace: true })).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
    expect((await target.contentHash()).hash).toBe(kept.hash);
  });

  it('loads an intact chain as it is, and records the load as the next row appended', async () => {
    const source = await store('source');
    await source.createEntries([entry('S0C7'), entry('S0C4')]);
    const target = await store('target');
    const result = await target.importTables(replay(await exported(source)));
    expect(result.audit).toEqual({ rows: 2, missingKeys: {} });
    // Exactly the source's content, audit trail included: a copy's or a restore's comparison holds.
    expect((await target.contentHash()).hash).toBe((await source.contentHash()).hash);
    await target.createEntry(entry('after the load'));
    const actions = await auditActions(target);
    expect(actions.map((a) => a.action)).toEqual(['create', 'create', 'storage-import', 'create']);
    expect(actions[2]!.actor).toBe('restorer');
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 4 });
  });

  it('records a partial load too, without creating a key file for a target that has none', async () => {
    const source = await store('source');
    await source.createEntries([entry('S0C7'), entry('S0C4')]);
    const target = await store('target', null);
    const batches = (await exported(source)).filter((b) => b.table === 'kb_entries' || b.table === 'kb_tags');
    await target.importTables(replay(batches), { tables: ['kb_entries', 'kb_tags'] });
    // A restore builds a new file under a scratch name and renames it: no key file may appear beside it.
    expect(existsSync(join(dir, 'target.db.audit-key'))).toBe(false);
    await target.createEntry(entry('after the load'));
    const rows = await dialectOf(target).db.selectFrom('kb_audit').selectAll().orderBy('seq').execute();
    // Nothing could sign the record at the load (a new file, no key yet, no chain brought): it says so.
    expect(rows.map((r) => r.action)).toEqual(['storage-import-unverified', 'create']);
    expect(rows[0]).toMatchObject({ entity: 'store', actor: 'restorer' });
    expect(JSON.parse(rows[0]!.detail)).toEqual({ tables: { kb_entries: 2 }, replace: false });
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
  });

  it('refuses the next write when a signed load record was altered in the head; a planted one shows as unverified', async () => {
    const source = await store('source');
    await source.createEntries([entry('S0C7'), entry('S0C4')]);
    const target = await store('target');
    await target.importTables(replay(await exported(source)));
    const pendingOf = async () =>
      JSON.parse(
        String(
          (await dialectOf(target).db.selectFrom('kb_audit_head').select('pending').executeTakeFirstOrThrow())
            .pending,
        ),
      ) as Record<string, unknown>[];
    const [load] = await pendingOf();
    expect(load).toMatchObject({ actor: 'restorer', keyId: expect.any(String), mac: expect.any(String) });
    const setPending = (value: unknown) =>
      dialectOf(target)
        .db.updateTable('kb_audit_head')
        .set({ pending: JSON.stringify(value) })
        .execute();
    await setPending([{ ...load, actor: 'somebody-else' }]);
    await expect(target.createEntry(entry('refused'))).rejects.toMatchObject({ code: 'INTEGRITY' });
    // A record planted without a signature cannot pass as a signed one.
    await setPending([{ at: load!.at, actor: 'somebody-else', role: 'admin', detail: '{}' }]);
    await target.createEntry(entry('after'));
    const actions = await auditActions(target);
    expect(actions.slice(-2)).toEqual([
      { action: 'storage-import-unverified', actor: 'somebody-else' },
      { action: 'create', actor: 'restorer' },
    ]);
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 4 });
  });

  it('verifies a chain another store of this process wrote; a new target keeps that key in memory only', async () => {
    const source = await store('source', null);
    await source.createEntries([entry('S0C7'), entry('S0C4')]);
    const target = await store('target', null);
    const result = await target.importTables(replay(await exported(source)));
    expect(result.audit).toEqual({ rows: 2, missingKeys: {} });
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
    // No key file beside a new target (a restore's scratch name would leave it behind): reopened, the
    // store names the key it needs until the operator gives it.
    expect(existsSync(join(dir, 'target.db.audit-key'))).toBe(false);
    await target.close();
    const reopened = await store('target', null);
    expect(await reopened.verifyAuditChain()).toMatchObject({ ok: false, problem: 'key-missing' });
    writeFileSync(join(dir, 'target.db.audit-key'), readFileSync(join(dir, 'source.db.audit-key')), {
      mode: 0o600,
    });
    expect(await reopened.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
  });

  it('loads rows keyed with a key no store of this process has, names it, and verifies once given it', async () => {
    const source = await store('source', null);
    await source.createEntries([entry('S0C7'), entry('S0C4'), entry('S806')]);
    const foreign = randomBytes(32);
    const batches = signedWith(await exported(source), foreign);
    const target = await store('target', null);
    const result = await target.importTables(replay(batches));
    const id = auditKeyId(foreign);
    expect(result.audit).toEqual({ rows: 3, missingKeys: { [id]: 3 } });
    const verdict = await target.verifyAuditChain();
    expect(verdict).toMatchObject({ ok: false, problem: 'key-missing', missingKeys: { [id]: 3 } });
    writeFileSync(join(dir, 'target.db.audit-key'), `${foreign.toString('base64')}\n`, { mode: 0o600 });
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 3 });
    // Now that a store of this process has the key, a row forged under it is refused by any load.
    await expect((await store('other', null)).importTables(replay(forged(batches, 2)))).rejects.toMatchObject(
      {
        code: 'INTEGRITY',
      },
    );
  });

  it('copyStore hands the target the source’s keys and keeps its own comparison and idempotence', async () => {
    const source = await store('source', null);
    await source.createEntries([entry('S0C7'), entry('S0C4')]);
    const target = await store('target', null);
    const copied = await copyStore(source, target);
    expect(copied.copied).toBe(true);
    expect(copied.hash.hash).toBe((await source.contentHash()).hash);
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
    expect((await copyStore(source, target)).copied).toBe(false);
    await target.createEntry(entry('after the copy'));
    expect((await auditActions(target)).map((a) => a.action)).toEqual([
      'create',
      'create',
      'storage-import',
      'create',
    ]);
    expect(await target.verifyAuditChain()).toEqual({ ok: true, rows: 4 });
  });
});
