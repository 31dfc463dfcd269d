import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/**
 * The commands of CLI.md that the plugin packages bring, run end to end through `kb` as an operator runs
 * them: discovered from the installed packages (no config), adapted, and run on the run's store.
 */

let ws: Workspace;
afterEach(() => ws.remove());

describe('kb patterns, kb incidents (@mainframe-kb/plugin-patterns)', () => {
  beforeEach(async () => {
    ws = new Workspace();
    const storage = await createStorage(
      { database: { path: ws.path('kb.db') } },
      { plugins: [patternsPlugin] },
    );
    const day = 86_400_000;
    await storage.plugin(patternsPlugin).createIncidents(
      [0, 10, 20, 30, 40].map((d, k) => ({
        ticketId: `INC${k}`,
        title: `PAYROLL run ${k} abended S0C7`,
        component: 'PAYROLL',
        severity: 'high' as const,
        createdAt: new Date(Date.UTC(2025, 0, 1) + d * day).toISOString(),
      })),
    );
    await storage.close();
  });

  it('are listed by kb help with their plugin', async () => {
    const help = await ws.run(['help']);
    const contributed = help.stdout.split('Commands of plugins:')[1] ?? '';
    expect(contributed).toMatch(/^ {2}patterns +.*\[plugin patterns\]$/m);
    expect(contributed).toMatch(/^ {2}incidents +.*\[plugin patterns\]$/m);
  });

  it('detect, list and show', async () => {
    const summary = await ws.ok(['--db', 'kb.db', 'patterns', 'detect']);
    expect(summary).toMatchObject({ incidents: 5, byType: { error: 1 } });
    const listed = await ws.ok(['--db', 'kb.db', 'patterns', 'list', '--type', 'error']);
    expect(listed.patterns).toHaveLength(1);
    expect(listed.patterns[0]).toMatchObject({ errorCode: 'S0C7', frequency: 5, component: 'PAYROLL' });
    const shown = await ws.ok(['--db', 'kb.db', 'patterns', 'show', listed.patterns[0].id]);
    expect(shown.incidents).toHaveLength(5);
    expect(shown.suggestion).toMatchObject({ title: 'S0C7: recurring incidents', status: 'open' });
    const text = await ws.run(['--db', 'kb.db', 'patterns', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('S0C7 recurred in 5 incidents on PAYROLL');
    const incidents = await ws.ok(['incidents', 'list']);
    expect(incidents.total).toBe(5);
  });

  it('exits 4 for an unknown pattern, 3 for a bad filter, 2 for a bad action or number', async () => {
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'show', 'pat_nope'])).code).toBe(4);
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'list', '--type', 'weird'])).code).toBe(3);
    const action = await ws.run(['--db', 'kb.db', 'patterns', 'explode']);
    expect(action.code).toBe(2);
    expect(action.stderr).toMatch(/^usage: kb patterns /m);
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'list', '--limit', 'ten'])).code).toBe(2);
  });
});

