import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  exportStore,
  type FormatName,
  type ImportOptions,
  type ImportResult,
  importStore,
  MANIFEST_FILE,
  reasonOf,
} from '@mainframe-kb/io-formats';
import { ValidationError } from '@mainframe-kb/storage-core';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import { type Problem, problem } from '../problem.js';
import { ProblemSchema, problems } from '../schemas.js';
import { ExportQuerySchema, ImportQuerySchema, ImportResultSchema } from './transfer-schemas.js';

const tags = ['export and import'];

const exportRoute = createRoute({
  method: 'get',
  path: '/api/export',
  tags,
  summary:
    'Download the store (or chosen entities) in a format, as an attachment: the versioned JSON envelope, or a tar of the export folder (admin)',
  middleware: [minRole('admin')] as const,
  request: { query: ExportQuerySchema },
  responses: {
    200: {
      description:
        'the export, streamed; `x-export-records` holds the records per entity as JSON. A tar unpacks into a folder that `kb import` (or POST /api/import) reads.',
      content: {
        'application/json': { schema: z.string().openapi({ format: 'binary' }) },
        'application/x-tar': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    ...problems(401, 403, 422, 501),
  },
});

const importRoute = createRoute({
  method: 'post',
  path: '/api/import',
  tags,
  summary:
    'Import a file sent as the raw request body: an export (JSON envelope, or a tar of an export folder) or a plain file of KB entries (admin)',
  middleware: [minRole('admin')] as const,
  request: {
    query: ImportQuerySchema,
    body: {
      required: true,
      description:
        'the file, any content type: JSON, NDJSON, CSV, XML, Parquet, Avro or ORC (optionally gzip-compressed), or a tar of an export folder',
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
    },
  },
  responses: {
    200: {
      description: 'imported (or, for a dry run, what would be): counts, and any rejected records',
      content: { 'application/json': { schema: ImportResultSchema } },
    },
    422: {
      description:
        'refused, nothing written: the rejected records with their location and reason (application/json), or a file that cannot be read at all (a problem naming where)',
      content: {
        'application/json': { schema: ImportResultSchema },
        'application/problem+json': { schema: ProblemSchema },
      },
    },
    ...problems(401, 403, 409, 413, 501),
  },
});

// ─── Working folders ──────────────────────────────────────────────────────────────────────────────

/** A private folder (0700) for one export or import; the caller removes it. */
function workFolder(kind: 'export' | 'import'): Promise<string> {
  return mkdtemp(join(tmpdir(), `kb-demo-${kind}-`));
}

const remove = (dir: string) => rm(dir, { recursive: true, force: true });

function refused(message: string): ValidationError {
  return new ValidationError(message, [{ path: 'body', message }]);
}

// ─── tar (ustar): a folder export as one download, and back ───────────────────────────────────────

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(name: string, size: number, mtime: number, directory: boolean): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(directory ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.fill(0x20, 148, 156);
  h.write(directory ? '5' : '0', 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** `folder/` and its files (manifest first), as a tar stream; the work folder is removed at its end. */
async function* tarOf(work: string, folder: string): AsyncGenerator<Buffer> {
  try {
    const dir = join(work, folder);
    const files = (await readdir(dir)).sort((a, b) =>
      a === MANIFEST_FILE ? -1 : b === MANIFEST_FILE ? 1 : a.localeCompare(b),
    );
    const mtime = Math.floor(Date.now() / 1000);
    yield tarHeader(`${folder}/`, 0, mtime, true);
    for (const file of files) {
      const path = join(dir, file);
      const { size } = await stat(path);
      yield tarHeader(`${folder}/${file}`, size, mtime, false);
      for await (const chunk of createReadStream(path)) yield chunk as Buffer;
      if (size % BLOCK !== 0) yield Buffer.alloc(BLOCK - (size % BLOCK));
    }
    yield Buffer.alloc(2 * BLOCK);
  } finally {
    await remove(work);
  }
}

async function* fileOf(work: string, file: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(join(work, file))) yield chunk as Buffer;
  } finally {
    await remove(work);
  }
}

function isTar(head: Buffer): boolean {
  return head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar';
}

function tarField(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? length : end);
}

function tarNumber(h: Buffer, start: number, length: number): number {
  const text = tarField(h, start, length).trim();
  if (!/^[0-7]{1,12}$/.test(text)) throw refused('the tar archive is damaged: a header holds a bad number');
  return Number.parseInt(text, 8);
}

/** A plain file or folder name: no separators, no `..`, nothing hidden. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Unpacks a tar of an export folder into `into`: regular files of at most one folder, plain names only
 * (never a path of the archive's choosing, a link or a device). Returns the folder holding manifest.json.
 */
async function untarExport(archive: FileHandle, archiveSize: number, into: string): Promise<string> {
  const header = Buffer.alloc(BLOCK);
  const chunk = Buffer.alloc(1024 * 1024);
  let folder: string | undefined;
  let files = 0;
  for (let position = 0; position + BLOCK <= archiveSize; ) {
    await archive.read(header, 0, BLOCK, position);
    if (header.every((b) => b === 0)) break;
    const stored = tarNumber(header, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (sum !== stored) throw refused('the tar archive is damaged: a header checksum does not match');
    const type = String.fromCharCode(header[156] as number);
    const size = tarNumber(header, 124, 12);
    const data = position + BLOCK;
    position = data + Math.ceil(size / BLOCK) * BLOCK;
    if (data + size > archiveSize) throw refused('the tar archive is truncated');
    if (type === 'x' || type === 'g') continue; // pax attributes: names are checked on the entries below
    const prefix = tarField(header, 345, 155);
    const name = `${prefix === '' ? '' : `${prefix}/`}${tarField(header, 0, 100)}`
      .replace(/^(\.\/)+/, '')
      .replace(/\/+$/, '');
    const parts = name.split('/');
    if (parts.some((p) => !SEGMENT.test(p)) || parts.length > 2) {
      if (parts.at(-1)?.startsWith('._')) continue; // macOS resource forks
      throw refused(`the tar archive holds '${name}': only the files of one export folder are accepted`);
    }
    const inFolder = parts.length === 2 ? (parts[0] as string) : '';
    if (type === '5') {
      if (parts.length !== 1) throw refused(`the tar archive holds the nested folder '${name}'`);
      if (folder !== undefined && folder !== name)
        throw refused('the tar archive holds more than one folder');
      folder = name;
      continue;
    }
    if (type !== '0' && type !== '\0') {
      throw refused(`the tar archive holds '${name}', which is not a regular file (links are not accepted)`);
    }
    if (folder !== undefined && folder !== inFolder)
      throw refused('the tar archive holds more than one folder');
    folder = inFolder;
    files += 1;
    if (files > 1000) throw refused('the tar archive holds more than 1000 files');
    await mkdir(join(into, folder), { recursive: true, mode: 0o700 });
    const out = await open(join(into, folder, parts.at(-1) as string), 'wx', 0o600).catch((error) => {
      throw (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? refused(`the tar archive holds '${name}' twice`)
        : error;
    });
    try {
      for (let done = 0; done < size; ) {
        const { bytesRead } = await archive.read(chunk, 0, Math.min(chunk.length, size - done), data + done);
        if (bytesRead === 0) throw refused('the tar archive is truncated');
        await out.write(chunk, 0, bytesRead);
        done += bytesRead;
      }
    } finally {
      await out.close();
    }
  }
  const dir = join(into, folder ?? '');
  const names = await readdir(dir).catch(() => [] as string[]);
  if (!names.includes(MANIFEST_FILE)) {
    throw refused(
      `the tar archive holds no ${MANIFEST_FILE}: send a tar of a folder that GET /api/export (or kb export) wrote`,
    );
  }
  return dir;
}

// ─── Upload ───────────────────────────────────────────────────────────────────────────────────────

/** Writes the request body to `path`, refusing it past `limit` bytes; returns its size. */
async function saveBody(
  body: ReadableStream<Uint8Array> | null,
  path: string,
  limit: number,
): Promise<number> {
  const file = await open(path, 'wx', 0o600);
  let size = 0;
  try {
    if (body === null) return 0;
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new HTTPException(413, {
          message: `the request body is larger than ${limit} bytes, the limit of this route`,
        });
      }
      await file.write(value);
    }
    return size;
  } finally {
    await file.close();
  }
}

function resultView(result: ImportResult) {
  return {
    format: result.format,
    layout: result.layout,
    dryRun: result.dryRun,
    committed: result.committed,
    inserted: result.inserted,
    updated: result.updated,
    skipped: result.skipped,
    rejected: result.rejected,
    tables: Object.fromEntries(Object.entries(result.tables).map(([t, n]) => [t, { ...n }])),
    errors: result.errors.map((e) => ({ ...e, location: { ...e.location } })),
    transformationLog: result.transformationLog.map((s) => ({ ...s })),
    ignored: [...result.ignored],
    resumedAfter: result.resumedAfter,
    warnings: [...result.warnings],
  };
}

/**
 * A file io-formats refused as a whole (malformed, not UTF-8, too deep…), as a problem that keeps what the
 * error carries: the reason, and where in the file (`location`: line, row, pointer…) and which field. The app's
 * problemOf leaves a ValidationError's details out, and a syntax error's message does not name its line.
 */
function fileRefusal(error: unknown): Problem | undefined {
  if (!(error instanceof ValidationError) || reasonOf(error) === undefined) return undefined;
  const { issues: _issues, ...details } = (error.details ?? {}) as Record<string, unknown>;
  const location = details.location as Record<string, unknown> | undefined;
  const where = Object.entries(location ?? {})
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  const message = error.message.replace(/ at pointer $/, '');
  return problem(error.code, where === '' || message.endsWith(where) ? message : `${message} (${where})`, {
    issues: error.issues.map((i) => ({ path: i.path, message: i.message })),
    details,
  });
}

/**
 * Export and import over HTTP, with the io-formats plugin (its role checks, validation and audit rows).
 * Files pass through a private working folder of the server's, named by the server: a client never names a
 * path.
 */
export function transferRoutes(app: OpenAPIHono<AppEnv>, { storage, limits }: AppDeps): void {
  app.openapi(exportRoute, async (c) => {
    const { format, entities } = c.req.valid('query');
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'z')
      .toLowerCase();
    const base = `kb-export-${stamp}`;
    const envelope = format === 'json';
    const name = envelope ? `${base}.json` : base;
    const work = await workFolder('export');
    let result: Awaited<ReturnType<typeof exportStore>>;
    try {
      result = await exportStore(storage, {
        format: format as FormatName,
        out: join(work, name),
        ...(entities !== undefined ? { entities: entities.split(',') } : {}),
      });
    } catch (error) {
      await remove(work);
      throw error;
    }
    const body = Readable.toWeb(Readable.from(envelope ? fileOf(work, name) : tarOf(work, name)));
    return c.body(body as ReadableStream, 200, {
      'content-type': envelope ? 'application/json' : 'application/x-tar',
      'content-disposition': `attachment; filename="${envelope ? name : `${name}-${format}.tar`}"`,
      'x-export-records': JSON.stringify(result.records),
      'cache-control': 'no-store',
    });
  });

  app.openapi(importRoute, async (c) => {
    const query = c.req.valid('query');
    const work = await workFolder('import');
    try {
      const upload = join(work, 'upload');
      const size = await saveBody(c.req.raw.body, upload, limits.uploadBytes);
      if (size === 0) throw refused('the request has no body: send the file as the raw request body');
      let input = upload;
      const file = await open(upload, 'r');
      try {
        const head = Buffer.alloc(BLOCK);
        await file.read(head, 0, BLOCK, 0);
        if (isTar(head)) input = await untarExport(file, size, join(work, 'export'));
      } finally {
        await file.close();
      }
      const options: ImportOptions = {
        input,
        ...(query.format !== undefined ? { format: query.format } : {}),
        ...(query.dryRun !== undefined ? { dryRun: query.dryRun } : {}),
        ...(query.onConflict !== undefined ? { onConflict: query.onConflict } : {}),
        ...(query.restore ? { restore: true } : {}),
        ...(query.trustUnverified ? { trustUnverified: true } : {}),
        ...(query.batchSize !== undefined ? { batchSize: query.batchSize } : {}),
        ...(query.resume ? { checkpoint: true } : {}),
        ...(query.maxErrors !== undefined ? { maxErrors: query.maxErrors } : {}),
      };
      let result: ImportResult;
      try {
        result = await importStore(storage, options);
      } catch (error) {
        const refusal = fileRefusal(error);
        if (refusal === undefined) throw error;
        return c.json(refusal, 422, { 'Content-Type': 'application/problem+json' });
      }
      const refusedAsWhole = !result.committed && !result.dryRun;
      return refusedAsWhole ? c.json(resultView(result), 422) : c.json(resultView(result), 200);
    } finally {
      await remove(work);
    }
  });
}
