import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import { type CodecRegistry, createDefaultRegistry } from '../codec-registry.js';
import type { FormatName } from '../codec-types.js';
import type { TransformationStep } from '../envelope/versioned-export.js';
import type { TableInfo } from '../export/table-schema.js';
import type { ImportLimits } from '../input-limits.js';
import type { PreparedItem } from './item-preparer.js';
import { decodeBatch, type FromWorker, type ToWorker } from './prepared-batch.js';

/**
 * How imports use the thread. Inputs smaller than `minimumBytes` are read on the writing thread alone: a
 * thread costs its start (its own module loading) and its heap, which only a large input pays back. Tests
 * lower it, make the import wait for the thread (`waitForThread`: every record goes through it) and read
 * `handedOver` (imports that used it).
 */
export const preparingThreadSettings = {
  minimumBytes: 16 * 1024 * 1024,
  waitForThread: false,
  handedOver: 0,
};

/**
 * The preparing thread failed (an error in the input, or the thread itself): the import is rolled back and
 * run again inline. A StorageError, so that the write scope rethrows it as it is.
 */
export class PreparationFailed extends StorageError {
  constructor(message: string) {
    super(StorageErrorCode.DATABASE, `the preparing thread failed: ${message}`);
  }
}

/**
 * A second thread that reads, parses and validates the records of an input (the same `openInput` and
 * `prepareItem` as the inline path) while this thread writes them: the import's two halves on two cores.
 *
 * The writing thread reads and prepares records itself until the thread has started (module loading takes
 * a while), then tells it the last record it took; the thread reads on from the start of the input and posts
 * the records after that one, a batch at a time, at most a few batches ahead.
 */
export class PreparingThread {
  readonly #worker: Worker;
  readonly #tables: readonly (readonly [string, TableInfo])[];
  readonly #queue: PreparedItem[][] = [];
  #ready: { layout: string; format: string } | undefined;
  #failure: string | undefined;
  #done = false;
  #bytes: number | undefined;
  #wake: (() => void) | undefined;
  transformationLog: TransformationStep[] = [];
  ignored: string[] = [];

  private constructor(worker: Worker, tables: readonly (readonly [string, TableInfo])[]) {
    this.#worker = worker;
    this.#tables = tables;
    worker.on('message', (message: FromWorker) => this.#receive(message));
    worker.on('error', (error) => this.#fail(error.message));
    worker.on('exit', () => {
      if (!this.#done) this.#fail('the preparing thread exited');
    });
  }

  /**
   * A thread for `path`, when it applies: a large input of this package's own codecs (a registry with other
   * codecs cannot be rebuilt in a thread). Otherwise undefined: the import runs inline.
   */
  static async start(
    path: string,
    format: FormatName | undefined,
    codecs: CodecRegistry,
    limits: ImportLimits,
    skipped: ReadonlySet<string>,
    infos: ReadonlyMap<string, TableInfo>,
  ): Promise<PreparingThread | undefined> {
    try {
      if (!ownCodecs(codecs)) return undefined;
      if ((await inputBytes(path)) < preparingThreadSettings.minimumBytes) return undefined;
      const tables = [...infos];
      const workerData = { path, format, limits, skipped: [...skipped], tables };
      return new PreparingThread(spawn(workerData), tables);
    } catch {
      // No thread (the input cannot be measured, a worker cannot start): the import runs inline.
      return undefined;
    }
  }

  /** The thread has opened the input as `layout` and `format` and waits for `start`. */
  readyAs(layout: string, format: string): boolean {
    return this.#failure === undefined && this.#ready?.layout === layout && this.#ready.format === format;
  }

  /** Tests (`waitForThread`): resolves once the thread is ready or has failed. */
  async settled(): Promise<void> {
    while (this.#ready === undefined && this.#failure === undefined) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** Bytes of the input the thread has read, for progress. */
  get bytesRead(): number | undefined {
    return this.#bytes;
  }

  /** Starts the thread on the records after `after` (the last record this thread took). */
  start(after: number): void {
    preparingThreadSettings.handedOver += 1;
    this.#post({ kind: 'start', after });
  }

  /** The prepared records, a batch at a time; throws PreparationFailed when the thread fails. */
  async *batches(): AsyncGenerator<PreparedItem[]> {
    try {
      for (;;) {
        const batch = this.#queue.shift();
        if (batch !== undefined) {
          this.#post({ kind: 'taken' });
          yield batch;
          continue;
        }
        if (this.#failure !== undefined) throw new PreparationFailed(this.#failure);
        if (this.#done) return;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    this.#done = true;
    void this.#worker.terminate();
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  #receive(message: FromWorker): void {
    switch (message.kind) {
      case 'ready':
        this.#ready = { layout: message.layout, format: message.format };
        break;
      case 'batch':
        this.#queue.push(decodeBatch(message.data, this.#tables));
        this.#bytes = message.bytes;
        break;
      case 'done':
        this.transformationLog = message.transformationLog;
        this.ignored = message.ignored;
        this.#bytes = message.bytes;
        this.#done = true;
        break;
      case 'error':
        this.#fail(message.message);
        return;
    }
    this.#wake?.();
  }

  #fail(message: string): void {
    if (this.#done) return;
    this.#failure ??= message;
    this.#wake?.();
  }
}

function ownCodecs(codecs: CodecRegistry): boolean {
  const own = createDefaultRegistry();
  return codecs.formats().every((f) => own.has(f) && own.get(f) === codecs.get(f));
}

/** The size of a file, or of the files of a directory export. */
async function inputBytes(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const name of await readdir(path)) {
    const file = await stat(join(path, name));
    if (file.isFile()) total += file.size;
  }
  return total;
}

/**
 * The worker, from the build (`prepare-worker.js`) or, when this module runs as TypeScript source (tests, the
 * benchmark), from the source through tsx's loader, which a worker does not inherit.
 */
function spawn(workerData: unknown): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./prepare-worker.js', here), { workerData });
  const tsx = createRequire(here)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const source = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((tsx) => {
    tsx.register();
    return import(${JSON.stringify(new URL('./prepare-worker.ts', here).href)});
  });`;
  return new Worker(source, { eval: true, workerData });
}
