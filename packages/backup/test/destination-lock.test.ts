import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDestination } from '../src/index.js';
import { prng } from './support/repo-files.js';

// A process killed while it takes a repository's write lock must leave no lock without its holder: the
// next process reads the holder, sees it dead and takes over. The lock file used to be opened first and
// written after, and a kill in between left an empty lock that every process treated as held for a minute
// (the CLI's kill harness met it: BUSY "locked by another process").
const CHILD = await bundleChild(fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url)));
const KILLS = 30;

/** Starts the lock loop, kills it `delayMs` after it first held the lock, and waits for it to be gone. */
function killMidLock(repo: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, repo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready')) setTimeout(() => child.kill('SIGKILL'), delayMs);
      else if (out.includes('\n')) reject(new Error(`the lock loop stopped: ${out}`));
    });
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
}

describe('the local repository write lock under kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`never leaves a lock without its holder, over ${KILLS} kills`, async () => {
    const repo = join(dir, 'repo');
    const lockFile = join(repo, 'locks', 'write');
    const random = prng(11);
    for (let i = 0; i < KILLS; i++) {
      await killMidLock(repo, Math.floor(random() * 20));
      if (!existsSync(lockFile)) continue;
      const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: unknown };
      expect(typeof holder.pid, `kill ${i}: the lock holds ${JSON.stringify(holder)}`).toBe('number');
    }
    // The dead holders' locks are taken over, and their temporary files swept.
    const destination = new LocalDestination(repo);
    const lock = await destination.lock('after the kills');
    await destination.sweepTemporary();
    const tmp = join(repo, 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp).filter((n) => !n.startsWith(`${process.pid}-`)) : []).toEqual(
      [],
    );
    await lock.release();
    expect(existsSync(lockFile)).toBe(false);
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  }, 120_000);

  it('refuses while a live process holds it, and is free again after release', async () => {
    const repo = join(dir, 'held');
    const first = await new LocalDestination(repo).lock('first');
    await expect(new LocalDestination(repo).lock('second')).rejects.toMatchObject({
      code: 'BUSY',
      reason: 'REPOSITORY_LOCKED',
      message: expect.stringMatching(new RegExp(`pid ${process.pid} .*\\(first\\)`)),
    });
    await first.release();
    const second = await new LocalDestination(repo).lock('second');
    await second.release();
  });
});
