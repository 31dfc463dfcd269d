import { StorageErrorCode } from '@mainframe-kb/storage-core';
import type { Destination } from '../destination/destination.js';
import { BackupError, BackupFailure, isBackupError } from '../errors/backup-error.js';
import type { Repository } from '../repository/repository.js';
import { fileDigest, sealFile, sha256Hex, unsealFile } from '../repository/sealed-file.js';
import type { BackupListing, BackupMetadata } from './backup-metadata.js';
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

export async function deleteManifest(destination: Destination, id: string): Promise<void> {
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

/** Sets or lifts a legal hold: a held backup is never pruned, whatever its tier says. */
export async function setLegalHold(destination: Destination, id: string, hold: boolean): Promise<void> {
  await writeOverlay(destination, HOLDS, id, { id, hold, at: new Date().toISOString() });
}

/** Metadata with the overlays applied (a legal hold set later, the last verification). */
export async function withOverlays(
  destination: Destination,
  metadata: BackupMetadata,
): Promise<BackupListing> {
  const hold = await readOverlay(destination, HOLDS, metadata.id);
  const verified = await readOverlay(destination, VERIFIED, metadata.id);
  return {
    ...metadata,
    legalHold: typeof hold?.hold === 'boolean' ? hold.hold : metadata.legalHold,
    testVerified: typeof verified?.verifiedAt === 'string' ? verified.verifiedAt : null,
  };
}
