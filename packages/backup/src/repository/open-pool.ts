import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import { PAGE_HASH_BYTES } from '../manifest/manifest-body.js';
import { pageHash } from '../manifest/page-hash.js';
import type { BlobLocation } from './pack-writer.js';
import type { Repository } from './repository.js';

/** An opened blob: its decoded bytes and the digest of each of its pages (pageHash, concatenated). */
export interface OpenedBlob {
  readonly raw: Buffer;
  readonly pageHashes: Buffer;
}

/** Authenticates, decrypts and decompresses blobs and hashes their pages: inline or on worker threads. */
export interface BlobOpener {
  open(location: BlobLocation, stored: Buffer, pageSize: number): Promise<OpenedBlob>;
  close(): Promise<void>;
}

function hashPages(raw: Buffer, pageSize: number): Buffer {
  const out = Buffer.alloc(Math.floor(raw.length / pageSize) * PAGE_HASH_BYTES);
  for (let i = 0; i * pageSize < raw.length; i += 1) {
    pageHash(raw.subarray(i * pageSize, (i + 1) * pageSize)).copy(out, i * PAGE_HASH_BYTES);
  }
  return out;
}

export function inlineOpener(repository: Repository): BlobOpener {
  return {
    async open(location, _stored, pageSize) {
      const raw = await repository.readBlob(location);
      return { raw, pageHashes: hashPages(raw, pageSize) };
    },
    close: async () => undefined,
  };
}

// Plain CommonJS evaluated from a string (runs the same from sources and from dist/). It does what
// Repository.readBlob does — whole-object GCM check with a 16-byte tag before any byte is used, the codec
// byte, a bounded decompression, the recorded size — and hashes the pages as pageHash does.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const zstd = require(workerData.zstdPath);
const decompressor = new zstd.Decompressor();
decompressor.setParameters({ windowLogMax: 27 });
const key = workerData.key ? Buffer.from(workerData.key) : undefined;
parentPort.on('message', (job) => {
  try {
    const stored = Buffer.from(job.stored.buffer, job.stored.byteOffset, job.stored.byteLength);
    let encoded = stored;
    if (key) {
      if (stored.length < 28) throw Object.assign(new Error('too short'), { kind: 'auth' });
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, stored.subarray(0, 12), { authTagLength: 16 });
      decipher.setAuthTag(stored.subarray(stored.length - 16));
      decipher.setAAD(Buffer.from('blob:' + job.id, 'utf8'));
      const body = decipher.update(stored.subarray(12, stored.length - 16));
      try { decipher.final(); } catch (e) { body.fill(0); throw Object.assign(new Error('authentication failed'), { kind: 'auth' }); }
      encoded = body;
    }
    let raw;
    if (encoded[0] === 0) raw = encoded.subarray(1);
    else if (encoded[0] === 1) raw = decompressor.decompress(encoded.subarray(1));
    else throw new Error('unknown codec tag ' + encoded[0]);
    if (raw.length !== job.rawBytes) throw new Error('decodes to ' + raw.length + ' bytes, expected ' + job.rawBytes);
    const pages = Math.floor(raw.length / job.pageSize);
    const hashes = new Uint8Array(pages * 16);
    for (let i = 0; i < pages; i++) {
      hashes.set(crypto.createHash('sha256').update(raw.subarray(i * job.pageSize, (i + 1) * job.pageSize)).digest().subarray(0, 16), i * 16);
    }
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    parentPort.postMessage({ seq: job.seq, raw: copy, hashes }, [copy.buffer, hashes.buffer]);
  } catch (error) {
    parentPort.postMessage({ seq: job.seq, error: String(error && error.message || error), kind: error && error.kind });
  }
});
`;

interface Reply {
  seq: number;
  raw?: Uint8Array;
  hashes?: Uint8Array;
  error?: string;
  kind?: string;
}

/** Worker threads that open blobs round-robin. */
export class OpenPool implements BlobOpener {
  readonly #workers: Worker[];
  readonly #pending = new Map<
    number,
    { location: BlobLocation; resolve: (o: OpenedBlob) => void; reject: (e: Error) => void }
  >();
  #seq = 0;
  #failed: Error | undefined;

  constructor(key: Buffer | undefined, threads: number) {
    const zstdPath = createRequire(import.meta.url).resolve('zstd-napi');
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { zstdPath, key: key ? new Uint8Array(key) : undefined },
      });
      worker.on('message', (reply: Reply) => this.#settle(reply));
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`a blob-opening worker exited with code ${code}`));
      });
      return worker;
    });
  }

  #settle(reply: Reply): void {
    const job = this.#pending.get(reply.seq);
    if (!job) return;
    this.#pending.delete(reply.seq);
    const what = `blob ${job.location.id.slice(0, 16)}… in pack ${job.location.pack.slice(0, 16)}…`;
    if (reply.error !== undefined || !reply.raw || !reply.hashes) {
      job.reject(
        new BackupError(
          StorageErrorCode.INTEGRITY,
          BackupFailure.OBJECT_CORRUPT,
          reply.kind === 'auth'
            ? `${what} fails authentication (tampered, truncated, swapped, or a different key)`
            : `${what} does not decode: ${reply.error}`,
          { details: { blob: job.location.id, pack: job.location.pack } },
        ),
      );
      return;
    }
    job.resolve({
      raw: Buffer.from(reply.raw.buffer, reply.raw.byteOffset, reply.raw.byteLength),
      pageHashes: Buffer.from(reply.hashes.buffer, reply.hashes.byteOffset, reply.hashes.byteLength),
    });
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
  }

  open(location: BlobLocation, stored: Buffer, pageSize: number): Promise<OpenedBlob> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = this.#seq++;
    const worker = this.#workers[seq % this.#workers.length]!;
    return new Promise<OpenedBlob>((resolve, reject) => {
      this.#pending.set(seq, { location, resolve, reject });
      const copy = new Uint8Array(stored.length);
      copy.set(stored);
      worker.postMessage({ seq, id: location.id, stored: copy, rawBytes: location.rawBytes, pageSize }, [
        copy.buffer,
      ]);
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
