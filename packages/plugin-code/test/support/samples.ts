import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The shared mainframe samples (see SOURCES.md there): /work/shared beside the repository at /work/main. */
export const samplesDir = path.resolve(testDir, '../../../../shared/data/mainframe-samples');

/** The bytes of a sample, by its path relative to `samplesDir` (`.toString('utf8')` for text). */
export function sample(relPath: string): Buffer {
  return readFileSync(path.join(samplesDir, relPath));
}
