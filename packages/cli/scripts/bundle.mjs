/**
 * Bundles the `kb` command into one file, dist/kb.mjs, which bin/kb.js runs.
 *
 * Why: Node 20 has no module compile cache, and loading the command as tsc leaves it — about 700 files of
 * this project, kysely and zod, each resolved, read and compiled on its own — took 0.8 s before the command
 * did anything (`kb --version`); bundled, 0.3 s. An operator's one-shot `kb search` pays this every time.
 *
 * What stays outside the bundle, loaded from node_modules at run time (so the CLI package depends on each):
 * - native addons: better-sqlite3, snappy, zstd-napi (and pg-native, which pg only tries);
 * - the server drivers pg and mysql2, imported by name only when a store on that server is opened;
 * - any plugin a config names that is not one of the shipped extensions.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const external = ['better-sqlite3', 'snappy', 'zstd-napi', 'pg', 'pg-native', 'mysql2'];

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  // CommonJS dependencies bundled into an ES module still call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __kbCreateRequire } from 'node:module';\nconst require = __kbCreateRequire(import.meta.url);",
  },
  // Licence comments of the bundled packages go to dist/kb.mjs.LEGAL.txt.
  legalComments: 'linked',
  sourcemap: 'linked',
  // Whitespace and syntax only: identifiers stay, so a stack trace names real functions (and the map has
  // the rest); parsing 2.9 MB instead of 4.3 MB is most of what minifying buys at start-up.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // The plugins' `import './events.js'` lines pull in declaration merging only (their JavaScript is
  // `export {}`), which their packages' "sideEffects": false lets esbuild drop: nothing is lost.
  logOverride: { 'ignored-bare-import': 'silent' },
};

await build({
  ...common,
  entryPoints: [new URL('../dist/bin.js', import.meta.url).pathname],
  outfile: new URL('../dist/kb.mjs', import.meta.url).pathname,
});

// io-formats reads large imports on a worker thread whose script it finds beside itself
// (`new URL('./prepare-worker.js', import.meta.url)`): beside the bundle, that is here.
const ioFormats = dirname(createRequire(import.meta.url).resolve('@mainframe-kb/io-formats'));
await build({
  ...common,
  entryPoints: [join(ioFormats, 'import', 'prepare-worker.js')],
  outfile: new URL('../dist/prepare-worker.js', import.meta.url).pathname,
});
