import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { ByteSource } from '../codec-types.js';
import { type ExportManifest, MANIFEST_FILE } from '../envelope/versioned-export.js';
import { fileSha256 } from '../io/file-digest.js';
import { integrityError } from './integrity-error.js';
import { type ExportCheck, type ExportIntegrity, exportIntegritySchema } from './integrity-types.js';

/**
 * Where an envelope's integrity member starts: the writer puts it last, on a line of its own, with `algorithm`
 * first. No other line can start so: record lines start with `{`, an entity named `integrity` opens a line
 * that ends after its `{`, and a JSON string cannot hold a raw newline.
 */
const MARKER = Buffer.from('\n"integrity":{"algorithm":');

/**
 * Checks an envelope against the hashes it recorded: streams its bytes once (decompressed, within the import's
 * limits), hashing every byte before its integrity line, then reads that line. Refuses with INTEGRITY when
 * the body differs; says why it cannot be verified when it carries no hashes.
 */
export async function verifyEnvelope(
  file: string,
  source: ByteSource,
  maxTrailerBytes: number,
): Promise<ExportCheck> {
  const name = basename(file);
  const hash = createHash('sha256');
  let pending: Buffer = Buffer.alloc(0);
  let trailer: Buffer[] | undefined;
  let trailerBytes = 0;
  for await (const chunk of source.stream()) {
    if (trailer !== undefined) {
      trailer.push(Buffer.from(chunk));
      trailerBytes += chunk.length;
      if (trailerBytes > maxTrailerBytes) throw malformed(name, 'its integrity member is too large');
      continue;
    }
    const bytes = Buffer.concat([pending, chunk]);
    const at = bytes.indexOf(MARKER);
    if (at >= 0) {
      hash.update(bytes.subarray(0, at + 1));
      trailer = [bytes.subarray(at + 1)];
      trailerBytes = bytes.length - at - 1;
      continue;
    }
    // A marker may straddle two chunks: its possible start stays unhashed until the next chunk decides.
    const keep = Math.min(bytes.length, MARKER.length - 1);
    hash.update(bytes.subarray(0, bytes.length - keep));
    pending = Buffer.from(bytes.subarray(bytes.length - keep));
  }
  if (trailer === undefined) {
    return {
      verified: false,
      reason: `${name} carries no integrity hashes (an earlier release, or another tool, wrote it)`,
    };
  }
  const integrity = parseTrailer(name, Buffer.concat(trailer).toString('utf8'));
  const body = hash.digest('hex');
  if (integrity.body_sha256 === undefined) throw malformed(name, 'its integrity member has no body_sha256');
  if (body !== integrity.body_sha256) {
    throw integrityError(
      `${name}: its bytes differ from the sha256 its export recorded (the file was changed or damaged after the export); nothing was restored`,
      { file: name, recorded: integrity.body_sha256, actual: body },
    );
  }
  return { verified: true, contentHash: integrity.content_hash };
}

/** Checks every file a manifest lists against the sha256 it recorded, before a row is read. */
export async function verifyDirectory(dir: string, manifest: ExportManifest): Promise<ExportCheck> {
  const unhashed = manifest.files.filter((f) => typeof f.sha256 !== 'string').map((f) => f.file);
  if (manifest.integrity === undefined || unhashed.length > 0) {
    return {
      verified: false,
      reason: `the ${MANIFEST_FILE} of ${basename(dir)} carries no integrity hashes (an earlier release, or another tool, wrote it)`,
    };
  }
  const parsed = exportIntegritySchema.safeParse(manifest.integrity);
  if (!parsed.success) throw malformed(MANIFEST_FILE, parsed.error.issues.map((i) => i.message).join('; '));
  const differing: string[] = [];
  for (const file of manifest.files) {
    if ((await fileSha256(join(dir, file.file))) !== file.sha256) differing.push(file.file);
  }
  if (differing.length > 0) {
    throw integrityError(
      `${differing.join(', ')}: ${differing.length === 1 ? 'its bytes differ' : 'their bytes differ'} from the sha256 the export's ${MANIFEST_FILE} recorded (changed or damaged after the export); nothing was restored`,
      { files: differing },
    );
  }
  return { verified: true, contentHash: parsed.data.content_hash };
}

function parseTrailer(name: string, text: string): ExportIntegrity {
  let value: unknown;
  try {
    value = JSON.parse(`{${text}`);
  } catch {
    throw malformed(name, 'its integrity member is not the last member of the envelope, or not JSON');
  }
  const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  if (keys.length !== 1 || keys[0] !== 'integrity') {
    throw malformed(name, 'its integrity member is not the last member of the envelope');
  }
  const parsed = exportIntegritySchema.safeParse((value as { integrity: unknown }).integrity);
  if (!parsed.success) throw malformed(name, parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

function malformed(name: string, why: string) {
  return integrityError(`${name}: ${why}; the export was edited or damaged, nothing was restored`, {
    file: name,
  });
}
