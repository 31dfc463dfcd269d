import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Storage } from '@mainframe-kb/storage-core';
import { bundleChild, rawDialect, SeededRandom } from '@mainframe-kb/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportStore, importStore } from '../src/index.js';
import { DATA_TABLES, openStore, type TempDir, tempDir } from './store-helpers.js';

/**
 * RELIABILITY.md promise 1 for imports committed in batches: a checkpointed import killed with SIGKILL at any
 * moment and then run again ends with exactly the rows an uninterrupted import writes (entries, their tags
 * and the relations between them, so a skipped parent shows as a foreign key failure). Each kill point gets a
 * fresh store; the kill lands anywhere from the start to the end of the import (a late one, after the last
 * commit).
 */
const FULL = process.env.KB_RELIABILITY_FULL === '1';
const KILLS = FULL ? 50 : 10;
const BATCH = 40;

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The child script, bundled once (a tsx child takes ~1.3 s to start; see testkit's child-bundle.ts). */
const CHILD = await bundleChild(fileURLToPath(new URL('./kill/checkpoint-import-child.ts', import.meta.url)));

interface Child {
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  /** Resolves when the child prints a line starting with `prefix`; rejects when it exits first. */
  line(prefix: string): Promise<string>;
  readonly exited: Promise<number | null>;
}

function spawnImport(task: object): Child {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(task)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiting: { prefix: string; resolve(line: string): void }[] = [];
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiting]) {
      const found = out.split('\n').find((l) => l.startsWith(w.prefix));
      if (found !== undefined) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(found);
      }
    }
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    exited,
    line: (prefix) =>
      new Promise((resolve, reject) => {
        waiting.push({ prefix, resolve });
        exited.then(() => reject(new Error(`the child exited before '${prefix}': ${err.slice(-2_000)}`)));
      }),
  };
}

describe('reliability 1 for checkpointed imports: killed and resumed, exactly the uninterrupted result', () => {
  let dir: TempDir;
  let input: string;
  let reference: string;

  const dataHash = async (storage: Storage) => (await storage.contentHash({ tables: DATA_TABLES })).hash;

  beforeAll(async () => {
    dir = tempDir('io-formats-kill-');
    const source = await openStore(dir.file('source.db'));
    const ids = await source.createEntries(
      Array.from({ length: 1_500 }, (_, i) => ({
        id: `KILL${String(i).padStart(5, '0')}`,
        title: `Kill point entry ${i}`,
        problem: `Job KJOB${i} abends S0C4 in step STEP${i % 9}`,
        solution: 'Check the COMMAREA length before the LINK',
        category: 'CICS',
        tags: [`k${i % 23}`, `m${i % 7}`],
      })),
    );
    for (let i = 1; i < ids.length; i += 5) await source.addRelation(ids[i - 1]!, ids[i]!, 'related');
    input = dir.file('export');
    await exportStore(source, { format: 'ndjson', out: input });
    reference = await dataHash(source);
    await source.close();
  });

  afterAll(() => dir.remove());

  it(`over ${KILLS} kill -9 points${FULL ? '' : ' (50 with KB_RELIABILITY_FULL=1)'}`, {
    timeout: FULL ? 1_800_000 : 240_000,
  }, async () => {
    // One uninterrupted run measures how long the import takes, so that kill points can span all of it.
    const measured = dir.file('measured.db');
    await (await openStore(measured)).close();
    const full = spawnImport({ store: measured, input, batchSize: BATCH });
    await full.line('ready');
    const started = performance.now();
    await full.line('done');
    const duration = performance.now() - started;
    let window = duration;
    expect(await full.exited).toBe(0);

    const random = new SeededRandom('io-formats-checkpoint-kills');
    const resumedAfter: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const store = dir.file(`kill-${k}.db`);
      await (await openStore(store)).close();
      const child = spawnImport({ store, input, batchSize: BATCH });
      await child.line('ready');
      const delay = random.next() * window;
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.proc.kill('SIGKILL');
      await child.exited;

      const storage = await openStore(store);
      try {
        const where = `kill ${k} at ${delay.toFixed(0)} ms (import ${duration.toFixed(0)} ms)`;
        const resumed = await importStore(storage, { input, batchSize: BATCH, checkpoint: true });
        expect(resumed.errors, where).toEqual([]);
        expect(await dataHash(storage), where).toBe(reference);
        expect(await rawDialect(storage).integrityCheck('full'), where).toEqual({ ok: true, problems: [] });
        expect((await storage.verifyAuditChain()).ok, where).toBe(true);
        resumedAfter.push(resumed.resumedAfter);
        // A kill after the last commit tests a rerun of a finished import; when runs go faster than the
        // measured one (a quieter machine), aim the next kills earlier so most land inside the import.
        if (resumed.inserted === 0) window *= 0.75;
      } finally {
        await storage.close();
      }
    }
    console.info(
      `checkpoint kills: import took ${duration.toFixed(0)} ms; resumed after ${JSON.stringify(resumedAfter)}`,
    );
    // Kills spread over the whole import must have caught it between batches at least once.
    expect(resumedAfter.some((n) => n > 0)).toBe(true);
  });
});
