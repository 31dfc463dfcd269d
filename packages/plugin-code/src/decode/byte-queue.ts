/**
 * Bytes received but not yet consumed, kept as the chunks they came in. `peek` joins chunks only when a
 * record spans them, so memory stays at about one record plus one chunk.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes of the first chunk already consumed. */
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The next `count` bytes (count ≤ length), without consuming them. */
  peek(count: number): Uint8Array {
    const first = this.chunks[0];
    if (!first || count === 0) return new Uint8Array(0);
    if (first.length - this.head >= count) return first.subarray(this.head, this.head + count);
    const joined = new Uint8Array(count);
    let filled = 0;
    for (let i = 0; filled < count; i++) {
      const chunk = this.chunks[i] as Uint8Array;
      const from = i === 0 ? this.head : 0;
      const take = Math.min(chunk.length - from, count - filled);
      joined.set(chunk.subarray(from, from + take), filled);
      filled += take;
    }
    return joined;
  }

  consume(count: number): void {
    let left = Math.min(count, this.size);
    this.size -= left;
    while (left > 0) {
      const first = this.chunks[0] as Uint8Array;
      const rest = first.length - this.head;
      if (rest > left) {
        this.head += left;
        return;
      }
      left -= rest;
      this.chunks.shift();
      this.head = 0;
    }
  }
}
