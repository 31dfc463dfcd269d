import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared.js';

export default defineConfig({
  resolve: {
    alias: {
      ...sourceAliases,
      // A plugin "package" the restore tests load by name (see test/fixtures/notes-plugin.ts).
      '@mainframe-kb/backup-test-notes': fileURLToPath(
        new URL('./test/fixtures/notes-plugin.ts', import.meta.url),
      ),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
