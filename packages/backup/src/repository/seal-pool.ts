import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { CompressionName } from './blob-codec.js';
import type { Repository } from './repository.js';

/** Compresses then encrypts blobs: on this thread, or spread over worker threads. */
export interface BlobSealer {
  seal(id: string, raw: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

/** The same work on the calling thread (one core, or tests that want no threads). */
export function inlineSealer(repository: Repository): BlobSealer {
  return {
    seal: async (id, raw) => repository.sealBlob(id, raw),
    close: async () => undefined,
  };
}

// The worker's code is plain CommonJS evaluated from this string, so it runs the same from TypeScript
// sources (tests, tsx) and from dist/. It must produce exactly what BlobCodec.encode + sealObject produce:
// a codec byte (0 raw, 1 zstd) then the data, sealed as nonce ‖ ciphertext ‖ tag with AAD `blob:<id>`.
// Every backup's restore test reads these blobs back through the single-threaded path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zstd = workerData.compression === 'zstd' ? require(workerData.zstdPath) : undefined;
let compressor;
if (zstd) {
  compressor = new zstd.Compressor();
  compressor.setParameters({ compressionLevel: workerData.level });
}
const key = workerData.key ? Buffer.from(workerData.key) : undefined;
parentPort.on('message', (job) => {
  try {
    const raw = Buffer.from(job.raw.buffer, job.raw.byteOffset, job.raw.byteLength);
    let encoded;
    const packed = compressor ? compressor.compress(raw) : undefined;
    encoded = packed && packed.length + 1 < raw.length ? Buffer.concat([Buffer.of(1), packed]) : Buffer.concat([Buffer.of(0), raw]);
    let out = encoded;
    if (key) {
      const nonce = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
      cipher.setAAD(Buffer.from('blob:' + job.id, 'utf8'));
      const body = cipher.update(encoded);
      const last = cipher.final();
      out = Buffer.concat([nonce, body, last, cipher.getAuthTag()]);
    }
    const copy = new Uint8Array(out.length);
    copy.set(out);
    parentPort.postMessage({ seq: job.seq, sealed: copy }, [copy.buffer]);
  } catch (error) {
    parentPort.postMessage({ seq: job.seq, error: String(error && error.stack || error) });
  }
});
`;

export interface SealPoolOptions {
  readonly key: Buffer | undefined;
  readonly compression: CompressionName;
  readonly level: number;
  readonly threads: number;
}

/** Worker threads that seal blobs round-robin; results come back by sequence number. */
export class SealPool implements BlobSealer {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #failed: Error | undefined;

  constructor(options: SealPoolOptions) {
    const zstdPath = createRequire(import.meta.url).resolve('zstd-napi');
    this.#workers = Array.from({ length: options.threads }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          zstdPath,
          compression: options.compression,
          level: options.level,
          key: options.key ? new Uint8Array(options.key) : undefined,
        },
      });
      worker.on('message', (message: { seq: number; sealed?: Uint8Array; error?: string }) => {
        const job = this.#pending.get(message.seq);
        if (!job) return;
        this.#pending.delete(message.seq);
        if (message.error !== undefined || !message.sealed)
          job.reject(new Error(`sealing a blob: ${message.error}`));
        else
          job.resolve(
            Buffer.from(message.sealed.buffer, message.sealed.byteOffset, message.sealed.byteLength),
          );
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`a sealing worker exited with code ${code}`));
      });
      return worker;
    });
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
  }

  seal(id: string, raw: Buffer): Promise<Buffer> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = this.#seq++;
    const worker = this.#workers[seq % this.#workers.length]!;
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      // A private copy is transferred, so the caller's buffer stays usable.
      const copy = new Uint8Array(raw.length);
      copy.set(raw);
      worker.postMessage({ seq, id, raw: copy }, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
