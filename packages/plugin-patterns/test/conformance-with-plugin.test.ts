import { availableTestStores, defineConformanceSuite } from '@mainframe-kb/testkit';
import { describe, it } from 'vitest';
import { patternsPlugin } from '../src/index.js';

// Core's conformance suite, unchanged, on a store with this extension enabled: the extension must not change
// how the knowledge base behaves. SQLite always; PostgreSQL / MySQL when KB_TEST_PG_URL / KB_TEST_MYSQL_URL is set.

for (const target of availableTestStores()) {
  const stores = target.stores;
  if (!stores) {
    describe(`storage conformance: ${target.dialect} + plugin-patterns (${target.skipped})`, () => {
      it.skip(`runs against ${target.dialect}`, () => {});
    });
    continue;
  }
  defineConformanceSuite({
    name: `${target.dialect} + plugin-patterns`,
    open: (plugins) =>
      stores.open({ mvp: { extensions: [{ id: 'patterns' }] } }, { plugins: [patternsPlugin, ...plugins] }),
    cleanup: () => stores.cleanup(),
  });
}
