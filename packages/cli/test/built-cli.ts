import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const coreDir = fileURLToPath(new URL('../../storage-core/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function build(projectDir: string): void {
  execFileSync(process.execPath, [tsc, '-p', `${projectDir}/tsconfig.json`], { stdio: 'pipe' });
}

/**
 * Makes `bin/kb.js` run the current sources. CI builds storage-core before testing this package (turbo: test
 * dependsOn ^build); build it here only when it has never been built. The CLI itself is always rebuilt
 * (incrementally) so the binary under test is never an older dist than the sources the other tests ran.
 */
export function buildCli(): void {
  if (!existsSync(`${coreDir}dist/index.js`)) build(coreDir);
  build(packageDir);
}
