import { existsSync } from 'node:fs';
import { mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  type BackupApi,
  type BackupCallOptions,
  type BackupListing,
  type BackupMetadata,
  backupPlugin,
  type VerificationReport,
} from '@mainframe-kb/backup';
import { type Storage, StorageError, StorageErrorCode } from '@mainframe-kb/storage-core';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import { json, jsonBody, problems } from '../schemas.js';
import {
  BackupCreatedSchema,
  BackupCreateSchema,
  BackupIdParamSchema,
  BackupListSchema,
  BackupRestoreSchema,
  BackupSchema,
  BackupVerifySchema,
  RestoredSchema,
  RestoreFilesSchema,
  VerificationSchema,
} from './backup-schemas.js';

// ─── Settings ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Where the API keeps its one backup repository and the databases it restores, and the repository's
 * passphrase. Clients never name a folder: these are the server's.
 */
export interface BackupRouteSettings {
  /** The repository folder (default: `<store file>.backups` beside a SQLite store, else `./kb-demo.backups`). */
  readonly backupDir?: string;
  /** Where restores create new databases (default: `<store file>.restores`, else `./kb-demo.restores`). */
  readonly restoreDir?: string;
  /**
   * The repository's passphrase (default: the variable `config.backup.encryption.passphraseEnv` names, as
   * the backup plugin reads it; without one an encrypted repository answers PASSPHRASE_REQUIRED).
   */
  readonly passphrase?: string;
}

interface ResolvedSettings {
  backupDir: string;
  restoreDir: string;
  passphrase: string | undefined;
}

/** The SQLite file of the store, or undefined for a server database or an in-memory store. */
function storeFileOf(storage: Storage): string | undefined {
  const db = storage.config.database;
  if (db.type !== 'sqlite' || db.url !== undefined || db.path === ':memory:') return undefined;
  return resolve(db.path);
}

export function backupSettingsOf(deps: AppDeps): ResolvedSettings {
  const pick = <K extends keyof BackupRouteSettings>(key: K) => deps.backup[key];
  const file = storeFileOf(deps.storage);
  return {
    backupDir: resolve(pick('backupDir') ?? (file ? `${file}.backups` : 'kb-demo.backups')),
    restoreDir: resolve(pick('restoreDir') ?? (file ? `${file}.restores` : 'kb-demo.restores')),
    passphrase: pick('passphrase'),
  };
}

// ─── Routes ───────────────────────────────────────────────────────────────────────────────────────

const tags = ['backups'];

const list = createRoute({
  method: 'get',
  path: '/api/backups',
  tags,
  summary: "The backups in the server's repository, with their metadata (any role: no key is needed)",
  middleware: [minRole('viewer')] as const,
  responses: { 200: json(BackupListSchema, 'the backups, oldest first'), ...problems(401, 501) },
});

const read = createRoute({
  method: 'get',
  path: '/api/backups/{id}',
  tags,
  summary: 'One backup’s metadata',
  middleware: [minRole('viewer')] as const,
  request: { params: BackupIdParamSchema },
  responses: { 200: json(BackupSchema, 'the backup'), ...problems(401, 404, 422, 501) },
});

const create = createRoute({
  method: 'post',
  path: '/api/backups',
  tags,
  summary: "Back up the store into the server's repository (admin)",
  middleware: [minRole('admin')] as const,
  request: {
    body: jsonBody(BackupCreateSchema, false),
  },
  responses: {
    201: json(BackupCreatedSchema, 'the backup made'),
    ...problems(401, 403, 409, 422, 500, 501, 503, 507),
  },
});

const verifyOne = createRoute({
  method: 'post',
  path: '/api/backups/{id}/verify',
  tags,
  summary:
    'Verify one backup: checksums and chain, every blob decrypted, and with deep a test restore (admin)',
  middleware: [minRole('admin')] as const,
  request: {
    params: BackupIdParamSchema,
    body: jsonBody(BackupVerifySchema, false),
  },
  responses: {
    200: json(VerificationSchema, 'the report: ok is false when a check failed'),
    ...problems(401, 403, 404, 422, 501),
  },
});

