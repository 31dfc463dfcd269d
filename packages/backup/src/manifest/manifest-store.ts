import { StorageErrorCode } from '@mainframe-kb/storage-core';
import type { Destination } from '../destination/destination.js';
import { BackupError, BackupFailure, isBackupError } from '../errors/backup-error.js';
import type { Repository } from '../repository/repository.js';
import { fileDigest, sealFile, sha256Hex, unsealFile } from '../repository/sealed-file.js';
import type { BackupListing, BackupMetadata, LegalHold } from './backup-metadata.js';
import { decodeBody, encodeBody, type ManifestBody } from './manifest-body.js';

const MANIFESTS = 'manifests';
const HOLDS = 'holds';
const VERIFIED = 'verified';
/** Authenticated records of passed integrity checks (see restore/check-record.ts). */
export const CHECKED = 'checked';
const ID_PATTERN = /^[0-9]{8}t[0-9]{9}z-(full|incremental|differential)-[0-9a-f]{8}$/;

export function manifestKey(id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new BackupError(
      StorageErrorCode.VALIDATION,
      BackupFailure.PATH_ESCAPE,
      `'${id}' is not a backup id`,
      {
        details: { id },
      },
    );
  }
  return `${MANIFESTS}/${id}`;
}

export function isBackupId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/**
 * Fails with NOT_FOUND (reason OBJECT_MISSING, as `readManifest` does) unless the backup's manifest is on the
 * destination. Needs no key: callers check this before anything that would ask for a passphrase, so a backup
 * that does not exist is reported as such. A string that is not a backup id at all is rejected input
 * (VALIDATION, PATH_ESCAPE), as everywhere a backup id is taken.
 */
export async function requireManifest(destination: Destination, id: string): Promise<void> {
  if ((await destination.size(manifestKey(id))) !== undefined) return;
  throw new BackupError(
    StorageErrorCode.NOT_FOUND,
    BackupFailure.OBJECT_MISSING,
    `backup '${id}' does not exist on ${destination.name}`,
    { details: { id, destination: destination.name } },
  );
}

function bodyAad(id: string, publicJson: Buffer): string {
  return `manifest:${id}:${sha256Hex(publicJson)}`;
}

/**
 * Writes a manifest: `u32 length ‖ metadata JSON ‖ sealed body`, inside a sealed file (plain sha256 header).
 * The body's AAD includes the metadata's hash, so the clear metadata cannot be edited without the key.
 * It is the last object of a backup written: until it exists the backup does not exist.
 */
export async function writeManifest(
  repository: Repository,
  metadata: BackupMetadata,
  body: ManifestBody,
): Promise<{ metadata: BackupMetadata; bytes: number }> {
  const rawBody = encodeBody(body);
  const stored: BackupMetadata = { ...metadata, bodyBytes: rawBody.length };
  const publicJson = Buffer.from(JSON.stringify(stored), 'utf8');
  const sealed = repository.sealDocument(rawBody, bodyAad(metadata.id, publicJson));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(publicJson.length, 0);
  const parts = sealFile(Buffer.concat([length, publicJson, sealed]));
  await repository.destination.put(manifestKey(metadata.id), parts, fileDigest(parts));
  repository.manifests.delete(metadata.id);
  return { metadata: stored, bytes: parts.reduce((sum, p) => sum + p.length, 0) };
}

interface SplitManifest {
  metadata: BackupMetadata;
  publicJson: Buffer;
  sealedBody: Buffer;
}

function splitManifest(bytes: Buffer, key: string): SplitManifest {
  const payload = unsealFile(bytes, key);
  const corrupt = (why: string) =>
    new BackupError(StorageErrorCode.INTEGRITY, BackupFailure.OBJECT_CORRUPT, `${key}: ${why}`, {
      details: { object: key },
    });
  if (payload.length < 4) throw corrupt('too short');
  const length = payload.readUInt32BE(0);
  if (4 + length > payload.length) throw corrupt('bad metadata length');
  const publicJson = payload.subarray(4, 4 + length);
  let metadata: BackupMetadata;
  try {
    metadata = JSON.parse(publicJson.toString('utf8')) as BackupMetadata;
  } catch {
    throw corrupt('metadata is not JSON');
  }
  if (`${MANIFESTS}/${metadata.id}` !== key) throw corrupt(`names backup ${String(metadata.id)}`);
  return { metadata, publicJson, sealedBody: payload.subarray(4 + length) };
}

