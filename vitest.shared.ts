import { fileURLToPath } from 'node:url';

// Tests run on TypeScript sources: workspace packages resolve to their src/index.ts, never to a stale dist/.
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export const sourceAliases: Record<string, string> = {
  '@mainframe-kb/storage-core': src('storage-core'),
  '@mainframe-kb/testkit': src('testkit'),
  '@mainframe-kb/io-formats': src('io-formats'),
  '@mainframe-kb/plugin-patterns': src('plugin-patterns'),
  '@mainframe-kb/backup': src('backup'),
  '@mainframe-kb/plugin-code': src('plugin-code'),
  '@mainframe-kb/plugin-templates': src('plugin-templates'),
  '@mainframe-kb/plugin-analytics': src('plugin-analytics'),
  '@mainframe-kb/cli': src('cli'),
};
