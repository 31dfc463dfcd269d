import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';

/** The shared mainframe samples (see SOURCES.md there): `../shared/data/mainframe-samples` beside the repo. */
export const samplesDir = mainframeSamplesDir();

/** The bytes of a sample, by its path relative to `samplesDir` (`.toString('utf8')` for text). */
export function sample(relPath: string): Buffer {
  return readFileSync(path.join(samplesDir, relPath));
}