export interface ManifestScan {
  /** Readable manifests, oldest first. */
  readonly backups: BackupMetadata[];
  /** Manifests that fail their checksum or do not parse. */
  readonly damaged: { key: string; error: BackupError }[];
}

/** Reads every manifest's clear metadata: needs no key. */
export async function scanManifests(destination: Destination): Promise<ManifestScan> {
  const backups: BackupMetadata[] = [];
  const damaged: { key: string; error: BackupError }[] = [];
  for (const key of await destination.list(MANIFESTS)) {
    const id = key.slice(MANIFESTS.length + 1);
    if (!isBackupId(id)) continue;
    try {
      backups.push(splitManifest(await destination.get(key), key).metadata);
    } catch (error) {
      if (!(error instanceof BackupError)) throw error;
      damaged.push({ key, error });
    }
  }
  backups.sort((a, b) =>
    a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : 1,
  );
  return { backups, damaged };
}

/**
 * One backup's clear metadata, checked against the manifest's sha256 but not authenticated (needs no key):
 * NOT_FOUND when the backup does not exist, INTEGRITY when its manifest is damaged.
 */
export async function readClearMetadata(destination: Destination, id: string): Promise<BackupMetadata> {
  await requireManifest(destination, id);
  const key = manifestKey(id);
  let bytes: Buffer;
  try {
    bytes = await destination.get(key);
  } catch (error) {
    // Deleted between the two reads.
    if (isBackupError(error, BackupFailure.OBJECT_MISSING)) await requireManifest(destination, id);
    throw error;
  }
  return splitManifest(bytes, key).metadata;
}

/** The manifest's metadata and decrypted body; fails when any byte of it changed. */
export async function readManifest(
  repository: Repository,
  id: string,
): Promise<{ metadata: BackupMetadata; body: ManifestBody }> {
  // Decoding a full's manifest (a digest per page, 0.25 M pages per GB of store) costs tens of ms per GB:
  // once per repository instance. Callers read manifests, never change them.
  return repository.manifests.get(id, () => readManifestUncached(repository, id));
}

async function readManifestUncached(
  repository: Repository,
  id: string,
): Promise<{ metadata: BackupMetadata; body: ManifestBody }> {
  const key = manifestKey(id);
  let bytes: Buffer;
  try {
    bytes = await repository.destination.get(key);
  } catch (error) {
    if (isBackupError(error, BackupFailure.OBJECT_MISSING)) {
      throw new BackupError(
        StorageErrorCode.NOT_FOUND,
        BackupFailure.OBJECT_MISSING,
        `backup '${id}' does not exist`,
        {
          cause: error,
          details: { id },
        },
      );
    }
    throw error;
  }
  const { metadata, publicJson, sealedBody } = splitManifest(bytes, key);
  const raw = repository.openDocument(sealedBody, bodyAad(id, publicJson), metadata.bodyBytes, key);
  return { metadata, body: decodeBody(raw) };
}

/**
 * Deletes a backup: its manifest first (from then on the backup does not exist), then its overlays. A backup
 * under legal hold is refused (CONFLICT, reason LEGAL_HOLD) whoever asks; callers hold the destination's write
 * lock, which `placeHold` takes too, so a hold cannot be placed between this check and the delete.
 */
