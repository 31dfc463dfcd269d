import { describe, it } from 'vitest';
import { defineConformanceSuite, postgresStores, skipReason, testDatabaseUrl } from '../src/index.js';

// Every store the suite opens lives in its own schema of KB_TEST_PG_URL's database, dropped at the end.
const url = testDatabaseUrl('postgresql');

if (url) {
  const stores = postgresStores(url);
  defineConformanceSuite({
    name: 'postgresql',
    open: (plugins) => stores.open({}, { plugins }),
    cleanup: () => stores.cleanup(),
  });
} else {
  describe(`storage conformance: postgresql (${skipReason('postgresql')})`, () => {
    it.skip('runs against PostgreSQL', () => {});
  });
}
