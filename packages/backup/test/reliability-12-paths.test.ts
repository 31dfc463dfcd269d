import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDestination, Repository } from '../src/index.js';
import { encodeBody } from '../src/manifest/manifest-body.js';
import { readManifest, writeManifest } from '../src/manifest/manifest-store.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

describe('reliability 12: restore writes only where told', () => {
  let fx: Fixture;
  let id: string;
  let outside: string;
  let outsideBefore: string[];

  beforeEach(async () => {
    // A plaintext repository (explicitly): the attacker here can write manifests without any key.
    fx = await makeFixture(60, { encryption: false });
    id = (await fx.manager.create({ type: 'full' })).id;
    outside = join(fx.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious.db'), 'do not touch');
    outsideBefore = filesUnder(fx.dir).filter((f) => !f.startsWith('repo/') && !f.startsWith('scratch/'));
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  function nothingWrittenOutside(except: string[] = []): void {
    const now = filesUnder(fx.dir).filter(
      (f) => !f.startsWith('repo/') && !f.startsWith('scratch/') && !except.includes(f),
    );
    expect(now).toEqual(outsideBefore);
    expect(readFileSync(join(outside, 'precious.db'), 'utf8')).toBe('do not touch');
  }

  it('backup ids and object keys that climb out are refused', async () => {
    for (const bad of ['../../etc/passwd', '/etc/passwd', `${id}/../../x`, '..', '']) {
      await expect(fx.manager.restore(bad, { to: join(fx.dir, 'x.db') })).rejects.toMatchObject({
        reason: 'PATH_ESCAPE',
      });
    }
    const destination = new LocalDestination(fx.repoDir);
    for (const key of [
      '../outside/precious.db',
      '/etc/passwd',
      'data/../../outside/precious.db',
      'data\\..\\x',
    ]) {
      await expect(destination.get(key)).rejects.toMatchObject({ reason: 'PATH_ESCAPE' });
      await expect(destination.put(key, [Buffer.from('x')], '')).rejects.toMatchObject({
        reason: 'PATH_ESCAPE',
      });
      await expect(destination.delete(key)).rejects.toMatchObject({ reason: 'PATH_ESCAPE' });
    }
    nothingWrittenOutside();
  });

  it('a manifest naming packs with ../ or absolute paths is refused', async () => {
    const repository = await Repository.open(new LocalDestination(fx.repoDir), { encryption: false });
    const { metadata, body } = await readManifest(repository, id);
    const evilId = id.replace(/-[0-9a-f]{8}$/, '-deadbeef');
    for (const pack of ['../../outside/precious.db', '/etc/passwd']) {
      const evil = {
        ...body,
        blobs: body.blobs.map((b) => ({ ...b, pack })),
      };
      // encodeBody writes whatever it is given; decoding it back is where the check must be.
      expect(encodeBody(evil).length).toBeGreaterThan(0);
      await writeManifest(repository, { ...metadata, id: evilId, packs: [pack] }, evil);
      await expect(fx.manager.restore(evilId, { to: join(fx.dir, 'evil.db') })).rejects.toMatchObject({
        reason: 'OBJECT_CORRUPT',
      });
      const report = await new BackupVerifier(fx.manager).verify(evilId, { keyless: true });
      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.name === 'packs')?.detail).toContain('not a pack name');
    }
    // Prune only ever deletes inside data/: the foreign names are simply not packs.
    await fx.manager.prune(new Date(), { full: { keep: 10 } });
    nothingWrittenOutside();
  });

  it('a restore target that is a link, or reached through one, is refused', async () => {
    symlinkSync(join(outside, 'precious.db'), join(fx.dir, 'link.db'));
    await expect(
      fx.manager.restore(id, { to: join(fx.dir, 'link.db'), overwrite: true }),
    ).rejects.toMatchObject({
      reason: 'PATH_ESCAPE',
    });
    symlinkSync(outside, join(fx.dir, 'linked-folder'));
    await expect(
      fx.manager.restore(id, { to: join(fx.dir, 'linked-folder', 'new.db') }),
    ).rejects.toMatchObject({
      reason: 'PATH_ESCAPE',
    });
    await expect(
      fx.manager.restore(id, { to: join(fx.dir, 'link.db'), tables: ['kb_entries'], overwrite: true }),
    ).rejects.toMatchObject({ reason: 'PATH_ESCAPE' });
    rmSync(join(fx.dir, 'link.db'));
    rmSync(join(fx.dir, 'linked-folder'));
    nothingWrittenOutside();
  });

  it('links planted inside the repository are not followed', async () => {
    const { backups } = await fx.manager.list();
    const pack = backups[0]!.packs[0]!;
    const packPath = join(fx.repoDir, 'data', pack.slice(0, 2), pack);
    rmSync(packPath);
    symlinkSync(join(outside, 'precious.db'), packPath);
    await expect(fx.manager.restore(id, { to: join(fx.dir, 'r.db') })).rejects.toMatchObject({
      reason: 'PATH_ESCAPE',
    });
    const report = await new BackupVerifier(fx.manager).verify(id, { keyless: true });
    expect(report.ok).toBe(false);
    await fx.manager.prune(new Date(), { full: { keep: 10 } });
    nothingWrittenOutside();
  });

  it('a successful restore creates exactly the target', async () => {
    await fx.manager.restore(id, { to: join(fx.dir, 'restored.db') });
    nothingWrittenOutside(['restored.db']);
  });
});