export async function deleteManifest(destination: Destination, metadata: BackupMetadata): Promise<void> {
  const { id } = metadata;
  const hold = await readHold(destination, metadata);
  if (hold) {
    throw new BackupError(
      StorageErrorCode.CONFLICT,
      BackupFailure.LEGAL_HOLD,
      `backup ${id} is under legal hold${hold.since ? ` since ${hold.since}` : ''}; release it (kb backup release ${id}) before deleting it`,
      { details: { id, hold } },
    );
  }
  await destination.delete(manifestKey(id));
  await destination.delete(`${VERIFIED}/${id}`);
  await destination.delete(`${HOLDS}/${id}`);
  await destination.delete(`${CHECKED}/${id}`);
}

export async function readOverlay(
  destination: Destination,
  folder: string,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const key = `${folder}/${id}`;
  if ((await destination.size(key)) === undefined) return undefined;
  try {
    return JSON.parse(unsealFile(await destination.get(key), key).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
}

export async function writeOverlay(
  destination: Destination,
  folder: string,
  id: string,
  value: unknown,
): Promise<void> {
  manifestKey(id);
  const parts = sealFile(Buffer.from(JSON.stringify(value), 'utf8'));
  await destination.put(`${folder}/${id}`, parts, fileDigest(parts));
}

/** Records a successful verification (the metadata's `testVerified`). */
export async function markVerified(destination: Destination, id: string, at: Date): Promise<void> {
  await writeOverlay(destination, VERIFIED, id, { id, verifiedAt: at.toISOString() });
}

/** A legal hold placed (with its reason and who placed it) or lifted (by whom). */
export type HoldChange =
  | { readonly hold: true; readonly reason: string | null; readonly actor: string | null }
  | { readonly hold: false; readonly actor: string | null };

/**
 * Records a hold placed or lifted: `holds/<id>` holds `{ id, hold: true, since, reason, actor }` or
 * `{ id, hold: false, releasedAt, actor }`. A lifted hold stays recorded as lifted, since a backup can also be
 * created held (its metadata's `legalHold`), which only such a record overrides. The caller holds the
 * destination's write lock.
 */
export async function writeLegalHold(
  destination: Destination,
  id: string,
  change: HoldChange,
  at: Date,
): Promise<void> {
  await writeOverlay(
    destination,
    HOLDS,
    id,
    change.hold
      ? { id, hold: true, since: at.toISOString(), reason: change.reason, actor: change.actor }
      : { id, hold: false, releasedAt: at.toISOString(), actor: change.actor },
  );
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * The legal hold in force on a backup, or null. Without a hold record, the metadata's `legalHold` (a backup
 * created held) decides. A record that exists but cannot be read or understood counts as a hold: it may be
 * one, and a hold that is not honoured loses what it was placed to keep. Releasing rewrites it.
 */
export async function readHold(
  destination: Destination,
  metadata: BackupMetadata,
): Promise<LegalHold | null> {
  const key = `${HOLDS}/${metadata.id}`;
  if ((await destination.size(key)) === undefined) {
    return metadata.legalHold ? { since: metadata.timestamp, reason: null, actor: null } : null;
  }
  let record: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(unsealFile(await destination.get(key), key).toString('utf8'));
    if (parsed !== null && typeof parsed === 'object') record = parsed as Record<string, unknown>;
  } catch {
    record = undefined;
  }
  if (record?.hold === false) return null;
  if (record?.hold === true) {
    return {
      // Records written before holds carried their reason and actor name the time `at`.
      since: text(record.since) ?? text(record.at),
      reason: text(record.reason),
      actor: text(record.actor),
    };
  }
  return {
    since: null,
    reason: `the hold record ${key} is damaged; it counts as a hold until the backup is released`,
    actor: null,
  };
}

/** Metadata with the overlays applied (a legal hold set later, the last verification). */
export async function withOverlays(
  destination: Destination,
  metadata: BackupMetadata,
): Promise<BackupListing> {
  const hold = await readHold(destination, metadata);
  const verified = await readOverlay(destination, VERIFIED, metadata.id);
  return {
    ...metadata,
    legalHold: hold !== null,
    hold,
    testVerified: typeof verified?.verifiedAt === 'string' ? verified.verifiedAt : null,
  };
}
