import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodecRegistry, type FormatCodec, ioFormatsPlugin, jsonCodec, ndjsonCodec } from '../src/index.js';
import { type TempDir, tempDir } from './store-helpers.js';

/** Paths this process holds open under `dir` (Linux: /proc/self/fd), deleted files included. */
function openUnder(dir: string): string[] {
  // The links name resolved paths; the temporary directory may sit behind a symbolic link.
  const real = realpathSync(dir);
  const held: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(real)) held.push(target);
    } catch {
      // closed while listing
    }
  }
  return held;
}

/** A codec that writes like NDJSON and fails after its first records, as a full disk or a bad value would. */
function failingAfter(records: number): FormatCodec {
  const base = ndjsonCodec;
  return {
    ...base,
    async write(rows, schema, sink) {
      let n = 0;
      async function* some() {
        for await (const row of rows) {
          if (++n > records) throw new Error(`codec failed at record ${n}`);
          yield row;
        }
      }
      return base.write(some(), schema, sink);
    },
  };
}

describe.runIf(process.platform === 'linux')('a failed export closes its file', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  for (const format of ['ndjson', 'json'] as const) {
    it(`${format}: the error is the codec's, no output or descriptor is left`, async () => {
      const codecs = new CodecRegistry([failingAfter(300), jsonCodec]);
      const storage = await createStorage(
        {
          database: { type: 'sqlite', path: dir.file('store.db') },
          mvp: { extensions: [{ id: 'io-formats', options: { codecs } }] },
        },
        { plugins: [ioFormatsPlugin] },
      );
      try {
        await storage.createEntries(
          // About 1 MB of records: several 256 KB chunks are handed to the file before the failure.
          Array.from({ length: 400 }, (_, i) => ({
            title: `S0C7 entry ${i}`,
            problem: `data exception in a packed field ${'(input record layout differs) '.repeat(80)}`,
            solution: 'check the input record layout',
            category: 'Batch',
          })),
        );
        const out = dir.file(`out-${format}`);
        // The envelope (json) is written by the package itself, not a codec: a progress callback fails it.
        const failing =
          format === 'ndjson'
            ? storage.export({ format: 'ndjson', out })
            : storage.export({ format: 'json', out, onProgress: failOnRows(300) });
        await expect(failing).rejects.toThrow(/failed at record 301|progress failed/);
        expect(readdirSync(dir.path).filter((f) => f.startsWith('out') || f.startsWith('.out'))).toEqual([]);
        expect(openUnder(dir.path).filter((p) => !p.includes('store.db'))).toEqual([]);
      } finally {
        await storage.close();
      }
    });
  }
});

function failOnRows(after: number) {
  return (progress: { done: number }) => {
    if (progress.done > after) throw new Error('progress failed');
  };
}
