import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage, definePlugin, type PluginContext, type Storage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import { definePluginConformance, reachableHandles } from '../src/index.js';

interface TagsDatabase {
  entry_labels: { entry_id: string; label: string };
}

/** A plugin kept as small as the contract allows: one table, one write, one flat method. */
const labels = definePlugin({
  id: 'labels',
  version: '1.0.0',
  mvp: 2,
  tables: { entry_labels: { entity: 'labels', primaryKey: ['entry_id', 'label'] } },
  provides: ['labelEntry'],
  migrations: [
    {
      id: '0001_labels',
      async up(db) {
        await db.schema
          .createTable('entry_labels')
          .addColumn('entry_id', 'varchar(64)', (c) =>
            c.notNull().references('kb_entries.id').onDelete('cascade'),
          )
          .addColumn('label', 'varchar(64)', (c) => c.notNull())
          .addPrimaryKeyConstraint('entry_labels_pk', ['entry_id', 'label'])
          .execute();
      },
      async down(db) {
        await db.schema.dropTable('entry_labels').execute();
      },
    },
  ],
  setup(ctx: PluginContext<TagsDatabase>) {
    const label = (entryId: string, text: string) =>
      ctx.write('labels.add', async (scope) => {
        await scope.trx.insertInto('entry_labels').values({ entry_id: entryId, label: text }).execute();
        scope.audit({ action: 'label', entity: 'kb_entry', entityId: entryId, detail: { label: text } });
        return text;
      });
    return {
      api: {
        label,
        count: () =>
          ctx.read('labels.read', async () =>
            Number(
              (
                await ctx.db
                  .selectFrom('entry_labels')
                  .select((eb) => eb.fn.countAll().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            ),
          ),
      },
      methods: { labelEntry: label },
      permissions: { 'labels.add': 'editor', 'labels.read': 'viewer' },
    };
  },
});

definePluginConformance({
  plugin: labels,
  async seed(storage: Storage) {
    const id = await storage.createEntry({
      title: 'VSAM status 35 opening PROD.CUST.KSDS',
      problem: 'OPEN fails with file status 35: the cluster is not defined.',
      solution: 'Define the cluster with IDCAMS DEFINE CLUSTER, then rerun.',
      category: 'VSAM',
    });
    await (storage.plugin(labels) as { label(id: string, l: string): Promise<string> }).label(
      id,
      'night-shift',
    );
  },
});

describe('reachableHandles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-reachable-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a handle that an API function hands out, which the start-time check cannot see', async () => {
    const leaky = definePlugin({
      id: 'leaky',
      version: '1.0.0',
      mvp: 2,
      setup: (ctx) => ({ api: { manager: () => ({ db: ctx.dialect.db }) } }),
    });
    const viewer = await createStorage(
      { database: { path: join(dir, 'leaky.db') } },
      { plugins: [leaky], actor: { id: 'v', role: 'viewer' } },
    );
    try {
      expect(await reachableHandles(viewer, leaky)).toEqual(['api.manager().db']);
      expect(await reachableHandles(viewer, labels).catch(() => 'not enabled')).toBe('not enabled');
    } finally {
      await viewer.close();
    }
  });
});
