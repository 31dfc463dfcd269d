import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild, generateCorpusArray } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture, PASSPHRASE } from './support/fixtures.js';
import { filesUnder, prng } from './support/repo-files.js';

// The child runs on the workspace's sources, as the tests do, not on a possibly stale dist/, bundled once (a tsx
// child takes ~1.3 s to start; see testkit's child-bundle.ts).
const CHILD = await bundleChild(fileURLToPath(new URL('./fixtures/backup-child.ts', import.meta.url)));
const KILL_POINTS = Number(process.env.KB_RELIABILITY_FULL ? 24 : 10);

function runChild(fx: Fixture, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [CHILD, fx.dbPath, fx.repoDir, join(fx.dir, 'scratch')], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, KB_BACKUP_PASSPHRASE: PASSPHRASE, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return result;
}

describe('reliability 3: a half-written backup never counts (kill -9 during backup)', () => {
  let fx: Fixture;
  let baseline: string;
  let puts: number;

  beforeAll(async () => {
    fx = await makeFixture(300, { packBytes: 16 * 1024 });
    baseline = (await fx.manager.create({ type: 'full' })).id;
    await fx.storage.createEntries(generateCorpusArray({ count: 400, seed: 9, idPrefix: 'kill-' }));
    // A run without a kill, to count the object writes an incremental makes (kill points lie among them).
    const dry = runChild(fx, { BACKUP_TYPE: 'incremental' });
    expect(dry.status, dry.stderr).toBe(0);
    puts = dry.stdout.split('\n').filter((l) => l.startsWith('put ')).length;
    expect(puts).toBeGreaterThanOrEqual(4);
    const done = JSON.parse(dry.stdout.trim().split('\n').pop()!);
    expect(done.ok).toBe(true);
    // Start every trial from the baseline alone.
    await fx.manager.prune(new Date(), { full: { keep: 1 }, incremental: { keep: 0 } });
    expect((await fx.manager.list()).backups.map((b) => b.id)).toEqual([baseline]);
  }, 180_000);
  afterAll(async () => {
    await fx.cleanup();
  });

  it(`leaves no backup at its final name at ${KILL_POINTS} kill points; restore refuses; prune clears the rest`, async () => {
    const random = prng(3);
    const verifier = new BackupVerifier(fx.manager);
    const phases = ['before', 'middle', 'after'];
    const trials = [{ at: -1, phase: 'image' }];
    for (let i = 0; i < KILL_POINTS; i += 1) {
      // The last write is the manifest: make sure its three phases are among the trials.
      const at = i < 3 ? puts - 1 : Math.floor(random() * puts);
      trials.push({ at, phase: phases[i < 3 ? i : Math.floor(random() * 3)]! });
    }
    for (const [trial, { at, phase }] of trials.entries()) {
      const child = runChild(fx, {
        BACKUP_TYPE: 'incremental',
        KILL_AT: String(at),
        KILL_PHASE: phase,
        // The staged-image trial uses the scratch-file path, whose leftover the next run must sweep; every
        // other trial alternates between an image in memory and one read in place from the live file (the
        // kill then drops the read lock that held the file's checkpoints back).
        ...(phase === 'image' ? { KB_IMAGE_IN_MEMORY_MAX: '0' } : {}),
        ...(phase !== 'image' && trial % 2 === 0 ? { KB_IMAGE_LIVE_MIN: '0' } : {}),
      });
      const label = `kill ${phase} write ${at}`;
      const lastPut = child.stdout
        .split('\n')
        .filter((l) => l.startsWith('put '))
        .pop();
      expect(child.signal, `${label}: ${child.stderr}`).toBe('SIGKILL');
      const manifestWritten = phase === 'after' && lastPut?.includes(' manifests/');
      const { backups, damaged } = await fx.manager.list();
      expect(damaged, label).toEqual([]);
      if (manifestWritten) {
        // Killed after the manifest landed: the backup is complete, verified and restorable.
        expect(backups.length, label).toBe(2);
        const complete = backups[1]!;
        expect((await verifier.verify(complete.id)).ok, label).toBe(true);
      } else {
        expect(
          backups.map((b) => b.id),
          label,
        ).toEqual([baseline]);
        const id = /put \d+ manifests\/(\S+)/.exec(child.stdout)?.[1];
        if (id) {
          await expect(fx.manager.restore(id, { to: join(fx.dir, 'never.db') }), label).rejects.toMatchObject(
            {
              code: 'NOT_FOUND',
            },
          );
        }
      }
      // A killed run's staged image is swept by the next operation, here the verify.
      const scratch = join(fx.dir, 'scratch');
      if (phase === 'image') expect(readdirSync(scratch).length, label).toBeGreaterThan(0);
      // Whatever the kill left is garbage the keyless verify tolerates and prune removes.
      expect((await verifier.verify(undefined, { keyless: true })).ok, label).toBe(true);
      expect(readdirSync(scratch), label).toEqual([]);
      await fx.manager.prune(new Date(), { full: { keep: 1 }, incremental: { keep: 0 } });
      const files = filesUnder(fx.repoDir);
      expect(
        files.filter((f) => f.startsWith('tmp/')),
        label,
      ).toEqual([]);
      const referenced = new Set((await fx.manager.list()).backups.flatMap((b) => b.packs));
      expect(
        files.filter((f) => f.startsWith('data/') && !referenced.has(f.slice(f.lastIndexOf('/') + 1))),
        label,
      ).toEqual([]);
    }
    const next = runChild(fx, { BACKUP_TYPE: 'incremental', KB_IMAGE_IN_MEMORY_MAX: '0' });
    expect(next.status, next.stderr).toBe(0);
    expect(readdirSync(join(fx.dir, 'scratch'))).toEqual([]);
    const last = JSON.parse(next.stdout.trim().split('\n').pop()!);
    expect(last.ok).toBe(true);
    // No killed run left the store's file held: a live image can be had, and a checkpoint completes.
    const live = runChild(fx, { BACKUP_TYPE: 'incremental', KB_IMAGE_LIVE_MIN: '0' });
    expect(live.status, live.stderr).toBe(0);
    expect(JSON.parse(live.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: true, snapshot: 'live' });
    const restored = await fx.manager.restore(last.id, { to: join(fx.dir, 'after-kills.db') });
    expect(restored.checks.every((c) => c.ok)).toBe(true);
  }, 600_000);
});