const verifyAll = createRoute({
  method: 'post',
  path: '/api/backups/verify',
  tags,
  summary: 'Verify the whole repository: every backup’s checksums, chain and objects (admin)',
  middleware: [minRole('admin')] as const,
  responses: {
    200: json(VerificationSchema, 'the report: ok is false when a check failed'),
    ...problems(401, 403, 501),
  },
});

const restore = createRoute({
  method: 'post',
  path: '/api/backups/{id}/restore',
  tags,
  summary:
    "Restore a backup into a new database file in the server's restore folder, never over the live store (admin)",
  middleware: [minRole('admin')] as const,
  request: {
    params: BackupIdParamSchema,
    body: jsonBody(BackupRestoreSchema, false),
  },
  responses: {
    201: json(RestoredSchema, 'what was restored, and the checks it passed'),
    ...problems(401, 403, 404, 409, 422, 500, 501, 507),
  },
});

const restores = createRoute({
  method: 'get',
  path: '/api/backups/restores',
  tags,
  summary: 'The databases restores have created in the restore folder (admin)',
  middleware: [minRole('admin')] as const,
  responses: { 200: json(RestoreFilesSchema, 'the restored database files'), ...problems(401, 403) },
});

/** The metadata without the server paths it holds (repository folder, store location). */
function backupView(m: BackupMetadata & { testVerified?: string | null }) {
  return {
    id: m.id,
    type: m.type,
    kind: m.kind,
    timestamp: m.timestamp,
    checksum: m.checksum,
    encrypted: m.encryption !== null,
    compression: { algorithm: m.compression.algorithm, level: m.compression.level },
    dataSize: m.dataSize,
    storedSize: m.compressedSize,
    referencedSize: m.referencedSize,
    entryCount: m.entryCount,
    mvpVersion: m.mvpVersion,
    schemaVersion: m.schemaVersion,
    dialect: m.source.dialect,
    dependsOn: [...m.dependsOn],
    legalHold: m.legalHold,
    complianceFlags: [...m.complianceFlags],
    testVerified: m.testVerified ?? null,
    plugins: (m.plugins ?? []).map((p) => ({ id: p.id, version: p.version, tables: [...p.tables] })),
  };
}

function reportView(report: VerificationReport) {
  const { comparison, restoreMs } = report;
  return {
    ok: report.ok,
    id: report.id,
    keyed: report.keyed,
    checks: report.checks.map((ch) => ({ ...ch })),
    ...(restoreMs !== undefined ? { restoreMs } : {}),
    ...(comparison
      ? { comparison: { equal: comparison.equal, changedTables: [...comparison.changedTables] } }
      : {}),
  };
}

/** Entities whose tables are the store's own logs (and migrations ledger), left out of the comparison. */
const LOG_ENTITIES: ReadonlySet<string> = new Set(['audit', 'events', 'schema']);

/** The name of the database a restore creates: the caller's (validated by the schema), or a fresh one. */
function restoreFileName(id: string, name: string | undefined): string {
  if (name === undefined) return `restore-${id}-${Date.now().toString(36)}.db`;
  return name.endsWith('.db') ? name : `${name}.db`;
}

/**
 * Backups over HTTP: the backup plugin's API (its role checks and audit rows apply) on the one repository
 * the server keeps, and restores into new files of its restore folder.
 */
