import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditKeyring } from './audit-keyring.js';

/** The pid of a process that has exited (not reused this soon on a quiet test machine). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('AuditKeyring and what a killed writer leaves', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("removes a dead process's unfinished key file when it writes or reads the keyring, and no one else's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-keyring-'));
    dirs.push(dir);
    const path = join(dir, 'store.db.audit-key');
    // What `kill -9` between writing the scratch file and renaming it leaves behind.
    const dead = `store.db.audit-key.${deadPid()}.0123abcd.tmp`;
    const alive = `store.db.audit-key.${process.ppid}.4567cdef.tmp`;
    const unrelated = 'store.db.audit-key.notes.tmp';
    for (const name of [dead, alive, unrelated]) writeFileSync(join(dir, name), 'partial');

    const keyring = new AuditKeyring({ kind: 'file', path, create: true });
    expect(keyring.current()).toBeDefined();
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([alive, 'store.db.audit-key', unrelated].sort());

    // A reader of an existing keyring sweeps too.
    writeFileSync(join(dir, dead), 'partial');
    new AuditKeyring({ kind: 'file', path, create: true }).keys();
    expect(existsSync(join(dir, dead))).toBe(false);
    // A read-only one leaves the folder alone.
    writeFileSync(join(dir, dead), 'partial');
    new AuditKeyring({ kind: 'file', path, create: false }).keys();
    expect(existsSync(join(dir, dead))).toBe(true);
  });
});
