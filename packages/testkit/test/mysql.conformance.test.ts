import { describe, it } from 'vitest';
import { defineConformanceSuite, mysqlStores, skipReason, testDatabaseUrl } from '../src/index.js';

// Every store the suite opens lives in its own database on the KB_TEST_MYSQL_URL server, dropped at the end.
const url = testDatabaseUrl('mysql');

if (url) {
  const stores = mysqlStores(url);
  defineConformanceSuite({
    name: 'mysql',
    open: (plugins) => stores.open({}, { plugins }),
    cleanup: () => stores.cleanup(),
  });
} else {
  describe(`storage conformance: mysql (${skipReason('mysql')})`, () => {
    it.skip('runs against MySQL', () => {});
  });
}
