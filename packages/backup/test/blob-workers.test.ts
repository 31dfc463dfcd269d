import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ThreadedBlobWorkers } from '../src/repository/blob-workers.js';

const config = (key: Buffer) => ({ key, idKey: randomBytes(32), compression: 'zstd' as const, level: 3 });

describe('blob worker threads between operations', () => {
  it('are handed to the next operation with the same keys, and work there', async () => {
    const settings = config(randomBytes(32));
    const first = new ThreadedBlobWorkers(settings, 2);
    const ids = first.threadIds;
    const page = Buffer.alloc(4096, 7);
    const sealed = await first.seal('a'.repeat(64), page);
    await first.close();

    const second = new ThreadedBlobWorkers(settings, 2);
    expect(second.threadIds).toEqual(ids);
    // The kept threads still open what they sealed, and seal again.
    const location = { id: 'a'.repeat(64), pack: 'p', offset: 0, length: sealed.length, rawBytes: 4096 };
    const opened = await second.open({
      stored: sealed,
      blobs: [{ location, offset: 0 }],
      pageSize: 4096,
      digests: false,
    });
    expect(opened.raw.equals(page)).toBe(true);
    // Another operation meanwhile, with other keys, gets threads of its own.
    const other = new ThreadedBlobWorkers(config(randomBytes(32)), 2);
    expect(other.threadIds.some((id) => ids.includes(id))).toBe(false);
    await Promise.all([second.close(), other.close()]);
  });

  it('are kept after a job that failed (a bad blob), which is no failure of the threads', async () => {
    const settings = config(randomBytes(32));
    const first = new ThreadedBlobWorkers(settings, 2);
    const ids = first.threadIds;
    const bad = { id: 'b'.repeat(64), pack: 'p', offset: 0, length: 40, rawBytes: 4096 };
    await expect(
      first.open({
        stored: randomBytes(40),
        blobs: [{ location: bad, offset: 0 }],
        pageSize: 4096,
        digests: false,
      }),
    ).rejects.toMatchObject({ code: 'INTEGRITY' });
    await first.close();
    const second = new ThreadedBlobWorkers(settings, 2);
    expect(second.threadIds).toEqual(ids);
    await second.close();
  });
});
