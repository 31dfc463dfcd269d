import type { Worker } from 'node:worker_threads';

/**
 * Worker threads of a finished operation, kept for the next one with the same key (settings and keys) and
 * ended after `IDLE_MS` without use. A thread started per operation costs its start (~40 ms each), and on a
 * virtual machine that hands freed memory back to its host, the memory of ended threads has to be faulted
 * in again by the next ones: a rebuild of 1 GB took 1.7–2.4 s right after another and 2.3–2.6 s three
 * seconds later. Idle threads do not keep the process alive (unref).
 */
export const IDLE_MS = 30_000;
const idle = new Map<string, { workers: Worker[]; timer: NodeJS.Timeout }>();

/** The threads kept under `key`, handed out once (referenced again), or undefined. */
export function takeIdle(key: string): Worker[] | undefined {
  const kept = idle.get(key);
  if (!kept) return undefined;
  idle.delete(key);
  clearTimeout(kept.timer);
  for (const worker of kept.workers) worker.ref();
  return kept.workers;
}

/** Keeps `workers` under `key`; false (the caller ends them) when a set is kept under it already. */
export function keepIdle(key: string, workers: Worker[]): boolean {
  if (idle.has(key) || workers.length === 0) return false;
  for (const worker of workers) worker.unref();
  const timer = setTimeout(() => {
    if (idle.get(key)?.workers === workers) idle.delete(key);
    for (const worker of workers) void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idle.set(key, { workers, timer });
  return true;
}

/** A new thread that dies while kept takes its set out of the keeping (the others are ended). */
export function watchIdle(key: string, worker: Worker): void {
  worker.once('exit', () => {
    const kept = idle.get(key);
    if (!kept?.workers.includes(worker)) return;
    clearTimeout(kept.timer);
    idle.delete(key);
    for (const other of kept.workers) if (other !== worker) void other.terminate();
  });
}
