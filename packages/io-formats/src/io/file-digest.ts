import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of a file's bytes, read as a stream: memory stays flat whatever the size of the file. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 over several digests, in order: one fingerprint for an input made of several files. */
export function combinedSha256(digests: readonly string[]): string {
  const hash = createHash('sha256');
  for (const digest of digests) hash.update(`${digest}\n`);
  return hash.digest('hex');
}
