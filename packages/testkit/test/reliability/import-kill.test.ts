import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCorpusArray } from '../../src/corpus/corpus-generator.js';
import { rawAccessPlugin, rawDialect } from '../../src/index.js';
import { SeededRandom } from '../../src/random/seeded-random.js';
import { FULL, spawnChild } from './child-process-harness.js';

/**
 * Reliability 1: an import is all or nothing. A child process runs a 10,000-entry `createEntries` (one
 * transaction) and is killed with SIGKILL at random moments; after each kill the store must pass
 * integrity_check (tables, foreign keys and the full-text index) and hold exactly the rows it held before
 * the import or exactly those plus 10,000 — never a part.
 *
 * Every kill starts from the same 200-entry store (a copy of it), so each import runs as long as the measured
 * one and the kill points spread over all of it; an import into a store that grew by each completed import
 * would run longer than measured, and each inspection would re-check every earlier import too.
 */
const KILLS = FULL ? 50 : 8;
const BATCH = 10_000;

describe('reliability 1: a killed import leaves all or nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-rel1-'));
  const path = join(dir, 'kb.db');
  const base = join(dir, 'base.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function inspect() {
    const storage = await createStorage(
      { database: { type: 'sqlite', path } },
      { plugins: [rawAccessPlugin] },
    );
    try {
      return {
        count: await storage.countEntries(),
        integrity: await rawDialect(storage).integrityCheck('full'),
        audit: await storage.verifyAuditChain(),
      };
    } finally {
      await storage.close();
    }
  }

  it(`holds before or after, never between, over ${KILLS} kill -9 points${FULL ? '' : ' (50 with KB_RELIABILITY_FULL=1)'}`, {
    timeout: FULL ? 1_800_000 : 300_000,
  }, async () => {
    const seed = await createStorage({ database: { type: 'sqlite', path } });
    await seed.createEntries(generateCorpusArray({ count: 200, seed: 'rel1-base' }));
    await seed.close();
    // Closed, the store is one file (the last connection checkpoints and removes the WAL).
    expect(existsSync(`${path}-wal`)).toBe(false);
    copyFileSync(path, base);
    const reset = () => {
      for (const extra of ['-wal', '-shm', '-journal']) rmSync(`${path}${extra}`, { force: true });
      copyFileSync(base, path);
    };

    // One import to completion measures how long the transaction runs, so kill points can span all of it.
    const full = spawnChild({ mode: 'import', path, count: BATCH, seed: 'rel1-measure' });
    await full.waitForLine('ready');
    const started = performance.now();
    await full.waitForLine('done');
    const duration = performance.now() - started;
    expect((await full.exited).code).toBe(0);
    let state = await inspect();
    expect(state.count).toBe(200 + BATCH);

    const random = new SeededRandom('rel1-kill-points');
    const outcomes = { before: 0, after: 0 };
    for (let k = 0; k < KILLS; k++) {
      reset();
      const before = 200;
      const child = spawnChild({ mode: 'import', path, count: BATCH, seed: `rel1-${k}` });
      await child.waitForLine('ready');
      // Up to 10% past the measured duration, so some kills land during or after the commit.
      const delay = random.next() * duration * 1.1;
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.proc.kill('SIGKILL');
      await child.exited;
      state = await inspect();
      expect(
        state.integrity,
        `kill ${k} at ${delay.toFixed(0)} ms: ${state.integrity.problems.join('; ')}`,
      ).toEqual({
        ok: true,
        problems: [],
      });
      expect([before, before + BATCH], `kill ${k} at ${delay.toFixed(0)} ms`).toContain(state.count);
      expect(state.audit.ok).toBe(true);
      outcomes[state.count === before ? 'before' : 'after'] += 1;
    }
    console.info(
      `reliability 1: import of ${BATCH} took ${duration.toFixed(0)} ms; after ${KILLS} kills: ${JSON.stringify(outcomes)}`,
    );
    // Kills spread over the whole import must have caught it unfinished at least once.
    expect(outcomes.before).toBeGreaterThan(0);
  });
});
