import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StorageErrorCode } from '@mainframe-kb/storage-core';
import { BackupError, BackupFailure } from '../errors/backup-error.js';
import type { CompressionName } from './blob-codec.js';
import { keepIdle, takeIdle, watchIdle } from './idle-threads.js';
import type { BlobLocation } from './pack-writer.js';

/**
 * The CPU work of backups and restores: page digests, blob ids, compression + encryption, and the reverse.
 *
 * One implementation, plain CommonJS in a string, so it runs the same from TypeScript sources (tests, tsx) and
 * from dist/, on worker threads (`BlobWorkers`) and, with one thread, on the calling thread (`inlineWorkers`,
 * which evaluates the same string). It must produce exactly what BlobCodec + sealObject + pageHash produce:
 * - page digest: the first 16 bytes of sha256(page);
 * - blob id: HMAC-SHA256(id key, `pages:<pageSize>:` ‖ digests of its pages), hex;
 * - sealed blob: codec byte (0 raw, 1 zstd) ‖ data, then nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16), AAD
 *   `blob:<id>`; opening checks the whole object's tag before any byte is used, then a bounded decompression
 *   to the recorded size.
 */
const CORE = `
const crypto = require('node:crypto');
// zstd-napi's native binding, used directly: it compresses into and decompresses into buffers given to it,
// where its wrapper classes allocate a result per call (and per call only to copy it into place here).
const zstd = config.zstdPath ? require(config.zstdPath) : undefined;
let cctx;
if (zstd && config.compression === 'zstd') {
  cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.compressionLevel, config.level);
}
let dctx;
if (zstd) {
  dctx = new zstd.DCtx();
  dctx.setParameter(zstd.DParameter.windowLogMax, 27);
}
const key = config.key ? Buffer.from(config.key) : undefined;
const idKey = config.idKey ? Buffer.from(config.idKey) : undefined;
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest();
let skip = new Set();
// Reused for every blob: the codec byte and the compressed bytes, before encryption.
let scratch = Buffer.alloc(0);

function scratchOf(bytes) {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * scratch.length));
  return scratch;
}

// Codec byte (0 raw, 1 zstd) and data, in the scratch buffer: valid until the next call.
function encode(raw) {
  if (cctx) {
    const out = scratchOf(1 + zstd.compressBound(raw.length));
    const n = cctx.compress2(out.subarray(1), raw);
    if (n + 1 < raw.length) {
      out[0] = 1;
      return out.subarray(0, n + 1);
    }
  }
  const out = scratchOf(1 + raw.length);
  out[0] = 0;
  out.set(raw, 1);
  return out.subarray(0, raw.length + 1);
}

// The sealed blob written into \`out\` at \`at\` (room for SEAL_BOUND(raw.length) bytes); returns its length.
function sealInto(id, raw, out, at) {
  const encoded = encode(raw);
  if (!key) {
    out.set(encoded, at);
    return encoded.length;
  }
  crypto.randomFillSync(out, at, 12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, out.subarray(at, at + 12), { authTagLength: 16 });
  cipher.setAAD(Buffer.from('blob:' + id, 'utf8'));
  const body = cipher.update(encoded);
  out.set(body, at + 12);
  const last = cipher.final();
  out.set(last, at + 12 + body.length);
  out.set(cipher.getAuthTag(), at + 12 + body.length + last.length);
  return 12 + body.length + last.length + 16;
}

// At most: nonce, codec byte, zstd's bound for the data, tag (zstd's bound: n + n/256 + at most 64).
function sealBound(bytes) {
  return 12 + 1 + bytes + (bytes >>> 8) + 64 + 16;
}

function seal(id, raw) {
  const out = Buffer.allocUnsafe(sealBound(raw.length));
  return out.subarray(0, sealInto(id, raw, out, 0));
}

function digests(raw, pageSize) {
  const pages = Math.floor(raw.length / pageSize);
  const out = new Uint8Array(pages * 16);
  for (let i = 0; i < pages; i++) out.set(sha256(raw.subarray(i * pageSize, (i + 1) * pageSize)).subarray(0, 16), i * 16);
  return out;
}

function authError(message) { return Object.assign(new Error(message), { kind: 'auth' }); }

// Authenticates and decodes one blob into \`into\` (exactly its decoded size).
function open(id, stored, into) {
  let encoded = stored;
  if (key) {
    if (stored.length < 28) throw authError('too short');
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, stored.subarray(0, 12), { authTagLength: 16 });
    decipher.setAuthTag(stored.subarray(stored.length - 16));
    decipher.setAAD(Buffer.from('blob:' + id, 'utf8'));
    const body = decipher.update(stored.subarray(12, stored.length - 16));
    try { decipher.final(); } catch (e) { body.fill(0); throw authError('authentication failed'); }
    encoded = body;
  }
  if (into.length > 64 * 1024 * 1024) throw new Error('a blob of ' + into.length + ' bytes is beyond the limit');
  if (encoded[0] === 0) {
    if (encoded.length - 1 !== into.length) throw new Error('decodes to ' + (encoded.length - 1) + ' bytes, expected ' + into.length);
    into.set(encoded.subarray(1));
  } else if (encoded[0] === 1) {
    if (!dctx) throw new Error('zstd is not available');
    // Bounded: a frame that decodes to more than the recorded size fails (destination too small).
    const n = dctx.decompress(into, encoded.subarray(1));
    if (n !== into.length) throw new Error('decodes to ' + n + ' bytes, expected ' + into.length);
  } else throw new Error('unknown codec tag ' + encoded[0]);
}

function handle(job) {
  const view = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  switch (job.op) {
    case 'skip':
      skip = new Set(job.ids);
      return { out: {}, transfer: [] };
    case 'seal': {
      // A copy of its own size is transferred: \`seal\` wrote into a buffer of the bound.
      const out = new Uint8Array(seal(job.id, view(job.raw)));
      return { out: { sealed: out }, transfer: [out.buffer] };
    }
    case 'pages': {
      // Digests of every page; with group > 0 also the id of every group of pages, and those groups sealed
      // unless their id is one the repository already holds (skip).
      const raw = view(job.raw);
      const hashes = digests(raw, job.pageSize);
      const ids = [];
      const lengths = [];
      // Sealed groups go one after another into \`out\` (shared memory the caller reuses) when given.
      const out = job.out ? view(job.out) : undefined;
      const parts = [];
      let total = 0;
      if (job.group > 0) {
        const pages = hashes.length / 16;
        const groupBytes = job.group * job.pageSize;
        for (let g = 0; g * job.group < pages; g++) {
          const first = g * job.group;
          const count = Math.min(job.group, pages - first);
          const hmac = crypto.createHmac('sha256', idKey);
          hmac.update('pages:' + job.pageSize + ':');
          hmac.update(hashes.subarray(first * 16, (first + count) * 16));
          const id = hmac.digest('hex');
          ids.push(id);
          if (skip.has(id)) { lengths.push(-1); continue; }
          const data = raw.subarray(g * groupBytes, g * groupBytes + count * job.pageSize);
          if (out) {
            if (out.length - total < sealBound(data.length)) throw new Error('the output buffer is too small');
            const length = sealInto(id, data, out, total);
            lengths.push(length);
            total += length;
          } else {
            const sealed = seal(id, data);
            parts.push(sealed);
            lengths.push(sealed.length);
            total += sealed.length;
          }
        }
      }
      if (out) return { out: { hashes, ids, lengths }, transfer: [hashes.buffer] };
      const sealed = new Uint8Array(total);
      let at = 0;
      for (const p of parts) { sealed.set(p, at); at += p.length; }
      return { out: { hashes, ids, lengths, sealed }, transfer: [hashes.buffer, sealed.buffer] };
    }
    case 'open': {
      // Blobs of one stretch of a pack, in order: authenticated, decoded, concatenated (into \`out\` when
      // given: shared memory the caller reuses, so nothing is allocated per job); page digests on request.
      const stored = view(job.stored);
      let total = 0;
      for (const b of job.blobs) total += b.rawBytes;
      if (job.out && job.out.byteLength < total) throw new Error('the output buffer is too small');
      const raw = job.out ? job.out.subarray(0, total) : new Uint8Array(total);
      let at = 0;
      for (let i = 0; i < job.blobs.length; i++) {
        const b = job.blobs[i];
        try {
          open(b.id, stored.subarray(b.offset, b.offset + b.length), raw.subarray(at, at + b.rawBytes));
        } catch (error) {
          error.blob = i;
          throw error;
        }
        at += b.rawBytes;
      }
      const hashes = job.digests ? digests(view(raw), job.pageSize) : new Uint8Array(0);
      if (job.out) return { out: { hashes }, transfer: [hashes.buffer] };
      return { out: { raw, hashes }, transfer: [raw.buffer, hashes.buffer] };
    }
    default:
      throw new Error('unknown job ' + job.op);
  }
}
`;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const config = workerData;
${CORE}
parentPort.on('message', (job) => {
  try {
    const { out, transfer } = handle(job);
    parentPort.postMessage({ seq: job.seq, ...out }, transfer);
  } catch (error) {
    parentPort.postMessage({ seq: job.seq, error: String((error && error.message) || error), kind: error && error.kind, blob: error && error.blob });
  }
});
`;

export interface BlobWorkerConfig {
  /** AES-256-GCM key; undefined in a plaintext repository. */
  readonly key: Buffer | undefined;
  /** HMAC key of blob ids (needed to hash and seal groups of pages). */
  readonly idKey?: Buffer | undefined;
  readonly compression: CompressionName;
  readonly level: number;
}

/** Digests of a stretch of pages and, for groups, their ids and sealed blobs (undefined: already stored). */
export interface PagesResult {
  /** 16 bytes per page. */
  readonly hashes: Buffer;
  readonly groups: readonly { readonly id: string; readonly sealed: Buffer | undefined }[];
}

/** Blobs of a pack stretch, decoded and concatenated in the order asked; page digests when asked. */
export interface OpenedBlobs {
  readonly raw: Buffer;
  readonly pageHashes: Buffer;
}

export interface OpenRequest {
  /** The stored bytes holding the blobs (a slice of a pack). */
  readonly stored: Buffer;
  /** Each blob's location; `offset` is relative to `stored`. */
  readonly blobs: readonly { readonly location: BlobLocation; readonly offset: number }[];
  readonly pageSize: number;
  readonly digests: boolean;
  /**
   * Where to decode the blobs (at least the sum of their `rawBytes`); the result's `raw` is then a view of
   * it. In shared memory (a `SharedArrayBuffer`), worker threads decode into it in place and `stored` in
   * shared memory is read in place too: nothing is allocated or copied per job on the calling thread.
   */
  readonly into?: Buffer | undefined;
}

/** The backup and restore CPU work: on worker threads or on the calling thread. */
export interface BlobWorkers {
  /** Groups whose id is in `ids` are not sealed again (the repository holds them). */
  setSkip(ids: readonly string[]): void;
  /**
   * With `into` (shared memory of at least `sealedBound(raw.length, groups)` bytes), sealed groups are written
   * there and the result's `sealed` buffers are views of it: nothing is allocated per call for them.
   */
  pages(raw: Buffer, pageSize: number, group: number, into?: Buffer): Promise<PagesResult>;
  seal(id: string, raw: Buffer): Promise<Buffer>;
  open(request: OpenRequest): Promise<OpenedBlobs>;
  close(): Promise<void>;
}

interface Reply {
  seq: number;
  error?: string;
  kind?: string;
  blob?: number;
  sealed?: Uint8Array;
  hashes?: Uint8Array;
  ids?: string[];
  lengths?: number[];
  raw?: Uint8Array;
}

const asBuffer = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

function workerData(config: BlobWorkerConfig) {
  let zstdPath: string | undefined;
  try {
    zstdPath = createRequire(import.meta.url).resolve('zstd-napi/binding');
  } catch {
    zstdPath = undefined;
  }
  return {
    zstdPath,
    compression: config.compression,
    level: config.level,
    key: config.key ? new Uint8Array(config.key) : undefined,
    idKey: config.idKey ? new Uint8Array(config.idKey) : undefined,
  };
}

function openFailure(request: OpenRequest, reply: Reply): Error {
  const location = request.blobs[reply.blob ?? 0]?.location;
  if (!location) return new Error(`opening blobs: ${reply.error}`);
  const what = `blob ${location.id.slice(0, 16)}… in pack ${location.pack.slice(0, 16)}…`;
  return new BackupError(
    StorageErrorCode.INTEGRITY,
    BackupFailure.OBJECT_CORRUPT,
    reply.kind === 'auth'
      ? `${what} fails authentication (tampered, truncated, swapped, or a different key)`
      : `${what} does not decode: ${reply.error}`,
    { details: { blob: location.id, pack: location.pack } },
  );
}

/** Room for every group of `bytes` of pages sealed, `groups` groups (the worker's sealBound, summed). */
export function sealedBound(bytes: number, groups: number): number {
  return bytes + Math.ceil(bytes / 256) + groups * (12 + 1 + 64 + 16 + 1);
}

function pagesResult(reply: Reply, into?: Buffer): PagesResult {
  const sealed = into ?? asBuffer(reply.sealed!);
  let at = 0;
  const groups = reply.ids!.map((id, i) => {
    const length = reply.lengths![i]!;
    if (length < 0) return { id, sealed: undefined };
    const part = sealed.subarray(at, at + length);
    at += length;
    return { id, sealed: part };
  });
  return { hashes: asBuffer(reply.hashes!), groups };
}

/** The decoded blobs: in `request.into` when given (copied there when the workers could not use it). */
function openedResult(request: OpenRequest, reply: Reply): OpenedBlobs {
  const pageHashes = asBuffer(reply.hashes!);
  if (!request.into) return { raw: asBuffer(reply.raw!), pageHashes };
  const total = request.blobs.reduce((sum, b) => sum + b.location.rawBytes, 0);
  if (reply.raw) request.into.set(reply.raw);
  return { raw: request.into.subarray(0, total), pageHashes };
}

function openMessage(request: OpenRequest) {
  return {
    op: 'open',
    pageSize: request.pageSize,
    digests: request.digests,
    blobs: request.blobs.map((b) => ({
      id: b.location.id,
      offset: b.offset,
      length: b.location.length,
      rawBytes: b.location.rawBytes,
    })),
  };
}

function threadsKey(config: BlobWorkerConfig, threads: number): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        config.compression,
        config.level,
        threads,
        config.key?.toString('base64') ?? null,
        config.idKey?.toString('base64') ?? null,
      ]),
    )
    .digest('hex');
}

/** Worker threads; jobs go round-robin and each result comes back by sequence number. */
export class ThreadedBlobWorkers implements BlobWorkers {
  readonly #workers: Worker[];
  readonly #key: string;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #seq = 0;
  #failed: Error | undefined;
  readonly #onMessage = (reply: Reply) => {
    const job = this.#pending.get(reply.seq);
    if (!job) return;
    this.#pending.delete(reply.seq);
    job.resolve(reply);
  };
  readonly #onError = (error: Error) => this.#fail(error);
  readonly #onExit = (code: number) => {
    if (code !== 0) this.#fail(new Error(`a backup worker thread exited with code ${code}`));
  };

  constructor(config: BlobWorkerConfig, threads: number) {
    this.#key = threadsKey(config, threads);
    const kept = takeIdle(this.#key);
    if (kept) {
      this.#workers = kept;
      // The last operation's set of stored groups means nothing to this one.
      this.setSkip([]);
    } else {
      const data = workerData(config);
      this.#workers = Array.from({ length: threads }, () => {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
        watchIdle(this.#key, worker);
        return worker;
      });
    }
    for (const worker of this.#workers) {
      worker.on('message', this.#onMessage);
      worker.on('error', this.#onError);
      worker.on('exit', this.#onExit);
    }
  }

  /** The threads' ids (tests: whether an operation got the previous one's threads). */
  get threadIds(): number[] {
    return this.#workers.map((w) => w.threadId);
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
  }

  #post(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#failed) return Promise.reject(this.#failed);
    const seq = this.#seq++;
    const worker = this.#workers[seq % this.#workers.length]!;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      worker.postMessage({ ...message, seq }, transfer);
    });
  }

  setSkip(ids: readonly string[]): void {
    // Messages to one worker are handled in order, so every later job sees the set.
    for (const worker of this.#workers) worker.postMessage({ op: 'skip', seq: -1, ids });
  }

  /** A private copy is transferred, so the caller's buffer stays usable. */
  static #copy(data: Buffer): Uint8Array<ArrayBuffer> {
    const copy = new Uint8Array(data.length);
    copy.set(data);
    return copy;
  }

  async pages(raw: Buffer, pageSize: number, group: number, into?: Buffer): Promise<PagesResult> {
    // Pages in shared memory (an image in memory) are read in place; others are copied and transferred.
    const shared = raw.buffer instanceof SharedArrayBuffer;
    const data = shared
      ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
      : ThreadedBlobWorkers.#copy(raw);
    const out =
      into?.buffer instanceof SharedArrayBuffer
        ? new Uint8Array(into.buffer, into.byteOffset, into.byteLength)
        : undefined;
    const reply = await this.#post(
      { op: 'pages', raw: data, pageSize, group, out },
      shared ? [] : [data.buffer as ArrayBuffer],
    );
    if (reply.error !== undefined) throw new Error(`hashing pages: ${reply.error}`);
    return pagesResult(reply, out ? into : undefined);
  }

  async seal(id: string, raw: Buffer): Promise<Buffer> {
    const copy = ThreadedBlobWorkers.#copy(raw);
    const reply = await this.#post({ op: 'seal', id, raw: copy }, [copy.buffer]);
    if (reply.error !== undefined || !reply.sealed) throw new Error(`sealing a blob: ${reply.error}`);
    return asBuffer(reply.sealed);
  }

  async open(request: OpenRequest): Promise<OpenedBlobs> {
    const shared = (b: Buffer | undefined): b is Buffer => b?.buffer instanceof SharedArrayBuffer;
    const transfer: ArrayBuffer[] = [];
    let stored: Uint8Array;
    if (shared(request.stored)) {
      stored = new Uint8Array(request.stored.buffer, request.stored.byteOffset, request.stored.byteLength);
    } else {
      const copy = ThreadedBlobWorkers.#copy(request.stored);
      transfer.push(copy.buffer);
      stored = copy;
    }
    const into = request.into;
    const out = shared(into) ? new Uint8Array(into.buffer, into.byteOffset, into.byteLength) : undefined;
    const reply = await this.#post({ ...openMessage(request), stored, out }, transfer);
    if (reply.error !== undefined || (!out && !reply.raw)) throw openFailure(request, reply);
    return openedResult(request, reply);
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    for (const worker of workers) {
      worker.off('message', this.#onMessage);
      worker.off('error', this.#onError);
      worker.off('exit', this.#onExit);
    }
    // Kept only when every thread is sound and idle, and no other set with these settings is kept already.
    if (this.#failed || this.#pending.size > 0 || !keepIdle(this.#key, workers)) {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
}

/** The same code on the calling thread (one core, or no threads wanted). */
export function inlineBlobWorkers(config: BlobWorkerConfig): BlobWorkers {
  // The fixed source above, evaluated once: the same code as the worker threads run.
  const handle = new Function('require', 'config', `${CORE}\nreturn handle;`)(
    createRequire(import.meta.url),
    workerData(config),
  ) as (job: Record<string, unknown>) => { out: Reply };
  const run = (job: Record<string, unknown>): Reply => {
    try {
      return { ...handle(job).out, seq: 0 };
    } catch (error) {
      const e = error as { message?: string; kind?: string; blob?: number };
      return { seq: 0, error: String(e?.message ?? error), kind: e?.kind, blob: e?.blob };
    }
  };
  return {
    setSkip(ids) {
      handle({ op: 'skip', ids });
    },
    async pages(raw, pageSize, group, into) {
      const reply = run({ op: 'pages', raw, pageSize, group, out: into });
      if (reply.error !== undefined) throw new Error(`hashing pages: ${reply.error}`);
      return pagesResult(reply, into);
    },
    async seal(id, raw) {
      const reply = run({ op: 'seal', id, raw });
      if (reply.error !== undefined || !reply.sealed) throw new Error(`sealing a blob: ${reply.error}`);
      return asBuffer(reply.sealed);
    },
    async open(request) {
      const reply = run({ ...openMessage(request), stored: request.stored, out: request.into });
      if (reply.error !== undefined || (!request.into && !reply.raw)) throw openFailure(request, reply);
      return openedResult(request, reply);
    },
    close: async () => undefined,
  };
}

/** Worker threads when there is more than one, else the calling thread. */
export function blobWorkers(config: BlobWorkerConfig, threads: number): BlobWorkers {
  return threads > 1 ? new ThreadedBlobWorkers(config, threads) : inlineBlobWorkers(config);
}
