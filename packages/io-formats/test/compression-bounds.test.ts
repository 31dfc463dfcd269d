import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ValidationError } from '@mainframe-kb/storage-core';
import { generateCorpusArray } from '@mainframe-kb/testkit';
import { describe, expect, it } from 'vitest';
import { type ImportOptions, importStore, reasonOf } from '../src/index.js';
import { snapshot, useSeededStore } from './store-helpers.js';

const MiB = 1024 * 1024;

/**
 * A gzip file of `members` concatenated gzip members (a valid gzip stream: readers decompress them one after
 * the other). Built from a few compressed blocks repeated, so a file that expands to gigabytes is written in
 * milliseconds.
 */
function concatenatedGzip(members: readonly Buffer[]): Buffer {
  return Buffer.concat(members);
}

/** The peak resident set size while `run` runs, sampled every 20 ms, and its duration. */
async function measured<T>(run: () => Promise<T>): Promise<{ value: T; ms: number; rssGrowth: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  try {
    const value = await run();
    return {
      value,
      ms: performance.now() - started,
      rssGrowth: Math.max(peak, process.memoryUsage().rss) - base,
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * RELIABILITY.md promise 10 for compressed input: what an import costs follows the bytes it is allowed to
 * decompress, not the size of the file. Decompressed bytes, the compression ratio past the first MiB, records
 * and nested compression are bounded; past a bound the import is refused within seconds, with flat memory,
 * and nothing is written.
 */
describe('compressed input is bounded by what it expands to', () => {
  const fx = useSeededStore();

  async function refused(input: string, limits?: ImportOptions['limits']) {
    const outcome = await measured(() =>
      importStore(fx.storage, { input, limits }).then(
        (result) => new Error(`accepted: ${JSON.stringify(result).slice(0, 500)}`),
        (e: unknown) => e,
      ),
    );
    expect(outcome.value).toBeInstanceOf(ValidationError);
    expect(await snapshot(fx.storage)).toEqual(fx.before);
    return { ...outcome, reason: reasonOf(outcome.value), message: (outcome.value as Error).message };
  }

  it('a 2 GiB whitespace bomb (a ~2 MB gzip) is refused in seconds with flat memory', async () => {
    const spaces = gzipSync(Buffer.alloc(16 * MiB, 0x20), { level: 9 });
    const members = [gzipSync('['), ...Array.from({ length: 128 }, () => spaces), gzipSync(']')];
    const file = fx.dir.file('whitespace-bomb.json.gz');
    writeFileSync(file, concatenatedGzip(members));
    const { reason, message, ms, rssGrowth } = await refused(file);
    expect(reason).toBe('DECOMPRESSION_LIMIT');
    expect(message).toMatch(/ratio/);
    // Time is printed, not asserted (a loaded machine is slower); the bound is the bytes and records read.
    console.info(`refused after ${Math.round(ms)} ms`);
    expect(rssGrowth).toBeLessThan(200 * MiB);
  }, 60_000);

  it('5M tiny NDJSON records in a ~60 KB gzip: refused by the ratio, or at the record limit', async () => {
    // Records the import rejects (no problem, solution or category): validated, never written, so the test
    // measures the reading and its bound rather than SQLite's inserts.
    const block = gzipSync('{"title":"t"}\n'.repeat(50_000), { level: 9 });
    const file = fx.dir.file('five-million.ndjson.gz');
    writeFileSync(file, concatenatedGzip(Array.from({ length: 100 }, () => block)));

    const byRatio = await refused(file);
    expect(byRatio.reason).toBe('DECOMPRESSION_LIMIT');
    // Time is printed, not asserted (a loaded machine is slower); the bound is the bytes and records read.
    console.info(`refused after ${Math.round(byRatio.ms)} ms`);
    expect(byRatio.rssGrowth).toBeLessThan(200 * MiB);

    // With the ratio bound lifted, the record bound stops it at 100,000 records.
    const byCount = await refused(file, { maxRecords: 100_000, maxCompressionRatio: 1_000_000 });
    expect(byCount.reason).toBe('TOO_MANY_RECORDS');
    expect(byCount.message).toContain('100000');
    // Time is printed, not asserted (a loaded machine is slower); the bound is the bytes and records read.
    console.info(`refused after ${Math.round(byCount.ms)} ms`);
  }, 60_000);

  it('a compressed file inside a compressed file is refused', async () => {
    const inner = gzipSync('{"title":"t","problem":"p","solution":"s","category":"JCL"}\n');
    const file = fx.dir.file('nested.ndjson.gz.gz');
    writeFileSync(file, gzipSync(inner));
    const { reason, message } = await refused(file);
    expect(reason).toBe('DECOMPRESSION_LIMIT');
    expect(message).toMatch(/inside/);
  });

  it('the bounds are options: a ratio or size set lower refuses what the defaults accept', async () => {
    const lines = generateCorpusArray({ count: 2_000, seed: 'compression-bounds' })
      .map((e) => JSON.stringify({ ...e, tags: e.tags?.join(',') }))
      .join('\n');
    const file = fx.dir.file('ordinary.ndjson.gz');
    writeFileSync(file, gzipSync(lines));
    const accepted = await importStore(fx.storage, { input: file, dryRun: true });
    expect(accepted.errors).toEqual([]);
    expect(accepted.inserted).toBe(2_000);
    expect((await refused(file, { maxCompressionRatio: 2 })).reason).toBe('DECOMPRESSION_LIMIT');
    expect((await refused(file, { maxDecompressedBytes: 64 * 1024 })).reason).toBe('DECOMPRESSION_LIMIT');
    await expect(
      importStore(fx.storage, { input: file, limits: { maxCompressionRatio: 0 } }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/maxCompressionRatio/) });
  });
});
