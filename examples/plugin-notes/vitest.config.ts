import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      ...sourceAliases,
      // Not in the shared list: the CLI, and this package itself, which `kb` imports by the name
      // kb.config.json gives. Both resolve to their sources, like every workspace package in tests.
      '@mainframe-kb/cli': source('../../packages/cli/src/index.ts'),
      '@mainframe-kb/example-plugin-notes': source('./src/index.ts'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores are shared by several engineers: one test file at a time.
    fileParallelism: false,
  },
});
