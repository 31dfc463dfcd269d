import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createStorage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb, tamperAudit } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** kb audit verify | show | checkpoint (CLI.md), and kb health watching the chain. */

let ws: Workspace;
beforeEach(async () => {
  ws = await new Workspace().init();
});
afterEach(() => ws.remove());

const add = (title: string) =>
  ws.ok([
    'add',
    '--title',
    title,
    '--problem',
    `${title} ended the job`,
    '--solution',
    'Rerun',
    '--category',
    'JCL',
  ]);

/**
 * Cuts the chain back to row `keep` and moves its head there, past the database's refusal (as the file's
 * owner could, dropping its triggers in the sqlite3 shell).
 */
async function cutTail(keep: number): Promise<void> {
  const storage = await createStorage(
    { database: { type: 'sqlite', path: ws.path('kb.db') } },
    { migrate: 'none', plugins: [rawAccessPlugin] },
  );
  try {
    await expect(rawDb(storage).deleteFrom('kb_audit').execute()).rejects.toThrow(/append-only/);
    await tamperAudit(storage, async (trx) => {
      const row = await trx
        .selectFrom('kb_audit')
        .select('hash')
        .where('seq', '=', keep)
        .executeTakeFirstOrThrow();
      await trx.deleteFrom('kb_audit').where('seq', '>', keep).execute();
      await trx.updateTable('kb_audit_head').set({ seq: keep, hash: row.hash }).where('id', '=', 1).execute();
    });
  } finally {
    await storage.close();
  }
}

describe('kb audit', () => {
  it('verify prints {"ok":true,…} and exits 0 on an intact chain', async () => {
    await add('S0C7 in PAYROLL');
    await add('S0C4 in BILLING');
    const verified = await ws.ok(['audit', 'verify']);
    expect(verified).toEqual({ ok: true, rows: 2 });
    expect((await ws.run(['audit', 'verify'])).stdout).toMatch(/^Audit chain verified: 2 rows\.$/m);
  });

  it('show prints the rows, the last --limit or those from --since on', async () => {
    await add('S0C7 in PAYROLL');
    const middle = new Date().toISOString();
    await add('S0C4 in BILLING');
    await add('S806 in LOADLIB');
    const all = await ws.ok(['audit', 'show']);
    expect(all.ok).toBe(true);
    expect(all.rows.map((r: { seq: number }) => r.seq)).toEqual([1, 2, 3]);
    expect(all.rows[0]).toMatchObject({ action: 'create', entity: 'kb_entry', keyId: expect.any(String) });
    expect((await ws.ok(['audit', 'show', '--limit', '2'])).rows.map((r: { seq: number }) => r.seq)).toEqual([
      2, 3,
    ]);
    const since = await ws.ok(['audit', 'show', '--since', middle]);
    expect(since.rows.map((r: { seq: number }) => r.seq)).toEqual([2, 3]);
    expect((await ws.run(['audit', 'show'])).stdout).toMatch(/^SEQ +AT +ACTOR/m);
    expect((await ws.run(['audit', 'show', '--limit', 'x'])).code).toBe(2);
    expect((await ws.run(['audit', 'show', '--since', 'yesterday'])).code).toBe(3);
  });

  it('checkpoint signs the head, appends it to the file beside the database and prints it', async () => {
    await add('S0C7 in PAYROLL');
    const result = await ws.ok(['audit', 'checkpoint']);
    expect(result).toMatchObject({ ok: true, file: ws.path('kb.db.audit-checkpoints') });
    expect(result.checkpoint).toMatchObject({ seq: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.parse(readFileSync(ws.path('kb.db.audit-checkpoints'), 'utf8'))).toEqual(result.checkpoint);
    expect((await ws.run(['audit', 'checkpoint'])).stdout).toMatch(/^Checkpoint of row 1 signed with key /);
  });

  it('verify and health exit 5 once the tail is cut with its head moved back past a checkpoint', async () => {
    for (const t of ['S0C7', 'S0C4', 'S806', 'SB37']) await add(`${t} in PAYROLL`);
    const { checkpoint } = await ws.ok(['audit', 'checkpoint']);
    writeFileSync(ws.path('kept.json'), JSON.stringify(checkpoint));
    await cutTail(2);

    const verify = await ws.run(['--json', 'audit', 'verify']);
    expect(verify.code).toBe(5);
    expect(verify.json()).toMatchObject({ ok: false, problem: 'checkpoint' });
    const health = await ws.run(['--json', 'health']);
    expect(health.code).toBe(5);
    expect(health.json().probes.find((p: { name: string }) => p.name === 'audit').status).toBe('unhealthy');

    // The copy kept elsewhere catches it even when the file beside the database is gone too.
    renameSync(ws.path('kb.db.audit-checkpoints'), ws.path('gone'));
    expect((await ws.run(['audit', 'verify'])).code).toBe(0);
    const kept = await ws.run(['--json', 'audit', 'verify', '--checkpoint', 'kept.json']);
    expect(kept.code).toBe(5);
    expect(kept.json()).toMatchObject({ ok: false });
    expect((await ws.run(['audit', 'verify', '--checkpoint', 'kept.json'])).stdout).toMatch(
      /^Audit chain NOT verified/,
    );
  });

  it('needs the admin role for verify, show and checkpoint (exit 3, naming the role)', async () => {
    await ws.ok(['init']);
    await add('S0C7 in PAYROLL');
    ws.writeConfig({ cli: { roles: { alice: 'viewer', bob: 'editor', carol: 'admin' } } });
    for (const action of ['verify', 'show', 'checkpoint']) {
      for (const actor of ['alice', 'bob']) {
        const refused = await ws.run(['--json', 'audit', action], { env: { KB_ACTOR: actor } });
        expect(refused.code, `${actor} audit ${action}`).toBe(3);
        expect(refused.errorJson().error.code).toBe('FORBIDDEN');
        expect(refused.errorJson().error.message).toMatch(/needs the admin role/);
      }
    }
    expect(existsSync(ws.path('kb.db.audit-checkpoints'))).toBe(false);
    expect((await ws.run(['audit', 'verify'], { env: { KB_ACTOR: 'carol' } })).code).toBe(0);
  });

  it('refuses an unknown action or an option of another action with exit 2', async () => {
    expect((await ws.run(['audit', 'nope'])).code).toBe(2);
    expect((await ws.run(['audit'])).code).toBe(2);
    expect((await ws.run(['audit', 'verify', '--limit', '3'])).code).toBe(2);
    expect((await ws.run(['audit', 'checkpoint', '--since', '2024-01-01T00:00:00.000Z'])).code).toBe(2);
  });
});
