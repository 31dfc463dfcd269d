import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCorpusArray } from '../../src/corpus/corpus-generator.js';
import { rawAccessPlugin, rawDialect } from '../../src/index.js';

/**
 * Reliability 4, the other half: the filesystem itself runs out of space (ENOSPC from the kernel, not a
 * page budget). The store lives on a 4 MiB tmpfs that a filler file brings to its last few hundred KiB.
 * Mounting needs root and CAP_SYS_ADMIN; where that is refused the test says so and is skipped.
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'kb-rel4-fs-'));
let mountError: string | undefined;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
} catch (error) {
  mountError = String((error as { stderr?: Buffer }).stderr ?? error).trim();
}

describe.skipIf(mountError !== undefined)(
  `reliability 4: a full filesystem is a typed error${mountError ? ` (skipped: cannot mount a tmpfs here: ${mountError})` : ''}`,
  () => {
    afterAll(() => {
      execFileSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    });

    it('refuses writes with DISK_FULL on ENOSPC, keeps every committed row, and stays intact', {
      timeout: 120_000,
    }, async () => {
      const path = join(mountPoint, 'kb.db');
      let committed = 0;
      const storage = await createStorage({ database: { path } }, { plugins: [rawAccessPlugin] });
      try {
        const base = await storage.createEntries(generateCorpusArray({ count: 50, seed: 'rel4-fs-base' }));
        // Leave ~256 KiB: enough to open and read, not enough for the next batches.
        const free = (await rawDialect(storage).size()).freeBytes ?? 0;
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(Math.max(0, free - 256 * 1024)));

        let refused = 0;
        committed = base.length;
        for (let round = 0; round < 40 && refused === 0; round++) {
          const batch = generateCorpusArray({ count: 50, seed: `rel4-fs-${round}` });
          try {
            committed += (await storage.createEntries(batch)).length;
          } catch (error) {
            expect((error as { code?: unknown }).code, String(error)).toBe('DISK_FULL');
            refused += 1;
          }
        }
        expect(refused, 'the filesystem never filled').toBe(1);
        expect(await storage.countEntries()).toBe(committed);
        expect((await storage.listEntries({ limit: 3 })).entries).toHaveLength(3);
        expect(await storage.readEntry(base[0]!)).not.toBeNull();
      } finally {
        await storage.close().catch(() => undefined);
      }
      // With space again, the file opens, passes integrity_check and still holds what was committed.
      rmSync(join(mountPoint, 'filler'));
      const reopened = await createStorage({ database: { path } }, { plugins: [rawAccessPlugin] });
      try {
        expect(await rawDialect(reopened).integrityCheck('full')).toEqual({ ok: true, problems: [] });
        expect(await reopened.countEntries()).toBe(committed);
        expect((await reopened.verifyAuditChain()).ok).toBe(true);
      } finally {
        await reopened.close();
      }
    });
  },
);
