import type { Destination } from '../destination/destination.js';
import { fileDigest } from './sealed-file.js';

/** Where one blob lives: the pack (named by its sha256), the byte range there, and its size decoded. */
export interface BlobLocation {
  /** Keyed hash of the blob's content (hex): its address, and the AAD its ciphertext is bound to. */
  readonly id: string;
  pack: string;
  readonly offset: number;
  readonly length: number;
  /** Bytes of the blob once decrypted and decompressed. */
  readonly rawBytes: number;
}

export function packKey(name: string): string {
  return `data/${name.slice(0, 2)}/${name}`;
}

/**
 * Gathers sealed blobs into pack files of about `targetBytes` and stores each under its sha256, so the name
 * checks the content without any key. One pack is being written while the next fills: I/O overlaps the
 * compression and encryption of the following blobs. Blobs are copied into one of two pack buffers that are
 * reused for every pack (a fresh buffer per pack, or the sealed blobs kept as parts, cost a new stretch of
 * memory per pack: on a virtual machine whose fresh pages fault in from the host that is slower than the copy).
 */
export class PackWriter {
  readonly #destination: Destination;
  readonly #targetBytes: number;
  /** The buffer being filled; buffers whose pack is written, to fill again. */
  #filling: Buffer | undefined;
  readonly #free: Buffer[] = [];
  #bytes = 0;
  #pending: BlobLocation[] = [];
  #writing: Promise<void> = Promise.resolve();
  readonly written: { name: string; bytes: number }[] = [];

  constructor(destination: Destination, targetBytes: number) {
    this.#destination = destination;
    this.#targetBytes = targetBytes;
  }

  get storedBytes(): number {
    return this.written.reduce((sum, p) => sum + p.bytes, 0);
  }

  /** Queues a sealed blob (copied: the caller may reuse `sealed`); its location's `pack` is filled in when the pack is written. */
  async add(id: string, sealed: Uint8Array, rawBytes: number): Promise<BlobLocation> {
    const location: BlobLocation = { id, pack: '', offset: this.#bytes, length: sealed.length, rawBytes };
    this.#reserve(this.#bytes + sealed.length);
    this.#filling!.set(sealed, this.#bytes);
    this.#bytes += sealed.length;
    this.#pending.push(location);
    if (this.#bytes >= this.#targetBytes) await this.#flush();
    return location;
  }

  /** Room for `bytes` in the buffer being filled (a pack may exceed the target by its last blob). */
  #reserve(bytes: number): void {
    const filling = this.#filling;
    if (filling && filling.length >= bytes) return;
    const reused = filling ? undefined : this.#free.pop();
    const grown =
      reused && reused.length >= bytes
        ? reused
        : Buffer.allocUnsafeSlow(
            Math.max(bytes, this.#targetBytes + 64 * 1024, (filling?.length ?? 0) * 2, reused?.length ?? 0),
          );
    if (filling) filling.copy(grown, 0, 0, this.#bytes);
    this.#filling = grown;
  }

  async #flush(): Promise<void> {
    if (this.#bytes === 0) return;
    const full = this.#filling!;
    const data = full.subarray(0, this.#bytes);
    const locations = this.#pending;
    const bytes = this.#bytes;
    this.#filling = undefined;
    this.#pending = [];
    this.#bytes = 0;
    // At most one pack in flight: wait for the previous one before starting this one.
    await this.#writing;
    const name = fileDigest([data]);
    for (const location of locations) location.pack = name;
    this.#writing = this.#destination.put(packKey(name), [data], name).then(() => {
      this.written.push({ name, bytes });
      this.#free.push(full);
    });
  }

  /** Writes the last partial pack and waits for every write. */
  async finish(): Promise<void> {
    await this.#flush();
    await this.#writing;
  }

  /** Waits for an in-flight write without flushing (used when abandoning after an error). */
  async settle(): Promise<void> {
    await this.#writing.catch(() => undefined);
  }
}
