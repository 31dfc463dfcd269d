import { randomBytes } from 'node:crypto';
import {
  createStorage,
  openDialect,
  parseStorageConfig,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStores, skipReason, testDatabaseUrl } from '../src/index.js';

// Regression: kysely's PostgresIntrospector scans every schema with name-based lookups, so another session
// dropping a schema at the same moment failed our catalog query with "schema … does not exist" (3F000). The
// store's introspection reads only its own schema by OID; it must not notice other sessions' DDL at all.
const url = testDatabaseUrl('postgresql');

describe.skipIf(!url)(
  `postgresql introspection under other sessions' DDL${url ? '' : ` (${skipReason('postgresql')})`}`,
  () => {
    const stores = url ? postgresStores(url) : undefined;
    let database: NonNullable<StorageConfigInput['database']>;
    beforeAll(async () => {
      database = await stores!.database();
      await (await createStorage({ database })).close();
    });
    afterAll(async () => stores?.cleanup());

    it('lists the store tables while schemas are created and dropped concurrently', {
      timeout: 60_000,
    }, async () => {
      const adapter = await openDialect(parseStorageConfig({ database }));
      const churn = new pg.Client({ connectionString: url });
      await churn.connect();
      const prefix = `kbt_churn_${randomBytes(4).toString('hex')}`;
      let stop = false;
      let churned = 0;
      const churning = (async () => {
        while (!stop) {
          const schema = `${prefix}_${churned++}`;
          await churn.query(
            `create schema ${schema}; create table ${schema}.t (id serial primary key, x text)`,
          );
          await churn.query(`drop schema ${schema} cascade`);
        }
      })();
      try {
        let reads = 0;
        const started = Date.now();
        // 2,000 reads over a few seconds: the old query failed about 2% of its reads under this churn.
        while (reads < 2_000 && Date.now() - started < 30_000) {
          const tables = await adapter.db.introspection.getTables();
          expect(tables.map((t) => t.name)).toContain('kb_entries');
          expect(tables.every((t) => !t.name.startsWith('kbt_churn'))).toBe(true);
          reads++;
        }
        expect(reads).toBeGreaterThan(100);
        expect(churned).toBeGreaterThan(10);
      } finally {
        stop = true;
        await churning;
        await churn.end();
        await adapter.close();
      }
    });

    it('reports columns, nullability, defaults and serial columns like kysely does', async () => {
      const adapter = await openDialect(parseStorageConfig({ database }));
      try {
        const tables = await adapter.db.introspection.getTables();
        const ledger = tables.find((t) => t.name === 'kb_migrations');
        expect(ledger?.schema).toBe((database as { schema: string }).schema);
        const events = tables.find((t) => t.name === 'kb_events');
        const seq = events?.columns.find((c) => c.name === 'seq');
        expect(seq).toMatchObject({
          dataType: 'int4',
          isNullable: false,
          hasDefaultValue: true,
          isAutoIncrementing: true,
        });
        const type = events?.columns.find((c) => c.name === 'type');
        expect(type).toMatchObject({
          dataType: 'varchar',
          isNullable: false,
          hasDefaultValue: false,
          isAutoIncrementing: false,
        });
      } finally {
        await adapter.close();
      }
    });
  },
);
