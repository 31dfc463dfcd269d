import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditCheckpoint,
  checkpointSignatureValid,
  copyStore,
  createStorage,
  type Storage,
} from '../src/index.js';
import { tamper } from './support/test-databases.js';

const entry = (title: string) => ({
  title,
  problem: `${title}: the job ended abnormally`,
  solution: 'Correct the input and restart the step.',
  category: 'jcl',
});

let dir: string;
const open: Storage[] = [];

async function store(name = 'kb'): Promise<Storage> {
  const s = await createStorage({ database: { path: join(dir, `${name}.db`) } });
  open.push(s);
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-audit-cp-'));
  delete process.env.KB_AUDIT_KEY;
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const auditProbe = async (storage: Storage) =>
  (await storage.healthCheck()).probes.find((p) => p.name === 'audit')!;

/** Deletes every row after `keep` and points the head at row `keep`: a tail cut with its traces covered. */
async function truncate(storage: Storage, keep: number): Promise<void> {
  await tamper(storage, async (trx) => {
    const row = await trx
      .selectFrom('kb_audit')
      .select('hash')
      .where('seq', '=', keep)
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('kb_audit').where('seq', '>', keep).execute();
    await trx.updateTable('kb_audit_head').set({ seq: keep, hash: row.hash }).where('id', '=', 1).execute();
  });
}

describe('signed checkpoints of the audit chain’s head', () => {
  it('signs the head and appends it, owner-only, to the checkpoint file beside the database', async () => {
    const storage = await store();
    await storage.createEntries([entry('S0C7'), entry('S0C4'), entry('S806')]);
    const { checkpoint, file } = await storage.auditCheckpoint();
    expect(file).toBe(join(dir, 'kb.db.audit-checkpoints'));
    expect(checkpoint).toMatchObject({ seq: 3, keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(checkpoint.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(checkpoint.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file!, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([checkpoint]);
    // Anyone holding the key checks it outside the store.
    const key = Buffer.from(
      readFileSync(join(dir, 'kb.db.audit-key'), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .at(-1)!,
      'base64',
    );
    expect(checkpointSignatureValid(checkpoint, key)).toBe(true);
    expect(checkpointSignatureValid({ ...checkpoint, seq: 2 }, key)).toBe(false);
    await storage.createEntry(entry('SB37'));
    expect((await storage.auditCheckpoint()).checkpoint.seq).toBe(4);
    expect(readFileSync(file!, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('detects a tail deleted with the head moved back: verify with a checkpoint fails, health is unhealthy', async () => {
    const storage = await store();
    for (const t of ['S0C7', 'S0C4', 'S806', 'SB37', 'S322', 'S013']) await storage.createEntry(entry(t));
    const { checkpoint, file } = await storage.auditCheckpoint();
    expect(checkpoint.seq).toBe(6);
    await truncate(storage, 3);

    // Without any checkpoint the cut chain looks whole: that is what checkpoints are for.
    renameSync(file!, `${file}.kept-elsewhere`);
    expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: 3 });

    // The checkpoint the operator kept elsewhere, passed in:
    const kept = JSON.parse(readFileSync(`${file}.kept-elsewhere`, 'utf8')) as AuditCheckpoint;
    expect(await storage.verifyAuditChain({ since: kept })).toMatchObject({
      ok: false,
      problem: 'checkpoint',
    });

    // The checkpoint file beside the database: verify and health both read it.
    renameSync(`${file}.kept-elsewhere`, file!);
    const verdict = await storage.verifyAuditChain();
    expect(verdict).toMatchObject({ ok: false, problem: 'checkpoint', firstBadSeq: 4 });
    expect(verdict.message).toMatch(/removed from its end/);
    const probe = await auditProbe(storage);
    expect(probe.status).toBe('unhealthy');
    expect((await storage.healthCheck()).status).toBe('unhealthy');
    // And no new checkpoint can paper over it.
    await expect(storage.auditCheckpoint()).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('detects a chain re-chained in the middle under the checkpoint, and a forged checkpoint line', async () => {
    const storage = await store();
    for (const t of ['S0C7', 'S0C4', 'S806', 'SB37']) await storage.createEntry(entry(t));
    const { file } = await storage.auditCheckpoint();
    // Row 2 deleted and row 3 relinked to row 1 (its hash no longer matters: the checkpoint's does).
    await tamper(storage, async (trx) => {
      const one = await trx
        .selectFrom('kb_audit')
        .select('hash')
        .where('seq', '=', 1)
        .executeTakeFirstOrThrow();
      await trx.deleteFrom('kb_audit').where('seq', '=', 2).execute();
      await trx.updateTable('kb_audit').set({ prev_hash: one.hash }).where('seq', '=', 3).execute();
    });
    expect(await storage.verifyAuditChain()).toMatchObject({ ok: false });
    const line = JSON.parse(readFileSync(file!, 'utf8')) as AuditCheckpoint;
    writeFileSync(file!, `${JSON.stringify({ ...line, seq: 1 })}\n`);
    expect(await storage.verifyAuditChain()).toMatchObject({ ok: false, problem: 'checkpoint' });
    expect((await storage.verifyAuditChain()).message).toMatch(/bad signature/);
  });

  it('verifies incrementally in health: from the last checkpoint, which kb audit checkpoint moves', async () => {
    const storage = await store();
    await storage.createEntries(Array.from({ length: 20 }, (_, i) => entry(`JOB${i} abend`)));
    for (let i = 0; i < 5; i++) await storage.createEntry(entry(`STEP${i} abend`));
    let probe = await auditProbe(storage);
    expect(probe).toMatchObject({ status: 'healthy', data: { rows: 25 } });
    expect(probe.detail).toMatch(/from the first row/);
    await storage.auditCheckpoint();
    await storage.createEntry(entry('after the checkpoint'));
    probe = await auditProbe(storage);
    expect(probe).toMatchObject({ status: 'healthy', data: { rows: 1, since: 25 } });
    expect(probe.detail).toMatch(/since the checkpoint of row 25/);
    // What health does not read (a row before the checkpoint), the full verification does.
    await tamper(storage, (trx) =>
      trx.updateTable('kb_audit').set({ actor: 'mallory' }).where('seq', '=', 2).execute(),
    );
    expect((await auditProbe(storage)).status).toBe('healthy');
    expect(await storage.verifyAuditChain()).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it('lets a load that replaces the chain (a restore) set the older checkpoints aside with a signed load checkpoint', async () => {
    const live = await store('live');
    for (const t of ['S0C7', 'S0C4', 'S806', 'SB37']) await live.createEntry(entry(t));
    await live.auditCheckpoint();
    const backup = await store('backup');
    await backup.createEntry(entry('an older state'));
    await copyStore(backup, live, { replace: true });
    // The restored chain is shorter than the checkpoint of row 4, yet this load was the store's own doing.
    expect(await live.verifyAuditChain()).toEqual({ ok: true, rows: 1 });
    const lines = readFileSync(join(dir, 'live.db.audit-checkpoints'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'load', seq: 1 });
    expect((await auditProbe(live)).status).toBe('healthy');
  });

  it('writes no checkpoint file for a store that keeps none (a restore target that was never checkpointed)', async () => {
    const source = await store('source');
    await source.createEntry(entry('S0C7'));
    const target = await store('target');
    await copyStore(source, target);
    expect(existsSync(join(dir, 'target.db.audit-checkpoints'))).toBe(false);
  });
});
