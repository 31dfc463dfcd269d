import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { keepIdle, takeIdle, watchIdle } from './idle-threads.js';

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
    } else if (job.op === 'reset') {
      hash = crypto.createHash('sha256');
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

/** The key a finished operation's hashing thread is kept under for the next one (idle-threads.ts). */
const IDLE_KEY = 'sha256-stream-hasher';

/** sha256 on a thread of its own (shared-memory parts in place). */
class ThreadedStreamHasher implements StreamHasher {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: HasherReply) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #failed: Error | undefined;
  /** The last message posted (closing waits for it). */
  #last: Promise<unknown> = Promise.resolve();
  readonly #onMessage = (reply: HasherReply) => {
    const job = this.#pending.get(reply.seq);
    if (!job) return;
    this.#pending.delete(reply.seq);
    if (reply.error !== undefined) job.reject(new Error(`hashing the image: ${reply.error}`));
    else job.resolve(reply);
  };
  readonly #onError = (error: Error) => this.#fail(error);
  readonly #onExit = (code: number) => {
    if (code !== 0) this.#fail(new Error(`the hashing thread exited with code ${code}`));
  };

  constructor() {
    const kept = takeIdle(IDLE_KEY)?.[0];
    if (kept) {
      this.#worker = kept;
    } else {
      this.#worker = new Worker(HASHER_SOURCE, { eval: true });
      watchIdle(IDLE_KEY, this.#worker);
    }
    this.#worker.on('message', this.#onMessage);
    this.#worker.on('error', this.#onError);
    this.#worker.on('exit', this.#onExit);
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
    // Kept for the next operation when sound and idle (its hash started afresh), unless one is kept already.
    const reusable = !this.#failed && this.#pending.size === 0;
    if (reusable) await this.#post({ op: 'reset' }).catch(() => undefined);
    this.#worker.off('message', this.#onMessage);
    this.#worker.off('error', this.#onError);
    this.#worker.off('exit', this.#onExit);
    if (!reusable || this.#failed || !keepIdle(IDLE_KEY, [this.#worker])) await this.#worker.terminate();
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
