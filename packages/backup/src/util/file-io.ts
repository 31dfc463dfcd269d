import type { promises as fs } from 'node:fs';

/**
 * The most one write system call is given. Linux (6.x, ext4 and others with large folios) sizes the page-cache
 * folios a write allocates by the write's length and alignment: an aligned 8 MiB write takes 2 MiB folios.
 * Large folios need whole free blocks, and on a virtual machine with free page reporting those are what has
 * been handed back to the host, so each is faulted in again from it. Measured on this project's 2-core VM
 * (kernel 6.18):
 * - 1 GiB written to a new file right after another was deleted: aligned 8, 2 or 1 MiB writes took 0.25 s to
 *   3.0 s of system time (2–3 s in about half the runs); 256 or 64 KiB writes, or unaligned writes of
 *   0.5–2 MB (restic's pattern), 0.22–0.33 s every time;
 * - the 1 GB benchmark image rebuilt right after a restic restore: system time 1.7–3.1 s with 8 MiB writes,
 *   1.0–1.4 s in 256 KiB pieces, 0.5–0.9 s in 64 KiB pieces and 0.46–0.66 s in 128 KiB pieces.
 * On other machines the smaller writes cost a few thousand system calls per GiB more: a few tens of ms.
 */
export const WRITE_PIECE_BYTES = 128 * 1024;

/**
 * Writes all of `data` at `position`, in pieces of at most `WRITE_PIECE_BYTES` (see there), retrying short
 * writes.
 */
export async function writeAt(handle: fs.FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const length = Math.min(WRITE_PIECE_BYTES, data.length - done);
    const { bytesWritten } = await handle.write(data, done, length, position + done);
    if (bytesWritten === 0) throw new Error(`a write at byte ${position + done} wrote nothing`);
    done += bytesWritten;
  }
}

/**
 * Reads `into.length` bytes at `position` (fewer only at the end of the file), retrying short reads. Returns
 * the bytes read.
 */
export async function readAt(handle: fs.FileHandle, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
