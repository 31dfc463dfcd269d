import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStorage, type Storage, type StorageConfigInput } from '../src/index.js';
import { dialectOf } from '../src/storage.js';
import { tamper } from './support/test-databases.js';

const entry = (title: string) => ({
  title,
  problem: `${title}: the job ended abnormally`,
  solution: 'Correct the input and restart the step.',
  category: 'jcl',
});

let dir: string;
let path: string;
const open: Storage[] = [];

async function store(config: StorageConfigInput = {}, options: Parameters<typeof createStorage>[1] = {}) {
  const s = await createStorage({ ...config, database: { path } }, options);
  open.push(s);
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-audit-keys-'));
  path = join(dir, 'kb.db');
  delete process.env.KB_AUDIT_KEY;
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

interface AuditRowRecord {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  entity: string;
  entity_id: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
  key_id?: string | null;
}

async function rows(storage: Storage): Promise<AuditRowRecord[]> {
  return (await dialectOf(storage)
    .db.selectFrom('kb_audit')
    .selectAll()
    .orderBy('seq')
    .execute()) as AuditRowRecord[];
}

/** The key file's keys (base64 lines), oldest first. */
function keysIn(file: string): Buffer[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => Buffer.from(l.trim(), 'base64'));
}

/** What an attacker without the key can compute: the length-prefixed fields, hashed or keyed with a guess. */
function forgedHash(row: AuditRowRecord, prev: string, mac?: { key: Buffer; keyId: string }): string {
  const fields = [prev, row.at, row.actor, row.role, row.action, row.entity, row.entity_id, row.detail];
  const h = mac ? createHmac('sha256', mac.key) : createHash('sha256');
  const all = mac ? ['kb-audit-hmac-v1', mac.keyId, ...fields] : fields;
  for (const f of all) h.update(f === null ? '-|' : `${f.length}:${f}|`);
  return h.digest('hex');
}

/** Edits row `seq`'s detail and re-chains every later row with `rehash` (as one who got past the guard). */
async function editAndRechain(
  storage: Storage,
  seq: number,
  rehash: (row: AuditRowRecord, prev: string) => { hash: string; key_id?: string | null },
): Promise<void> {
  const all = await rows(storage);
  await tamper(storage, async (trx: Transaction<any>) => {
    let prev = all.find((r) => r.seq === seq)!.prev_hash;
    for (const row of all.filter((r) => r.seq >= seq)) {
      const edited = {
        ...row,
        detail: row.seq === seq ? '{"title":"nothing to see"}' : row.detail,
        prev_hash: prev,
      };
      const { hash, key_id } = rehash(edited, prev);
      const set: Record<string, unknown> = { detail: edited.detail, prev_hash: prev, hash };
      if (key_id !== undefined) set.key_id = key_id;
      await trx.updateTable('kb_audit').set(set).where('seq', '=', row.seq).execute();
      prev = hash;
    }
    await trx.updateTable('kb_audit_head').set({ hash: prev }).where('id', '=', 1).execute();
  });
}

