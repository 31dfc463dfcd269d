import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../test/cli-harness.js';

const env = { KB_BACKUP_PASSPHRASE: 'cli test passphrase' };

describe('kb backup / kb restore', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = new Workspace();
    await ws.ok(['init', '--sample']);
  });
  afterEach(() => {
    ws.remove();
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

  it('refuses a restore over the live store, and a backup without a passphrase', async () => {
    const full = await ws.ok(['backup', 'create', '--dest', 'repo'], { env });
    const over = await ws.run(['--json', 'restore', full.id, '--to', 'kb.db', '--dest', 'repo'], { env });
    expect(over.code).not.toBe(0);
    expect(over.errorJson().error.message).toMatch(/overwrite/);
    const none = await ws.run(['--json', 'backup', 'create', '--dest', 'repo2']);
    expect(none.code).toBe(1);
    const bad = await ws.run(['--json', 'backup', 'create', '--type', 'weekly', '--dest', 'repo'], { env });
    expect(bad.code).toBe(2);
  });
});
