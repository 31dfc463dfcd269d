import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A test's child process script (TypeScript, importing the workspace packages' sources) bundled into one
 * JavaScript file, for `spawn(process.execPath, [script, ...])`.
 *
 * Why: the kill and concurrency tests start a child per kill point, and `node --import tsx child.ts` loads
 * several hundred modules one by one, each through tsx: about 1.3 s before the child does anything, 2–3 s on
 * a loaded machine, for each of ~150 children in the suite. A bundle starts in about 0.3 s.
 *
 * Workspace packages (`@mainframe-kb/<name>`) resolve to their `src/index.ts`, as in the tests, never to a
 * stale dist/. Native addons and the server drivers stay outside the bundle, imported by absolute path.
 * The bundle is written under the entry's package (node_modules/.cache/kb-children), so code that resolves a
 * dependency from its own location (`createRequire(import.meta.url)`) finds that package's dependencies.
 */
const EXTERNAL = /^(better-sqlite3|snappy|zstd-napi|pg|pg-native|mysql2)(\/.*)?$/;
const WORKSPACE = /^@mainframe-kb\/([a-z-]+)$/;
const PACKAGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const built = new Map<string, Promise<string>>();

export function bundleChild(entry: string): Promise<string> {
  let found = built.get(entry);
  if (!found) {
    found = build(entry);
    built.set(entry, found);
  }
  return found;
}

/** The package folder holding `file`: the nearest folder above it with a package.json. */
function packageOf(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${file}`);
}

async function build(entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const dir = join(packageOf(entry), 'node_modules', '.cache', 'kb-children');
  mkdirSync(dir, { recursive: true });
  const tag = createHash('sha256')
    .update(`${entry}\0${process.pid}\0${Date.now()}`)
    .digest('hex')
    .slice(0, 12);
  const outfile = join(dir, `${basename(entry).replace(/\.[cm]?ts$/, '')}-${tag}.mjs`);
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'error',
    logOverride: { 'ignored-bare-import': 'silent' },
    // CommonJS dependencies bundled into an ES module still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __kbCreateRequire } from 'node:module';\nconst require = __kbCreateRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'kb-children',
        setup(b) {
          b.onResolve({ filter: WORKSPACE }, (args) => {
            const name = WORKSPACE.exec(args.path)![1]!;
            return { path: join(PACKAGES, name, 'src', 'index.ts') };
          });
          b.onResolve({ filter: EXTERNAL }, async (args) => {
            if (args.pluginData === 'kb-external') return undefined;
            const found = await b.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              importer: args.importer,
              pluginData: 'kb-external',
            });
            if (found.errors.length > 0) return { errors: found.errors };
            return { path: found.path, external: true };
          });
        },
      },
    ],
  });
  // The test process's own bundle: gone when it exits.
  process.once('exit', () => rmSync(outfile, { force: true }));
  return outfile;
}
