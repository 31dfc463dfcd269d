import type { promises as fs } from 'node:fs';

/**
 * The most one write system call is given. Linux (6.x, ext4 and others with large folios) sizes the page-cache
 * folios a write allocates by the write's length and alignment: an aligned 8 MiB write takes 2 MiB folios,
 * a 256 KiB one 256 KiB folios at most. Large folios need whole free blocks of 2 MiB, and those are exactly
 * what a virtual machine's free page reporting has handed back to its host, so each of them is faulted in
 * again from the host. Measured on this project's 2-core VM (kernel 6.18), 1 GiB written to a new file
 * right after another was deleted:
 * - in aligned 8 MiB, 2 MiB or 1 MiB writes, 0.25 s to 3.0 s of system time (2–3 s in about half the runs);
 * - in 256 KiB or 64 KiB writes, or in unaligned writes of 0.5–2 MB (restic's pattern), 0.22–0.33 s every
 *   time.
 * On other machines the smaller writes cost a few thousand system calls per GiB more, a few tens of ms.
 */
export const WRITE_PIECE_BYTES = 256 * 1024;

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
