import type { Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportStore, importStore } from '../src/index.js';
import { DATA_TABLES, openStore, type TempDir, tempDir } from './store-helpers.js';

/**
 * A checkpointed import that stops half-way (a crash between batches, here a progress callback that throws)
 * and is run again must end with exactly what an uninterrupted import gives: no record skipped, none twice.
 */
describe('checkpointed batch import, stopped and resumed', () => {
  let dir: TempDir;
  let exported: string;
  let reference: string;

  /** 700 entries with two tags each and a chain of relations: children refer to every entry. */
  async function buildSource(path: string): Promise<Storage> {
    const source = await openStore(path);
    const ids = await source.createEntries(
      Array.from({ length: 700 }, (_, i) => ({
        id: `CK${String(i).padStart(4, '0')}`,
        title: `Checkpoint entry ${i}`,
        problem: `Job CKJOB${i} abends with S0C7`,
        solution: 'Initialise the packed field',
        category: 'COBOL',
        tags: [`t${i % 17}`, `u${i % 5}`],
      })),
    );
    for (let i = 1; i < ids.length; i += 7) await source.addRelation(ids[i - 1]!, ids[i]!, 'related');
    return source;
  }

  async function dataHash(storage: Storage): Promise<string> {
    return (await storage.contentHash({ tables: DATA_TABLES })).hash;
  }

  beforeAll(async () => {
    dir = tempDir();
    const source = await buildSource(dir.file('source.db'));
    exported = dir.file('export');
    await exportStore(source, { format: 'ndjson', out: exported });
    reference = await dataHash(source);
    await source.close();
  });

  afterAll(() => dir.remove());

  for (const stopAt of [500, 1000, 1500]) {
    it(`stopped after ${stopAt} records read, a rerun gives the uninterrupted result`, async () => {
      const target = await openStore(dir.file(`target-${stopAt}.db`));
      try {
        const crash = new Error('simulated crash');
        await expect(
          importStore(target, {
            input: exported,
            batchSize: 7,
            checkpoint: true,
            onProgress: (p) => {
              if (p.done === stopAt) throw crash;
            },
          }),
        ).rejects.toBe(crash);
        const resumed = await importStore(target, { input: exported, batchSize: 7, checkpoint: true });
        expect(resumed.errors).toEqual([]);
        expect(resumed.rejected).toBe(0);
        expect(resumed.resumedAfter).toBeGreaterThan(0);
        expect(resumed.resumedAfter).toBeLessThanOrEqual(stopAt);
        expect(await dataHash(target)).toBe(reference);
        // Once finished, a rerun of the same input changes nothing.
        const again = await importStore(target, { input: exported, batchSize: 7, checkpoint: true });
        expect(again).toMatchObject({ inserted: 0, rejected: 0, errors: [] });
        expect(await dataHash(target)).toBe(reference);
      } finally {
        await target.close();
      }
    });
  }
});
