import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupVerifier } from '../src/verify/backup-verifier.js';
import { type Fixture, makeFixture } from './support/fixtures.js';
import { filesUnder } from './support/repo-files.js';

describe('reliability 8: a broken incremental chain is reported', () => {
  let fx: Fixture;
  const expected = new Map<string, string>();
  let ids: { full: string; i1: string; i2: string; diff: string; i3: string };

  async function step(n: number): Promise<void> {
    await fx.storage.createEntries(generateCorpusArray({ count: 15, seed: 100 + n, idPrefix: `s${n}-` }));
  }

  async function take(type: 'full' | 'incremental' | 'differential'): Promise<string> {
    const run = await fx.manager.create({ type });
    expect(run.ok).toBe(true);
    expect(run.type).toBe(type);
    expected.set(run.id, (await fx.storage.contentHash()).hash);
    return run.id;
  }

  async function restoresToItsContent(id: string): Promise<void> {
    const to = join(fx.dir, `check-${id}.db`);
    await fx.manager.restore(id, { to });
    const restored = await createStorage({ database: { type: 'sqlite', path: to } }, { migrate: 'verify' });
    try {
      expect((await restored.contentHash()).hash, id).toBe(expected.get(id));
    } finally {
      await restored.close();
      rmSync(to, { force: true });
    }
  }

  beforeEach(async () => {
    fx = await makeFixture(150);
    expected.clear();
    const full = await take('full');
    await step(1);
    const i1 = await take('incremental');
    await step(2);
    const i2 = await take('incremental');
    await step(3);
    const diff = await take('differential');
    await step(4);
    const i3 = await take('incremental');
    ids = { full, i1, i2, diff, i3 };
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it('prune keeps every base a kept backup needs, and every kept backup still restores', async () => {
    const [result] = await fx.manager.prune(new Date(), {
      full: { keep: 1 },
      differential: { keep: 1 },
      incremental: { keep: 2 },
    });
    // i3 and i2 are the two newest incrementals; i1 is older but i2 is built on it.
    expect(result!.removed).toEqual([]);
    expect(Object.fromEntries(result!.kept.map((k) => [k.id, k.reason]))).toMatchObject({
      [ids.i1]: `base of ${ids.i2}`,
      [ids.i2]: 'incremental tier',
      [ids.i3]: 'incremental tier',
    });
    const [second] = await fx.manager.prune(new Date(), {
      full: { keep: 1 },
      differential: { keep: 1 },
      incremental: { keep: 1 },
    });
    // Only i3 (on the differential) stays of the incrementals: i1 and i2 go, and the packs only they used.
    expect([...second!.removed].sort()).toEqual([ids.i1, ids.i2].sort());
    expect(second!.packsRemoved).toBeGreaterThan(0);
    const { backups } = await fx.manager.list();
    expect(backups.map((b) => b.id)).toEqual([ids.full, ids.diff, ids.i3]);
    for (const b of backups) await restoresToItsContent(b.id);
    expect((await new BackupVerifier(fx.manager).verify(undefined)).ok).toBe(true);
  });

  it('a legal hold outlives its tier', async () => {
    await fx.manager.placeHold(ids.i1, { reason: null, actor: null });
    const [result] = await fx.manager.prune(new Date(), { incremental: { keep: 1 } });
    expect(result!.removed).toEqual([ids.i2]);
    expect(result!.kept.find((k) => k.id === ids.i1)?.reason).toBe('legal hold');
    await restoresToItsContent(ids.i1);
  });

  it('ages count too: a tier keeps nothing older than its maxAgeMs', async () => {
    const later = new Date(Date.now() + 10 * 86_400_000);
    const [result] = await fx.manager.prune(later, {
      full: { keep: 30 },
      differential: { keep: 168, maxAgeMs: 86_400_000 },
      incremental: { keep: 96, maxAgeMs: 86_400_000 },
    });
    expect([...result!.removed].sort()).toEqual([ids.i1, ids.i2, ids.diff, ids.i3].sort());
    await restoresToItsContent(ids.full);
  });

  it('a deleted pack is named by verify, with the backups that need it; the others still restore', async () => {
    const { backups } = await fx.manager.list();
    const i1 = backups.find((b) => b.id === ids.i1)!;
    const full = backups.find((b) => b.id === ids.full)!;
    // A pack i1 wrote (not one the full holds): the middle of the chain full → i1 → i2.
    const pack = i1.packs.find((p) => !full.packs.includes(p))!;
    expect(pack).toBeDefined();
    const file = filesUnder(fx.repoDir).find((f) => f.endsWith(pack))!;
    rmSync(join(fx.repoDir, file));

    const verifier = new BackupVerifier(fx.manager);
    const report = await verifier.verify(ids.i2, { keyless: true });
    expect(report.ok).toBe(false);
    const packs = report.checks.find((c) => c.name === 'packs')!;
    expect(packs.ok).toBe(false);
    expect(packs.detail).toContain(pack);
    expect(packs.detail).toContain(ids.i2);
    expect(packs.detail).toMatch(/missing/);
    await expect(fx.manager.restore(ids.i2, { to: join(fx.dir, 'broken.db') })).rejects.toMatchObject({
      reason: 'OBJECT_MISSING',
    });
    // The full and the differential chain do not use that pack.
    await restoresToItsContent(ids.full);
    await restoresToItsContent(ids.diff);
    await restoresToItsContent(ids.i3);
  });

  it('a deleted middle manifest is named as the missing base', async () => {
    rmSync(join(fx.repoDir, 'manifests', ids.i1));
    const report = await new BackupVerifier(fx.manager).verify(ids.i2, { keyless: true });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === `chain ${ids.i2}`)?.detail).toBe(`missing base ${ids.i1}`);
    await expect(fx.manager.restore(ids.i2, { to: join(fx.dir, 'broken.db') })).rejects.toMatchObject({
      reason: 'CHAIN_BROKEN',
    });
    await restoresToItsContent(ids.i3);
  });
});
