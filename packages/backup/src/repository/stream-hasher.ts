import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/**
 * The plain sha256 of a stream of bytes (a whole image), computed in the order the parts are given, on a
 * thread of its own when asked: the image's sha256 is the backup's checksum, and on the calling thread it
 * costs about 0.5–1.3 s per GB that the same thread then cannot spend assembling or writing the image.
 *
 * A part in shared memory (a `SharedArrayBuffer`) is hashed in place by the hashing thread; the caller must
 * leave it unchanged until the promise `update` returned has settled. Any other part is copied into shared
 * memory first. Parts are hashed in the order given (one thread, messages handled in order).
 */
export interface StreamHasher {
  update(part: Buffer): Promise<void>;
  /** The sha256 (hex) of every part given; the hasher cannot be used afterwards. */
  digest(): Promise<string>;
  close(): Promise<void>;
}

const HASHER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
let hash = crypto.createHash('sha256');
parentPort.on('message', (job) => {
  try {
    if (job.op === 'update') {
      hash.update(Buffer.from(job.part.buffer, job.part.byteOffset, job.part.byteLength));
      parentPort.postMessage({ seq: job.seq });
    } else if (job.op === 'digest') {
      const hex = hash.digest('hex');
      hash = crypto.createHash('sha256');
      parentPort.postMessage({ seq: job.seq, hex });
    }
  } catch (error) {
    parentPort.postMessage({ seq: job.seq, error: String((error && error.message) || error) });
  }
});
`;

interface HasherReply {
  seq: number;
  hex?: string;
  error?: string;
}

/** sha256 on a thread of its own (shared-memory parts in place). */
class ThreadedStreamHasher implements StreamHasher {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: HasherReply) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #failed: Error | undefined;
  /** The last message posted (closing waits for it). */
  #last: Promise<unknown> = Promise.resolve();

  constructor() {
    this.#worker = new Worker(HASHER_SOURCE, { eval: true });
    this.#worker.on('message', (reply: HasherReply) => {
      const job = this.#pending.get(reply.seq);
      if (!job) return;
      this.#pending.delete(reply.seq);
      if (reply.error !== undefined) job.reject(new Error(`hashing the image: ${reply.error}`));
      else job.resolve(reply);
    });
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', (code) => {
      if (code !== 0) this.#fail(new Error(`the hashing thread exited with code ${code}`));
    });
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
  }

  #post(message: Record<string, unknown>): Promise<HasherReply> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = this.#seq++;
    const reply = new Promise<HasherReply>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#worker.postMessage({ ...message, seq });
    });
    reply.catch(() => undefined);
    this.#last = reply;
    return reply;
  }

  async update(part: Buffer): Promise<void> {
    if (part.buffer instanceof SharedArrayBuffer) {
      await this.#post({ op: 'update', part: new Uint8Array(part.buffer, part.byteOffset, part.byteLength) });
      return;
    }
    // Not shareable: copied and sent (a rare path: images that are not in shared memory).
    const copy = new Uint8Array(new SharedArrayBuffer(part.length));
    copy.set(part);
    await this.#post({ op: 'update', part: copy });
  }

  async digest(): Promise<string> {
    const reply = await this.#post({ op: 'digest' });
    return reply.hex!;
  }

  async close(): Promise<void> {
    await this.#last.catch(() => undefined);
    await this.#worker.terminate();
  }
}

/** sha256 on the calling thread. */
class InlineStreamHasher implements StreamHasher {
  readonly #hash = createHash('sha256');

  async update(part: Buffer): Promise<void> {
    this.#hash.update(part);
  }

  async digest(): Promise<string> {
    return this.#hash.digest('hex');
  }

  async close(): Promise<void> {}
}

/** A hashing thread when there are threads to spare (`threaded`), else the calling thread. */
export function streamHasher(threaded: boolean): StreamHasher {
  return threaded ? new ThreadedStreamHasher() : new InlineStreamHasher();
}
