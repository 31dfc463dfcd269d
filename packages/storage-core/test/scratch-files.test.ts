import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moveSqliteStore, removeSqliteStore, scratchPath, sweepScratchFiles } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-scratch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that no process has (the kernel's limit is below 2^22 on Linux). */
const DEAD_PID = 4_194_300;

describe('scratch files beside a target', () => {
  it('sweeps what a dead process left, with everything named after it, and keeps the rest', () => {
    const target = join(dir, 'target.db');
    const dead = `target.db.copy-${DEAD_PID}-0123456789ab`;
    const left = [
      dead,
      `${dead}-wal`,
      `${dead}.audit-key`,
      `${dead}.pre-migrate-20261206T101808-${DEAD_PID}-c7b8f914.sqlite`,
    ];
    for (const name of left) writeFileSync(join(dir, name), 'x');
    const mine = scratchPath(target, 'copy');
    writeFileSync(mine, 'x');
    writeFileSync(join(dir, 'target.db.copy-notapid-0123456789ab'), 'x');
    writeFileSync(join(dir, 'other.db'), 'x');
    return sweepScratchFiles(target, 'copy').then((removed) => {
      expect(removed.sort()).toEqual(left.sort());
      expect(readdirSync(dir).sort()).toEqual(
        ['other.db', 'target.db.copy-notapid-0123456789ab', mine.slice(dir.length + 1)].sort(),
      );
    });
  });

  it('moves a store with its companions, refuses to replace an existing file, and removes one whole', async () => {
    const from = join(dir, 'scratch.db');
    const to = join(dir, 'final.db');
    writeFileSync(from, 'db');
    writeFileSync(`${from}.audit-key`, 'key');
    await moveSqliteStore(from, to);
    expect([existsSync(to), existsSync(`${to}.audit-key`), existsSync(from)]).toEqual([true, true, false]);
    writeFileSync(from, 'db2');
    await expect(moveSqliteStore(from, to)).rejects.toMatchObject({ code: 'EEXIST' });
    writeFileSync(`${from}-wal`, 'w');
    writeFileSync(`${from}.pre-migrate-x.sqlite`, 's');
    await removeSqliteStore(from);
    expect(readdirSync(dir).filter((n) => n.startsWith('scratch.db'))).toEqual([]);
  });
});