describe('a keyed audit chain (HMAC-SHA-256, key outside the database)', () => {
  it('keys every row with a key file created owner-only beside the database on the first write', async () => {
    const storage = await store();
    expect(existsSync(`${path}.audit-key`)).toBe(false);
    await storage.createEntries([entry('S0C7 in PAYROLL'), entry('S0C4 in BILLING')]);
    const file = `${path}.audit-key`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [key] = keysIn(file);
    expect(key!.length).toBeGreaterThanOrEqual(32);
    const written = await rows(storage);
    expect(written.length).toBe(2);
    const keyId = written[0]!.key_id;
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(written.every((r) => r.key_id === keyId)).toBe(true);
    // The key itself is nowhere in the database.
    const bytes = readFileSync(path);
    expect(bytes.includes(key!)).toBe(false);
    expect(bytes.includes(Buffer.from(key!.toString('base64')))).toBe(false);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 2 });
  });

  it('detects an edited row re-chained with plain SHA-256, as an unkeyed chain, or with a wrong key', async () => {
    const storage = await store();
    for (const t of ['S0C7', 'S0C4', 'S806', 'SB37', 'S322']) await storage.createEntry(entry(t));
    const keyId = (await rows(storage))[0]!.key_id!;

    // The key id kept, the hash recomputed without the key: every row from the edit on is wrong.
    await editAndRechain(storage, 2, (row, prev) => ({ hash: forgedHash(row, prev) }));
    expect(await storage.verifyAuditChain()).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'hash' });

    // Relabelled as rows of the first, unkeyed scheme: an unkeyed row after a keyed one is a downgrade.
    await editAndRechain(storage, 2, (row, prev) => ({ hash: forgedHash(row, prev), key_id: null }));
    expect(await storage.verifyAuditChain()).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      problem: 'downgrade',
    });

    // An HMAC with a guessed key under the real key id.
    const guess = { key: randomBytes(32), keyId };
    await editAndRechain(storage, 2, (row, prev) => ({ hash: forgedHash(row, prev, guess), key_id: keyId }));
    expect(await storage.verifyAuditChain()).toMatchObject({ ok: false, firstBadSeq: 2, problem: 'hash' });

    // Under a key id of the attacker's own: a key this store does not have, named, and not ok.
    const own = { key: randomBytes(32), keyId: 'feedfacefeedface' };
    await editAndRechain(storage, 2, (row, prev) => ({
      hash: forgedHash(row, prev, own),
      key_id: own.keyId,
    }));
    const verdict = await storage.verifyAuditChain();
    expect(verdict).toMatchObject({
      ok: false,
      problem: 'key-missing',
      missingKeys: { feedfacefeedface: 4 },
    });
    expect(verdict.message).toContain('feedfacefeedface');
    expect((await storage.healthCheck()).probes.find((p) => p.name === 'audit')?.status).toBe('unhealthy');
  });

  it('keeps verifying the unkeyed rows of a store written before keys, and keys the rows after', async () => {
    // A store as the release before this one left it: migrated to 0004, rows hashed with plain SHA-256.
    const old = await store({}, { migrate: 'none' });
    const up = await old.migrateUp({ to: 'core:0004_entries_usage_idx' });
    expect(up.error).toBeUndefined();
    const db = dialectOf(old).db;
    let prev = '0'.repeat(64);
    for (let seq = 1; seq <= 3; seq++) {
      const row = {
        seq,
        at: `2024-01-0${seq}T00:00:00.000Z`,
        actor: 'system',
        role: 'admin',
        action: 'create',
        entity: 'entry',
        entity_id: `old-${seq}`,
        detail: null,
        prev_hash: prev,
        hash: '',
      };
      row.hash = forgedHash(row, prev);
      await db.insertInto('kb_audit').values(row).execute();
      prev = row.hash;
    }
    await db.updateTable('kb_audit_head').set({ seq: 3, hash: prev }).where('id', '=', 1).execute();
    await old.close();

    const storage = await store();
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 3, unkeyed: 3 });
    await storage.createEntry(entry('S0C1 operation exception'));
    const written = await rows(storage);
    expect(written.map((r) => r.key_id ?? null)).toEqual([
      null,
      null,
      null,
      expect.stringMatching(/^[0-9a-f]{16}$/),
    ]);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 4, unkeyed: 3 });
    // Unkeyed rows prove nothing until a checkpoint seals them: degraded, then healthy once sealed.
    expect((await storage.healthCheck()).probes.find((p) => p.name === 'audit')?.status).toBe('degraded');
    await storage.auditCheckpoint();
    expect((await storage.healthCheck()).probes.find((p) => p.name === 'audit')?.status).toBe('healthy');
  });

  it('rotates: new rows are signed with the new key, rows of the old one still verify', async () => {
    const storage = await store();
    await storage.createEntry(entry('S0C7'));
    const first = (await rows(storage))[0]!.key_id;
    const rotated = await storage.rotateAuditKey();
    expect(rotated.previous).toBe(first);
    expect(rotated.keyId).not.toBe(first);
    await storage.createEntry(entry('S0C4'));
    const written = await rows(storage);
    expect(written.map((r) => r.key_id)).toEqual([first, rotated.keyId, rotated.keyId]);
    expect(written[1]).toMatchObject({ action: 'audit-key-rotate', entity_id: rotated.keyId });
    expect(keysIn(`${path}.audit-key`)).toHaveLength(2);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 3 });
    await storage.close();
    // Another process (a reopen) reads both keys.
    expect(await (await store()).verifyAuditChain()).toEqual({ ok: true, rows: 3 });
  });

  it('names the missing key when the keyring lost it, and verifies again once it is back', async () => {
    const storage = await store();
    await storage.createEntries([entry('S0C7'), entry('S0C4')]);
    const file = `${path}.audit-key`;
    const saved = readFileSync(file, 'utf8');
    const keyId = (await rows(storage))[0]!.key_id!;
    await storage.close();
    rmSync(file);

    const without = await store();
    const verdict = await without.verifyAuditChain();
    expect(verdict).toMatchObject({ ok: false, problem: 'key-missing', missingKeys: { [keyId]: 2 } });
    expect(verdict.message).toContain(keyId);
    expect(verdict.message).toContain(file);
    // Writes go on under a new key (the chain stays keyed; nothing is chained without a key).
    await without.createEntry(entry('S806'));
    const written = await rows(without);
    expect(written[2]!.key_id).not.toBe(keyId);
    expect(written[2]!.key_id).not.toBeNull();
    expect(await without.verifyAuditChain()).toMatchObject({ ok: false, missingKeys: { [keyId]: 2 } });
    // The operator restores the old key to the keyring (older keys first, the last line signs).
    const current = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const old = saved.split('\n').filter((l) => l && !l.startsWith('#'));
    writeFileSync(file, `${[...old, ...current].join('\n')}\n`, { mode: 0o600 });
    expect(await without.verifyAuditChain()).toEqual({ ok: true, rows: 3 });
  });

  it('takes keys from audit.keyFile or KB_AUDIT_KEY instead of the file beside the database', async () => {
    const key = randomBytes(32).toString('base64');
    process.env.KB_AUDIT_KEY = key;
    try {
      const storage = await store();
      await storage.createEntry(entry('S0C7'));
      expect(existsSync(`${path}.audit-key`)).toBe(false);
      expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
      await expect(storage.rotateAuditKey()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    } finally {
      delete process.env.KB_AUDIT_KEY;
    }
    const keyFile = join(dir, 'keys', 'ring');
    const configured = await createStorage({
      database: { path: join(dir, 'other.db') },
      audit: { keyFile },
    }).catch((e: unknown) => e);
    // The folder does not exist: the first keyed write says where it could not create the key file.
    expect(configured).not.toBeInstanceOf(Error);
    const s = configured as Storage;
    open.push(s);
    await expect(s.createEntry(entry('S0C4'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    writeFileSync(join(dir, 'ring'), `# ours\n${key}\n`, { mode: 0o600 });
    const shared = await store({ audit: { keyFile: join(dir, 'ring') } });
    expect(await shared.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
  });

  it('refuses a key that is not base64 of 32 bytes or more, naming where it is', async () => {
    writeFileSync(join(dir, 'ring'), 'c2hvcnQ=\n');
    const storage = await store({ audit: { keyFile: join(dir, 'ring') } });
    await expect(storage.createEntry(entry('S0C7'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(join(dir, 'ring')),
    });
  });
});
