import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../src/index.js';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';
import { filesUnder, prng } from './support/repo-files.js';

const TRIALS = 100;

describe('reliability 7: bit rot is found', () => {
  let fx: Fixture;
  let backups: BackupMetadata[];
  let objects: string[];

  beforeAll(async () => {
    // Small packs so the repository holds many objects of every kind.
    fx = await makeFixture(250, { packBytes: 32 * 1024 });
    await fx.manager.create({ type: 'full' });
    await fx.storage.createEntries(generateCorpusArray({ count: 40, seed: 3, idPrefix: 'rot-' }));
    await fx.manager.create({ type: 'incremental' });
    await fx.storage.updateEntry('rot-1', { title: 'changed after the incremental' });
    await fx.manager.create({ type: 'differential' });
    await fx.manager.create({ type: 'full', kind: 'logical' });
    backups = (await fx.manager.list()).backups;
    objects = filesUnder(fx.repoDir).filter((f) => !f.startsWith('locks/') && !f.startsWith('tmp/'));
  });
  afterAll(async () => {
    await fx.cleanup();
  });

  /** The backups that read the object: all of them for the config, the one a manifest is, a pack's users. */
  function readersOf(object: string): BackupMetadata[] {
    if (object === 'config') return backups;
    if (object.startsWith('manifests/')) {
      const id = object.slice('manifests/'.length);
      return backups.filter((b) => b.id === id || b.dependsOn.includes(id));
    }
    const pack = object.slice(object.lastIndexOf('/') + 1);
    // The backup that wrote the pack reads every blob in it: the oldest that lists it.
    return backups.filter((b) => b.packs.includes(pack)).slice(0, 1);
  }

  it(`finds ${TRIALS}/${TRIALS} single-byte flips, without the key and by restore`, async () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(objects).toContain('config');
    const random = prng(20261128);
    const verifier = new BackupVerifier(fx.manager);
    let foundByVerify = 0;
    let foundByRestore = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const object = objects[trial % objects.length]!;
      const path = join(fx.repoDir, object);
      const original = readFileSync(path);
      const offset = Math.floor(random() * original.length);
      const flipped = Buffer.from(original);
      flipped[offset] = flipped[offset]! ^ (1 + Math.floor(random() * 255));
      writeFileSync(path, flipped);
      try {
        const report = await verifier.verify(undefined, { keyless: true });
        if (!report.ok) foundByVerify += 1;
        const readers = readersOf(object);
        expect(readers.length, object).toBeGreaterThan(0);
        const target = join(fx.dir, `rot-${trial}.db`);
        const outcome = await fx.manager.restore(readers[0]!.id, { to: target }).then(
          () => 'restored',
          (error: Error) => error.message,
        );
        if (outcome !== 'restored') foundByRestore += 1;
        else console.error(`trial ${trial}: ${object} byte ${offset} restored without complaint`);
        expect(existsSync(target)).toBe(outcome === 'restored');
      } finally {
        writeFileSync(path, original);
      }
    }
    expect(foundByVerify).toBe(TRIALS);
    expect(foundByRestore).toBe(TRIALS);
    // And with every byte back in place, everything verifies and restores again.
    expect((await verifier.verify(undefined, { keyless: true })).ok).toBe(true);
  });
});
