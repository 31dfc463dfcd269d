import { promises as fs, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAt, WRITE_PIECE_BYTES, writeAt } from '../src/util/file-io.js';

const dir = mkdtempSync(join(tmpdir(), 'kb-file-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file handle that records its calls and writes or reads at most `max` bytes per call. */
function shortHandle(max: number) {
  const file = Buffer.alloc(4 * WRITE_PIECE_BYTES);
  const writes: number[] = [];
  const handle = {
    async write(data: Uint8Array, offset: number, length: number, position: number) {
      writes.push(length);
      const n = Math.min(length, max);
      file.set(data.subarray(offset, offset + n), position);
      return { bytesWritten: n, buffer: data };
    },
    async read(into: Uint8Array, offset: number, length: number, position: number) {
      const n = Math.max(0, Math.min(length, max, file.length - position));
      into.set(file.subarray(position, position + n), offset);
      return { bytesRead: n, buffer: into };
    },
  };
  return { file, writes, handle: handle as unknown as fs.FileHandle };
}

describe('writeAt / readAt', () => {
  it('writes a large buffer in pieces of at most WRITE_PIECE_BYTES, at its position', async () => {
    const path = join(dir, 'pieces.bin');
    const data = Buffer.alloc(2 * WRITE_PIECE_BYTES + 12_345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;
    const handle = await fs.open(path, 'wx+');
    const calls: number[] = [];
    const write = handle.write.bind(handle);
    // Spy on the lengths handed to the system call.
    (handle as { write: unknown }).write = (
      buffer: Uint8Array,
      offset: number,
      length: number,
      position: number,
    ) => {
      calls.push(length);
      return write(buffer, offset, length, position);
    };
    await writeAt(handle, data, 100);
    await handle.close();
    expect(calls).toEqual([WRITE_PIECE_BYTES, WRITE_PIECE_BYTES, 12_345]);
    const written = readFileSync(path);
    expect(written.length).toBe(100 + data.length);
    expect(written.subarray(100).equals(data)).toBe(true);
  });

  it('retries short writes and short reads until every byte is done', async () => {
    const { file, writes, handle } = shortHandle(1_000);
    const data = Buffer.from(Array.from({ length: 3_500 }, (_, i) => i & 255));
    await writeAt(handle, data, 10);
    expect(writes).toEqual([3_500, 2_500, 1_500, 500]);
    expect(file.subarray(10, 3_510).equals(data)).toBe(true);
    const into = Buffer.alloc(3_500);
    expect(await readAt(handle, into, 10)).toBe(3_500);
    expect(into.equals(data)).toBe(true);
  });

  it('reads fewer bytes only at the end of the file', async () => {
    const { file, handle } = shortHandle(700);
    const into = Buffer.alloc(2_000);
    expect(await readAt(handle, into, file.length - 1_500)).toBe(1_500);
  });

  it('fails instead of looping when a write makes no progress', async () => {
    const { handle } = shortHandle(0);
    await expect(writeAt(handle, Buffer.alloc(10), 0)).rejects.toThrow(/wrote nothing/);
  });
});
