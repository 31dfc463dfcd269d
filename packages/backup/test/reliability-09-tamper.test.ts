import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveKek } from '../src/crypto/kdf-params.js';
import { openObject, sealObject } from '../src/crypto/object-cipher.js';
import { LocalDestination, Repository } from '../src/index.js';
import { readManifest } from '../src/manifest/manifest-store.js';
import { fileDigest, sealFile, unsealFile } from '../src/repository/sealed-file.js';
import { type Fixture, makeFixture, PASSPHRASE, TEST_KDF } from './support/fixtures.js';

describe('reliability 9: encryption resists tampering', () => {
  let fx: Fixture;
  let id: string;
  beforeEach(async () => {
    fx = await makeFixture(120);
    id = (await fx.manager.create({ type: 'full' })).id;
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const open = (passphrase = PASSPHRASE) =>
    Repository.open(new LocalDestination(fx.repoDir), { passphrase, kdf: TEST_KDF });

  /** Rewrites a sealed file (config or manifest) the way an attacker can: a fresh plain sha256 header. */
  function rewriteSealed(relative: string, edit: (payload: Buffer) => Buffer): void {
    const path = join(fx.repoDir, relative);
    const payload = unsealFile(readFileSync(path), relative);
    writeFileSync(path, Buffer.concat(sealFile(edit(Buffer.from(payload)))));
  }

  function expectNoTarget(name: string): string {
    const to = join(fx.dir, name);
    expect(existsSync(to)).toBe(false);
    return to;
  }

  it('the object layer: truncation, a flipped nonce/tag/body, a swapped id, a short tag are all refused', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = sealObject(key, Buffer.from('page bytes '.repeat(100)), Buffer.from('blob:a'));
    expect(openObject(key, sealed, Buffer.from('blob:a'))?.toString()).toContain('page bytes');
    expect(openObject(key, sealed.subarray(0, sealed.length - 1), Buffer.from('blob:a'))).toBeUndefined();
    expect(openObject(key, sealed.subarray(0, sealed.length - 12), Buffer.from('blob:a'))).toBeUndefined();
    for (const at of [0, 11, 12, sealed.length - 17, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at] = bad[at]! ^ 0x01;
      expect(openObject(key, bad, Buffer.from('blob:a')), `byte ${at}`).toBeUndefined();
    }
    // The same bytes under another object's id (a chunk swap in the index) fail authentication.
    expect(openObject(key, sealed, Buffer.from('blob:b'))).toBeUndefined();
    expect(openObject(Buffer.alloc(32, 8), sealed, Buffer.from('blob:a'))).toBeUndefined();
  });

  it('a chunk swap inside the repository is refused and no byte reaches a target', async () => {
    const repository = await open();
    const { body } = await readManifest(repository, id);
    expect(body.blobs.length).toBeGreaterThan(2);
    const [a, b] = body.blobs;
    // Blob b's bytes presented as blob a: what a swapped index entry would do.
    await expect(repository.readBlob({ ...b!, id: a!.id, rawBytes: a!.rawBytes })).rejects.toMatchObject({
      reason: 'OBJECT_CORRUPT',
    });
    // Truncated range.
    await expect(repository.readBlob({ ...a!, length: a!.length - 1 })).rejects.toMatchObject({
      reason: 'OBJECT_CORRUPT',
    });
  });

  it("a manifest's clear metadata or body edited with a fresh checksum is refused", async () => {
    // Header flip: the clear metadata says another checksum (the attacker recomputed the file's sha256).
    rewriteSealed(`manifests/${id}`, (payload) => {
      const text = payload.toString('latin1');
      return Buffer.from(text.replace('"type":"full"', '"type":"fulL"'), 'latin1');
    });
    const to = expectNoTarget('header.db');
    await expect(fx.manager.restore(id, { to })).rejects.toMatchObject({ reason: 'OBJECT_CORRUPT' });
    expect(existsSync(to)).toBe(false);
  });

  it("a flipped byte in a manifest's sealed body (fresh checksum) is refused", async () => {
    rewriteSealed(`manifests/${id}`, (payload) => {
      payload[payload.length - 20] = payload[payload.length - 20]! ^ 0x80;
      return payload;
    });
    const to = expectNoTarget('body.db');
    await expect(fx.manager.restore(id, { to })).rejects.toMatchObject({ reason: 'OBJECT_CORRUPT' });
    expect(existsSync(to)).toBe(false);
  });

  it('a wrong passphrase is refused', async () => {
    await expect(open('not the passphrase')).rejects.toMatchObject({ reason: 'WRONG_PASSPHRASE' });
    const wrong = fx.managerWith({ passphrase: 'not the passphrase' });
    const to = expectNoTarget('wrong.db');
    await expect(wrong.restore(id, { to })).rejects.toMatchObject({ reason: 'WRONG_PASSPHRASE' });
    expect(existsSync(to)).toBe(false);
  });

  it('an absurd KDF cost in the config is refused before any derivation', async () => {
    for (const kdf of [
      { N: 2 ** 30 },
      { N: 2 ** 20, r: 64 },
      { p: 1000 },
      { N: 1000 },
      { N: 2 ** 10 },
      { salt: '' },
    ]) {
      rewriteSealed('config', (payload) => {
        const config = JSON.parse(payload.toString('utf8'));
        config.kdf = { ...config.kdf, ...kdf };
        return Buffer.from(JSON.stringify(config), 'utf8');
      });
      // Had scrypt run with N = 2^30 or r = 64 it would need 128 GiB / 8 GiB and minutes: the test would not end.
      await expect(open(), JSON.stringify(kdf)).rejects.toMatchObject({ reason: 'KDF_OUT_OF_BOUNDS' });
    }
    await expect(
      deriveKek('x', {
        algorithm: 'scrypt',
        N: 2 ** 24,
        r: 8,
        p: 1,
        salt: Buffer.alloc(32).toString('base64'),
      }),
    ).rejects.toMatchObject({ reason: 'KDF_OUT_OF_BOUNDS' });
  });

  it('a plaintext config swapped in is refused: encryption never silently turns off', async () => {
    rewriteSealed('config', (payload) => {
      const config = JSON.parse(payload.toString('utf8'));
      delete config.kdf;
      delete config.wrappedKey;
      config.encryption = 'none';
      return Buffer.from(JSON.stringify(config), 'utf8');
    });
    await expect(open()).rejects.toMatchObject({ reason: 'ENCRYPTION_MISMATCH' });
    const run = await fx.manager.create({ type: 'full' });
    expect(run.ok).toBe(false);
    expect(run.destinations[0]!.error).toMatchObject({ reason: 'ENCRYPTION_MISMATCH' });
  });

  it('a passphrase change re-wraps the key: old backups stay readable, the old passphrase stops working', async () => {
    const before = readFileSync(join(fx.repoDir, 'config'));
    const packsBefore = (await fx.manager.list()).backups[0]!.packs;
    await fx.manager.changePassphrase('a brand new passphrase');
    expect(readFileSync(join(fx.repoDir, 'config')).equals(before)).toBe(false);
    await expect(open()).rejects.toMatchObject({ reason: 'WRONG_PASSPHRASE' });
    const renewed = fx.managerWith({ passphrase: 'a brand new passphrase' });
    const result = await renewed.restore(id, { to: join(fx.dir, 'after-change.db') });
    expect(result.checks.every((c) => c.ok)).toBe(true);
    // No data object was rewritten.
    expect((await renewed.list()).backups[0]!.packs).toEqual(packsBefore);
    expect(
      fileDigest([readFileSync(join(fx.repoDir, 'data', packsBefore[0]!.slice(0, 2), packsBefore[0]!))]),
    ).toBe(packsBefore[0]);
  });
});
