/**
 * Child process of the checkpoint kill test: one checkpointed batch import, killed by the parent at a random
 * moment. Run as a bundle (testkit's bundleChild), in which storage-core is its sources as in the tests (never a
 * stale build): `node checkpoint-import-child.mjs '<json>'`. Lines on
 * stdout are the protocol: `ready` once the store is open, then `done <result json>`.
 */
import { createStorage } from '@mainframe-kb/storage-core';
import { importStore, ioFormatsPlugin } from '../../src/index.js';

interface Task {
  readonly store: string;
  readonly input: string;
  readonly batchSize: number;
}

const task = JSON.parse(process.argv[2] as string) as Task;
const storage = await createStorage(
  { database: { type: 'sqlite', path: task.store } },
  { plugins: [ioFormatsPlugin], actor: { id: 'kill-test', role: 'admin' } },
);
process.stdout.write('ready\n');
const result = await importStore(storage, {
  input: task.input,
  batchSize: task.batchSize,
  checkpoint: true,
});
process.stdout.write(`done ${JSON.stringify({ inserted: result.inserted, rejected: result.rejected })}\n`);
await storage.close();
