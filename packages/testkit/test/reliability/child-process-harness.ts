import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { bundleChild } from '../../src/children/child-bundle.js';

/** The repo root: children run from there. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The child script, bundled once per test file (a tsx child takes ~1.3 s to start; see child-bundle.ts). */
const CHILD = await bundleChild(fileURLToPath(new URL('./reliability-child.ts', import.meta.url)));

export interface Child {
  proc: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves with the first stdout line that starts with `prefix`; rejects if the child exits first. */
  waitForLine(prefix: string): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function spawnChild(task: object): Child {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(task)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let err = '';
  let buffer = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  proc.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (line.startsWith(w.prefix)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
      nl = buffer.indexOf('\n');
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) {
        w.reject(
          new Error(`child exited (${code ?? signal}) before printing '${w.prefix}': ${err.slice(-2_000)}`),
        );
      }
      resolve({ code, signal });
    });
  });
  return {
    proc,
    exited,
    stderr: () => err,
    waitForLine(prefix) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      if (proc.exitCode !== null || proc.signalCode !== null) {
        return Promise.reject(
          new Error(`child already exited before printing '${prefix}': ${err.slice(-2_000)}`),
        );
      }
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
  };
}

/** Counts for the reliability tests: small by default so CI stays fast, the documented sizes on request. */
export const FULL = process.env.KB_RELIABILITY_FULL === '1';