describe('kb backup, kb restore (@mainframe-kb/backup)', () => {
  const env = { KB_BACKUP_PASSPHRASE: 'cli test passphrase' };

  beforeEach(async () => {
    ws = new Workspace();
    await ws.ok(['init', '--sample']);
  });

  it('are listed by kb help with their plugin', async () => {
    const help = await ws.run(['help']);
    const contributed = help.stdout.split('Commands of plugins:')[1] ?? '';
    expect(contributed).toMatch(/^ {2}backup +.*\[plugin backup\]$/m);
    expect(contributed).toMatch(/^ {2}restore +.*\[plugin backup\]$/m);
  });

  it('recovers from a lost store: list, verify and restore elsewhere need no store; restore recreates it', async () => {
    const full = await ws.ok(['backup', 'create', '--dest', 'repo'], { env });
    const hash = (await ws.ok(['init'])).entries;
    // The store is gone (disk lost); the repository survived. Nothing below may create ./kb.db by the way.
    for (const file of readdirSync(ws.dir).filter((f) => f.startsWith('kb.db'))) rmSync(ws.path(file));
    const listed = await ws.ok(['backup', 'list', '--dest', 'repo'], { env });
    expect(listed.backups.map((b: { id: string }) => b.id)).toEqual([full.id]);
    expect((await ws.ok(['backup', 'verify', full.id, '--dest', 'repo'], { env })).ok).toBe(true);
    const elsewhere = await ws.ok(['restore', full.id, '--to', 'elsewhere.db', '--dest', 'repo'], { env });
    expect(elsewhere).toMatchObject({ restored: true, entryCount: hash });
    expect(existsSync(ws.path('kb.db'))).toBe(false);
    // An ordinary command still refuses the missing store (exit 4) …
    expect((await ws.run(['search', 'S0C7'])).code).toBe(4);
    // … as does a restore over it, saying how to restore into its place; which brings it back.
    const over = await ws.run(['--json', 'restore', full.id, '--dest', 'repo'], { env });
    expect(over.code).toBe(4);
    expect(over.errorJson().error.message).toContain(`--to ${ws.path('kb.db')}`);
    expect(existsSync(ws.path('kb.db'))).toBe(false);
    const back = await ws.ok(['restore', full.id, '--dest', 'repo', '--to', 'kb.db'], { env });
    expect(back).toMatchObject({ restored: true, entryCount: hash });
    expect((await ws.ok(['search', 'S0C7'])).total).toBeGreaterThan(0);
  });

  it('create, list, verify, restore, prune with the JSON of CLI.md', async () => {
    const full = await ws.ok(['backup', 'create', '--dest', 'repo'], { env });
    expect(full).toMatchObject({ type: 'full', dependsOn: [] });
    for (const key of ['id', 'timestamp', 'checksum', 'dataSize', 'storedSize', 'entryCount'])
      expect(full).toHaveProperty(key);
    await ws.ok(['add', '--title', 'T', '--problem', 'P', '--solution', 'S', '--category', 'JCL']);
    const inc = await ws.ok(['backup', 'create', '--type', 'incremental', '--dest', 'repo'], { env });
    expect(inc).toMatchObject({ type: 'incremental', dependsOn: [full.id], entryCount: full.entryCount + 1 });

    const list = await ws.ok(['backup', 'list', '--dest', 'repo'], { env });
    expect(list.backups.map((b: { id: string }) => b.id)).toEqual([full.id, inc.id]);

    // Without a passphrase, verify checks checksums and chain only; with it, content too; --deep restores.
    const keyless = await ws.ok(['backup', 'verify', inc.id, '--dest', 'repo']);
    expect(keyless).toMatchObject({ ok: true, keyed: false });
    const deep = await ws.ok(['backup', 'verify', inc.id, '--deep', '--dest', 'repo'], { env });
    expect(deep.ok).toBe(true);
    expect(deep.checks.map((c: { name: string }) => c.name)).toContain('test-restore integrity_check');

    const restored = await ws.ok(['restore', inc.id, '--to', 'copy.db', '--dest', 'repo'], { env });
    expect(restored).toMatchObject({ restored: true, entryCount: full.entryCount + 1 });
    // The deep verify recorded its checks for this image: the default restore relies on that record,
    // --integrity full runs integrity_check again, and an unknown level is a usage error.
    const names = (r: { checks: { name: string }[] }) => r.checks.map((c) => c.name);
    expect(names(restored)).toContain('integrity-record');
    const again = await ws.ok(
      ['restore', inc.id, '--to', 'copy2.db', '--dest', 'repo', '--integrity', 'full'],
      { env },
    );
    expect(names(again)).not.toContain('integrity-record');
    expect(names(again).join(' ')).toMatch(/integrity_check/);
    const wrong = await ws.run(
      ['--json', 'restore', inc.id, '--to', 'copy3.db', '--dest', 'repo', '--integrity', 'some'],
      { env },
    );
    expect(wrong.code).toBe(2);
    const got = await ws.ok(['--db', 'copy.db', 'search', 'T']);
    expect(got.total).toBeGreaterThan(0);

    const pruned = await ws.ok(['backup', 'prune', '--dest', 'repo'], { env });
    expect(pruned.destinations[0].removed).toEqual([]);
  });

  it('verify exits 5 when a stored object is damaged; a passphrase file works like the variable', async () => {
    writeFileSync(ws.path('pass.txt'), `${env.KB_BACKUP_PASSPHRASE}\n`);
    const full = await ws.ok(['backup', 'create', '--dest', 'repo', '--passphrase-file', 'pass.txt']);
    const dataDir = join(ws.dir, 'repo', 'data');
    const sub = readdirSync(dataDir)[0]!;
    const pack = join(dataDir, sub, readdirSync(join(dataDir, sub))[0]!);
    const bytes = readFileSync(pack);
    bytes[10] = bytes[10]! ^ 0xff;
    writeFileSync(pack, bytes);
    const result = await ws.run(['--json', 'backup', 'verify', full.id, '--dest', 'repo']);
    expect(result.code).toBe(5);
    expect(result.json().ok).toBe(false);
    const restore = await ws.run(['--json', 'restore', full.id, '--to', 'x.db', '--dest', 'repo'], { env });
    expect(restore.code).toBe(5);
  });

  it('refuses a restore over the live store, a backup without a passphrase, and an unknown type', async () => {
    const full = await ws.ok(['backup', 'create', '--dest', 'repo'], { env });
    const over = await ws.run(['--json', 'restore', full.id, '--to', 'kb.db', '--dest', 'repo'], { env });
    expect(over.code).not.toBe(0);
    expect(over.errorJson().error.message).toMatch(/overwrite/);
    // No passphrase: refused as input (exit 3) with the reason as the JSON error, not a silent exit.
    const none = await ws.run(['--json', 'backup', 'create', '--dest', 'repo2']);
    expect(none.code).toBe(3);
    expect(none.errorJson().error.message).toMatch(/passphrase/);
    const bad = await ws.run(['--json', 'backup', 'create', '--type', 'weekly', '--dest', 'repo'], { env });
    expect(bad.code).toBe(2);
    expect(bad.errorJson().error.code).toBe('USAGE');
  });

  it('are refused for a viewer with exit 3 (backups and restores need the admin role)', async () => {
    ws.writeConfig({ cli: { roles: { alice: 'viewer' } } });
    const refused = await ws.run(['--json', 'backup', 'create', '--dest', 'repo'], {
      env: { ...env, KB_ACTOR: 'alice' },
    });
    expect(refused.code).toBe(3);
    expect(refused.errorJson().error.code).toBe('FORBIDDEN');
  });
});
