/**
 * Child process for the reliability tests, run as `node --import tsx reliability-child.ts '<json>'` from the
 * repo root. It imports storage-core from its sources, as the tests themselves do, so it never runs a stale
 * build. Lines on stdout are the protocol: `ready`, then `done <n>` or a JSON result.
 */
import { createInterface } from 'node:readline';
import { createStorage } from '../../../storage-core/src/index.js';
import { generateCorpusArray } from '../../src/corpus/corpus-generator.js';

interface ImportTask {
  mode: 'import';
  path: string;
  count: number;
  seed: string;
}

interface WriterTask {
  mode: 'writer';
  path: string;
  writes: number;
  worker: number;
  /** Leave out to run with the config's default busy timeout. */
  busyTimeoutMs?: number;
}

export interface WriterResult {
  worker: number;
  ok: number;
  busy: number;
  other: string[];
}

async function runImport(task: ImportTask): Promise<void> {
  // The entries are built before `ready`, so a kill after `ready` always lands in the store's own work.
  const entries = generateCorpusArray({ count: task.count, seed: task.seed });
  const storage = await createStorage({ database: { type: 'sqlite', path: task.path } });
  process.stdout.write('ready\n');
  const ids = await storage.createEntries(entries);
  process.stdout.write(`done ${ids.length}\n`);
  await storage.close();
}

async function runWriter(task: WriterTask): Promise<void> {
  const database = task.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: task.busyTimeoutMs };
  const storage = await createStorage({ database: { type: 'sqlite', path: task.path, ...database } });
  process.stdout.write('ready\n');
  // Every writer starts on the same `go`, so their transactions really contend for the write lock.
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  const result: WriterResult = { worker: task.worker, ok: 0, busy: 0, other: [] };
  for (let i = 0; i < task.writes; i++) {
    try {
      await storage.createEntry({
        title: `Writer ${task.worker} entry ${i}`,
        problem: `Concurrent write ${i} of worker ${task.worker}: job ended with S0C7 in step STEP010.`,
        solution: '1. Check the input data set\n2. Restart the job',
        category: 'Batch',
        tags: [`worker-${task.worker}`],
      });
      result.ok += 1;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'BUSY') result.busy += 1;
      else result.other.push(`${String(code)}: ${(error as Error).message}`.slice(0, 300));
    }
  }
  await storage.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const task = JSON.parse(process.argv[2] ?? '{}') as ImportTask | WriterTask;
const run = task.mode === 'import' ? runImport(task) : runWriter(task);
run.catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
