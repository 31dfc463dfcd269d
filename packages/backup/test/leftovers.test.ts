import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDestination } from '../src/destination/local-destination.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';

/** The pid of a process that has exited: what a killed run's leftovers are named with. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

function touch(path: string): void {
  writeFileSync(path, 'SQLite format 3\0 decrypted rows of a killed run');
}

describe('what a killed run leaves is removed by the next one', () => {
  let fx: Fixture;
  let scratch: string;
  beforeEach(async () => {
    fx = await makeFixture(40);
    scratch = join(fx.dir, 'scratch');
    mkdirSync(scratch, { recursive: true });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('a deep verification’s decrypted copy and restore scratch files, once their process is gone', async () => {
    const dead = deadPid();
    const run = await fx.manager.create({ type: 'full' });
    // A killed `verify --deep`: its folder holds a decrypted copy of the store.
    mkdirSync(join(scratch, `kb-verify-${dead}-0123456789ab`));
    touch(join(scratch, `kb-verify-${dead}-0123456789ab`, 'restore.sqlite'));
    // A killed restore of rows from a physical backup, rebuilt in the scratch folder.
    touch(join(scratch, `kb-restore-${run.id}.sqlite.restore-${dead}-0123456789ab`));
    // A killed restore to a file: its scratch file and journal beside the target (and beside the store).
    touch(join(fx.dir, `copy.db.restore-${dead}-0123456789ab`));
    touch(join(fx.dir, `copy.db.restore-${dead}-0123456789ab-journal`));
    touch(join(fx.dir, `kb.db.restored-x.db.restore-${dead}-abcdef012345-wal`));
    // What a live run holds, and files that only look alike, stay.
    const live = `kb-verify-${process.pid}-00aa00aa00aa`;
    mkdirSync(join(scratch, live));
    touch(join(fx.dir, `other.db.restore-${process.pid}-0123456789ab`));
    touch(join(fx.dir, 'notes.restore-me'));

    await new BackupVerifier(fx.manager).verify(run.id);
    expect(readdirSync(scratch).sort()).toEqual([live]);
    await fx.manager.restore(run.id, { to: join(fx.dir, 'restored.db') });
    expect(readdirSync(fx.dir).filter((n) => /\.restore-\d/.test(n))).toEqual([
      `other.db.restore-${process.pid}-0123456789ab`,
    ]);
    expect(existsSync(join(fx.dir, 'notes.restore-me'))).toBe(true);
  });

  it('a backup run sweeps the scratch folder too', async () => {
    const dead = deadPid();
    mkdirSync(join(scratch, `kb-verify-${dead}-0123456789ab`));
    touch(join(scratch, `kb-verify-${dead}-0123456789ab`, 'restore.sqlite'));
    await fx.manager.create({ type: 'full' });
    expect(readdirSync(scratch)).toEqual([]);
  });
});

describe('what a backup creates is its owner’s only, whatever the umask', () => {
  let fx: Fixture;
  let umask: number;
  beforeEach(async () => {
    fx = await makeFixture(40);
    umask = process.umask(0);
  });
  afterEach(async () => {
    process.umask(umask);
    await fx.cleanup();
  });
  const mode = (path: string) => statSync(path).mode & 0o777;

  it('repository folders 0700, restored database files 0600', async () => {
    const repo = join(fx.dir, 'new', 'repo');
    const manager = fx.managerWith({ destinations: [new LocalDestination(repo)] });
    const physical = await manager.create({ type: 'full' });
    const logical = await manager.create({ type: 'full', kind: 'logical' });
    const folders = [join(fx.dir, 'new'), repo];
    for (const name of readdirSync(repo, { recursive: true, withFileTypes: true }))
      if (name.isDirectory()) folders.push(join(name.parentPath, name.name));
    expect(folders.length).toBeGreaterThan(4);
    for (const folder of folders) expect(mode(folder), folder).toBe(0o700);

    await manager.restore(physical.id, { to: join(fx.dir, 'physical.db') });
    await manager.restore(logical.id, { to: join(fx.dir, 'logical.db') });
    await manager.restore(physical.id, { to: join(fx.dir, 'rows.db'), tables: ['kb_entries'] });
    for (const file of ['physical.db', 'logical.db', 'rows.db'])
      expect(mode(join(fx.dir, file)), file).toBe(0o600);
    expect(mode(join(fx.dir, 'scratch')), 'the scratch folder').toBe(0o700);
  });
});