export function backupRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { storage } = deps;
  const api = (): BackupApi => storage.plugin(backupPlugin);
  const callOf = (settings: ResolvedSettings): BackupCallOptions => ({
    destination: settings.backupDir,
    ...(settings.passphrase !== undefined ? { passphrase: settings.passphrase } : {}),
  });
  const listAll = async () => {
    const settings = backupSettingsOf(deps);
    // A repository that has no backup yet has no folder either: nothing to list.
    if (!existsSync(settings.backupDir)) return { backups: [] as BackupListing[], damaged: [] as string[] };
    return api().list(callOf(settings));
  };

  app.openapi(list, async (c) => {
    const { backups, damaged } = await listAll();
    return c.json({ backups: backups.map(backupView), damaged: [...damaged] }, 200);
  });

  // Before /api/backups/{id}, which would take `restores` for an id.
  app.openapi(restores, async (c) => {
    const { restoreDir } = backupSettingsOf(deps);
    if (!existsSync(restoreDir)) return c.json({ restores: [] }, 200);
    const files = [];
    for (const entry of await readdir(restoreDir, { withFileTypes: true })) {
      // Databases only: not SQLite's -wal/-shm files, nor a running restore's scratch file.
      if (!entry.isFile() || !entry.name.endsWith('.db') || entry.name.includes('.restore-')) continue;
      const info = await stat(join(restoreDir, entry.name));
      files.push({ file: entry.name, bytes: info.size, modifiedAt: info.mtime.toISOString() });
    }
    files.sort((a, b) => a.file.localeCompare(b.file));
    return c.json({ restores: files }, 200);
  });

  app.openapi(read, async (c) => {
    const { id } = c.req.valid('param');
    const found = (await listAll()).backups.find((b) => b.id === id);
    if (!found) throw new StorageError(StorageErrorCode.NOT_FOUND, `no backup ${id} in the repository`);
    return c.json(backupView(found), 200);
  });

  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const run = await api().create({ ...callOf(backupSettingsOf(deps)), ...body });
    const outcome = run.destinations[0];
    if (!outcome?.metadata) {
      throw (
        outcome?.error ??
        new StorageError(StorageErrorCode.UNSUPPORTED, 'the backup was not written to the repository')
      );
    }
    c.header('location', `/api/backups/${outcome.metadata.id}`);
    return c.json(
      { backup: backupView(outcome.metadata), durationMs: run.durationMs, snapshot: run.snapshot ?? null },
      201,
    );
  });

  app.openapi(verifyOne, async (c) => {
    const { id } = c.req.valid('param');
    const { deep, tables } = c.req.valid('json');
    const report = await api().verify(id, {
      ...callOf(backupSettingsOf(deps)),
      ...(deep !== undefined ? { deep } : {}),
      ...(tables !== undefined ? { tables } : {}),
    });
    return c.json(reportView(report), 200);
  });

  app.openapi(verifyAll, async (c) => {
    return c.json(reportView(await api().verify(undefined, callOf(backupSettingsOf(deps)))), 200);
  });

  app.openapi(restore, async (c) => {
    const { id } = c.req.valid('param');
    const { name, integrity, tables } = c.req.valid('json');
    const settings = backupSettingsOf(deps);
    await mkdir(settings.restoreDir, { recursive: true, mode: 0o700 });
    // The plugin refuses a target whose folder is reached through a link: give it the real folder.
    const folder = await realpath(settings.restoreDir);
    const file = restoreFileName(id, name);
    if (existsSync(join(folder, file))) {
      throw new StorageError(
        StorageErrorCode.CONFLICT,
        `a restored database named ${file} already exists; choose another name`,
        { details: { file } },
      );
    }
    const result = await api().restore(id, {
      ...callOf(settings),
      to: join(folder, file),
      ...(integrity !== undefined ? { integrity } : {}),
      ...(tables !== undefined ? { tables } : {}),
    });
    // The restored counts against the live store's now, content tables only: the audit trail and event log
    // grow with every backup operation (this restore's included).
    const liveTables = new Set(
      storage
        .tables()
        .filter((t) => !LOG_ENTITIES.has(t.entity))
        .map((t) => t.name),
    );
    const names = Object.keys(result.tables).filter((n) => liveTables.has(n));
    const live = await storage.rowCounts(names);
    const changedTables = names.filter((n) => live[n] !== result.tables[n]);
    return c.json(
      {
        id: result.id,
        file,
        restored: result.restored,
        entryCount: result.entryCount,
        tables: { ...result.tables },
        checks: result.checks.map((ch) => ({ ...ch })),
        durationMs: result.durationMs,
        comparison: { equal: changedTables.length === 0, changedTables },
      },
      201,
    );
  });
}
