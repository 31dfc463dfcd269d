import { createHmac, timingSafeEqual } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import { CHECKED, readOverlay, writeOverlay } from '../manifest/manifest-store.js';
import type { Repository } from '../repository/repository.js';
import type { CheckResult } from './restore-checks.js';

/**
 * That a test restore of backup `id` — whose image has sha256 `checksum` — passed `integrity_check`,
 * `foreign_key_check` and the content check against the manifest, under SQLite `sqlite`.
 *
 * Why a later restore may rely on it: a restore only gets to its checks once the rebuilt file's sha256 equals
 * the backup's checksum (authenticated with the manifest), i.e. the file is byte for byte the image that was
 * checked. `integrity_check`, `foreign_key_check` and row counts are functions of the file's bytes (and of the
 * SQLite that runs them, hence the version), so on that file they return what they returned then. The record
 * is MACed with a key derived from the repository's master key, bound to the backup id and checksum: without
 * the passphrase it cannot be forged or moved to another backup. (In a plaintext repository the key is
 * public, like everything else there; such a record is as trustworthy as the manifests themselves.)
 */
export interface CheckRecord {
  readonly id: string;
  readonly checksum: string;
  readonly sqlite: string;
  readonly checks: readonly string[];
  readonly at: string;
}

/** The checks a record must attest before a restore skips repeating them. */
export const RECORDED_CHECKS = [
  'integrity_check',
  'foreign_key_check',
  'row-counts-and-table-hashes',
] as const;

let version: string | undefined;
export function sqliteVersion(): string {
  if (version === undefined) {
    const db = new BetterSqlite3(':memory:');
    try {
      version = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    } finally {
      db.close();
    }
  }
  return version;
}

function mac(repository: Repository, record: CheckRecord): string {
  const canonical = JSON.stringify([
    record.id,
    record.checksum,
    record.sqlite,
    [...record.checks],
    record.at,
  ]);
  return createHmac('sha256', repository.keys.record).update(`check-record:${canonical}`).digest('hex');
}

/** Records that `checks` (all passed, a full integrity_check among them) ran on the image of `metadata`. */
export async function writeCheckRecord(
  repository: Repository,
  metadata: BackupMetadata,
  checks: readonly CheckResult[],
  at = new Date(),
): Promise<boolean> {
  const names = checks.map((c) => c.name);
  if (!checks.every((c) => c.ok) || !RECORDED_CHECKS.every((n) => names.includes(n))) return false;
  const record: CheckRecord = {
    id: metadata.id,
    checksum: metadata.checksum,
    sqlite: sqliteVersion(),
    checks: [...RECORDED_CHECKS],
    at: at.toISOString(),
  };
  await writeOverlay(repository.destination, CHECKED, metadata.id, {
    ...record,
    mac: mac(repository, record),
  });
  return true;
}

/** The record for `metadata`'s image, when there is one that authenticates and matches; else undefined. */
export async function readCheckRecord(
  repository: Repository,
  metadata: BackupMetadata,
): Promise<CheckRecord | undefined> {
  const raw = await readOverlay(repository.destination, CHECKED, metadata.id);
  if (!raw) return undefined;
  const { id, checksum, sqlite, checks, at, mac: stored } = raw as Record<string, unknown>;
  if (
    typeof id !== 'string' ||
    typeof checksum !== 'string' ||
    typeof sqlite !== 'string' ||
    typeof at !== 'string' ||
    typeof stored !== 'string' ||
    !Array.isArray(checks) ||
    !checks.every((c) => typeof c === 'string')
  ) {
    return undefined;
  }
  const record: CheckRecord = { id, checksum, sqlite, checks: checks as string[], at };
  const expected = Buffer.from(mac(repository, record), 'hex');
  const given = Buffer.from(stored, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (id !== metadata.id || checksum !== metadata.checksum || sqlite !== sqliteVersion()) return undefined;
  if (!RECORDED_CHECKS.every((n) => record.checks.includes(n))) return undefined;
  return record;
}
