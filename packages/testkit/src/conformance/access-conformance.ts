import { EventEmitter } from 'node:events';
import {
  CORE_ACCESS_RULES,
  createStorage,
  definePlugin,
  FLAT_METHOD_PROVIDERS,
  type Role,
  type Storage,
  type TableBatch,
} from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceTarget, expectStorageError, sampleEntry } from './conformance-helpers.js';

const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/**
 * The least role of every core operation, written out again on purpose: a rule changed in core
 * (`CORE_ACCESS_RULES`) fails this suite until the change is made here too, in review.
 */
const EXPECTED_RULES: Readonly<Record<string, Role>> = {
  'entry.read': 'viewer',
  'entry.search': 'viewer',
  'entry.create': 'editor',
  'entry.update': 'editor',
  'entry.delete': 'editor',
  'entry.feedback': 'viewer',
  'entry.usage': 'viewer',
  'relation.add': 'editor',
  'relation.remove': 'editor',
  'search.history': 'viewer',
  'events.replay': 'admin',
  'audit.verify': 'admin',
  'audit.read': 'admin',
  'audit.checkpoint': 'admin',
  'audit.rotate': 'admin',
  'storage.metrics': 'viewer',
  'storage.health': 'viewer',
  'storage.optimize': 'admin',
  'storage.migrate': 'admin',
  'storage.migrations': 'viewer',
  'storage.hash': 'viewer',
  'storage.export': 'admin',
  'storage.import': 'admin',
};

/** Entries made for one call, by the admin store, so a call that changes or deletes them harms no other. */
interface Fixture {
  a: string;
  b: string;
  /** `namespace:id` of the last applied migration of the last namespace: `migrateDown` to it is a no-op. */
  lastMigration: string;
}

interface Operation {
  method: keyof Storage & string;
  rule: string;
  call: (store: Storage, f: Fixture) => Promise<unknown>;
}

async function drain(iterable: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of iterable) n += 1;
  return n;
}

async function* noBatches(): AsyncGenerator<TableBatch> {}

/** Every public operation of a store, with the rule it is checked against. */
const OPERATIONS: readonly Operation[] = [
  { method: 'createEntry', rule: 'entry.create', call: (s) => s.createEntry(sampleEntry('ACCESSNEW')) },
  {
    method: 'createEntries',
    rule: 'entry.create',
    call: (s) => s.createEntries([sampleEntry('ACCESSNEW2')]),
  },
  { method: 'readEntry', rule: 'entry.read', call: (s, f) => s.readEntry(f.a) },
  { method: 'getEntry', rule: 'entry.read', call: (s, f) => s.getEntry(f.a) },
  { method: 'listEntries', rule: 'entry.read', call: (s) => s.listEntries({ limit: 5 }) },
  { method: 'countEntries', rule: 'entry.read', call: (s) => s.countEntries() },
  { method: 'getRelations', rule: 'entry.read', call: (s, f) => s.getRelations(f.a) },
  { method: 'updateEntry', rule: 'entry.update', call: (s, f) => s.updateEntry(f.a, { severity: 'high' }) },
  { method: 'deleteEntry', rule: 'entry.delete', call: (s, f) => s.deleteEntry(f.b) },
  {
    method: 'recordFeedback',
    rule: 'entry.feedback',
    call: (s, f) => s.recordFeedback(f.a, { outcome: 'success', rating: 5 }),
  },
  { method: 'recordUsage', rule: 'entry.usage', call: (s, f) => s.recordUsage(f.a, 'copy') },
  { method: 'addRelation', rule: 'relation.add', call: (s, f) => s.addRelation(f.b, f.a, 'related') },
  {
    method: 'removeRelation',
    rule: 'relation.remove',
    call: (s, f) => s.removeRelation(f.a, f.b, 'related'),
  },
  { method: 'search', rule: 'entry.search', call: (s) => s.search('ACCESSA') },
  { method: 'searchEntries', rule: 'entry.search', call: (s) => s.searchEntries('ACCESSA') },
  { method: 'suggest', rule: 'entry.search', call: (s) => s.suggest('ACC') },
  { method: 'getSearchHistory', rule: 'search.history', call: (s) => s.getSearchHistory({ limit: 5 }) },
  {
    method: 'replayEvents',
    rule: 'events.replay',
    call: async (s) => drain(s.replayEvents({ types: ['entry:created'] })),
  },
  { method: 'verifyAuditChain', rule: 'audit.verify', call: (s) => s.verifyAuditChain() },
  { method: 'auditRows', rule: 'audit.read', call: (s) => s.auditRows({ limit: 5 }) },
  { method: 'auditCheckpoint', rule: 'audit.checkpoint', call: (s) => s.auditCheckpoint() },
  { method: 'rotateAuditKey', rule: 'audit.rotate', call: (s) => s.rotateAuditKey() },
  { method: 'getMetrics', rule: 'storage.metrics', call: (s) => s.getMetrics() },
  { method: 'healthCheck', rule: 'storage.health', call: (s) => s.healthCheck() },
  { method: 'optimize', rule: 'storage.optimize', call: (s) => s.optimize() },
  { method: 'migrationStatus', rule: 'storage.migrations', call: (s) => s.migrationStatus() },
  { method: 'planMigrations', rule: 'storage.migrations', call: (s) => s.planMigrations() },
  { method: 'migrateUp', rule: 'storage.migrate', call: (s) => s.migrateUp() },
  { method: 'migrate', rule: 'storage.migrate', call: (s) => s.migrate() },
  { method: 'initialize', rule: 'storage.migrate', call: (s) => s.initialize(s.config) },
  { method: 'migrateDown', rule: 'storage.migrate', call: (s, f) => s.migrateDown({ to: f.lastMigration }) },
  {
    method: 'repairMigrations',
    rule: 'storage.migrate',
    call: (s) => s.repairMigrations({ forgetUnknown: true }),
  },
  { method: 'contentHash', rule: 'storage.hash', call: (s) => s.contentHash() },
  { method: 'rowCounts', rule: 'storage.hash', call: (s) => s.rowCounts() },
  { method: 'exportTables', rule: 'storage.export', call: async (s) => drain(s.exportTables()) },
  {
    method: 'importTables',
    rule: 'storage.import',
    call: (s) => s.importTables(noBatches(), { tables: [] }),
  },
];

/**
 * Public members of a store that are not operations on its data, each with the reason. A new public
 * method is neither here nor in OPERATIONS and fails the suite until someone decides which it is.
 */
const NOT_OPERATIONS: Readonly<Record<string, string>> = {
  constructor: 'the class itself',
  actor: "who the store acts for now (its own actor, or a runAs scope's)",
  runAs: 'runs a function as another actor of the same or a lower role; what it calls is checked (below)',
  config: 'the validated configuration (frozen)',
  metrics: 'in-process counters and timings; getMetrics() is the checked read',
  dialectName: 'a constant of the open store',
  mvpLevel: 'the highest MVP among the started extensions, a constant of the open store',
  migrationHolds: 'which extensions a rollback holds back, and why; no rows',
  refuseWhileHeld: 'throws while an extension is held back; reads nothing',
  location: 'where the data lives, without a password',
  plugins: 'names and versions of the enabled plugins',
  plugin: "a plugin's API: each of its operations is checked (plugin conformance)",
  tables: 'the declared tables, no rows',
  importers: 'the declared importers, no rows',
  exporters: 'the declared exporters, no rows',
  start: 'refused after createStorage has called it',
  emit: 'refused: events come from the store itself',
  flushSearchHistory: 'writes the searches this actor was allowed to make',
  close: 'closes this handle only',
};

function publicMembers(store: Storage): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(store); proto && proto !== EventEmitter.prototype; ) {
    for (const name of Object.getOwnPropertyNames(proto)) if (!name.startsWith('_')) names.add(name);
    proto = Object.getPrototypeOf(proto);
  }
  for (const name of Object.keys(store)) if (!name.startsWith('_')) names.add(name);
  // The seed interface's flat methods route to the plugin that provides them (checked there).
  for (const name of Object.keys(FLAT_METHOD_PROVIDERS)) names.delete(name);
  return [...names].sort();
}

/** Two related entries (codes `<prefix>A`, `<prefix>B`) and the last applied migration, for the operations. */
async function fixtureOf(owner: Storage, prefix: string): Promise<Fixture> {
  const [a, b] = (await owner.createEntries([sampleEntry(`${prefix}A`), sampleEntry(`${prefix}B`)])) as [
    string,
    string,
  ];
  await owner.addRelation(a, b, 'related');
  const status = await owner.migrationStatus();
  // The last namespace in run order has no dependents: down to its last migration rolls nothing back.
  const last = status.namespaces.filter((ns) => ns.applied.length > 0).at(-1);
  return { a, b, lastMigration: `${last?.namespace}:${last?.applied.at(-1)?.id}` };
}

/**
 * Every public operation of a store × every role: a role below the operation's rule is refused with
 * FORBIDDEN and changes nothing (content hash, audit trail included); a role at or above it succeeds.
 */
export function defineAccessConformance(target: ConformanceTarget): void {
  describe('roles: every operation × every role (reliability 13)', () => {
    let admin: Storage | undefined;
    const stores = new Map<Role, Storage>();

    beforeAll(async () => {
      admin = await target.open([]);
      for (const role of ROLES) {
        stores.set(role, await createStorage(admin.config, { actor: { id: `access-${role}`, role } }));
      }
    });
    afterAll(async () => {
      for (const store of stores.values()) await store.close();
      await admin?.close();
    });
    const adminStore = () => {
      if (!admin) throw new Error('the store did not open; see the beforeAll error');
      return admin;
    };

    it('pins every core rule, and covers each with at least one operation', () => {
      expect({ ...CORE_ACCESS_RULES }).toEqual(EXPECTED_RULES);
      const covered = new Set(OPERATIONS.map((op) => op.rule));
      expect(Object.keys(CORE_ACCESS_RULES).filter((rule) => !covered.has(rule))).toEqual([]);
    });

    it('classifies every public member of the store as an operation or as none', () => {
      const classified = new Set([...OPERATIONS.map((op) => op.method), ...Object.keys(NOT_OPERATIONS)]);
      expect(publicMembers(adminStore()).filter((name) => !classified.has(name))).toEqual([]);
    });

    for (const role of ROLES) {
      for (const op of OPERATIONS) {
        const allowed = RANK[role] >= RANK[EXPECTED_RULES[op.rule]!];
        it(`${role} ${allowed ? 'may' : 'may not'} ${op.method} (${op.rule})`, async () => {
          const owner = adminStore();
          const fixture = await fixtureOf(owner, 'ACCESS');
          const store = stores.get(role)!;
          if (allowed) {
            await op.call(store, fixture);
            return;
          }
          const before = await owner.contentHash();
          const error = await expectStorageError(op.call(store, fixture), 'FORBIDDEN');
          expect(error.message).toContain(role);
          expect((await owner.contentHash()).hash).toBe(before.hash);
        });
      }
    }

    for (const role of ROLES) {
      it(`refuses a runAs scope of ${role} everything it refuses a store opened as ${role}`, async () => {
        const owner = adminStore();
        const fixture = await fixtureOf(owner, 'SCOPE');
        const before = await owner.contentHash();
        const refused = OPERATIONS.filter((op) => RANK[role] < RANK[EXPECTED_RULES[op.rule]!]);
        for (const op of refused) {
          const error = await expectStorageError(
            owner.runAs({ id: `scope-${role}`, role }, () => op.call(owner, fixture)),
            'FORBIDDEN',
          );
          expect(error.message, op.method).toContain(role);
        }
        expect((await owner.contentHash()).hash).toBe(before.hash);
        // The scope ends with its function: the store is its own actor again.
        expect(owner.actor.role).toBe('admin');
      });
    }

    it('refuses an operation that no rule covers, whatever the role: deny by default', async () => {
      const probe = definePlugin({
        id: 'access-probe',
        version: '1.0.0',
        mvp: 2,
        setup: (ctx) => ({ api: { unruled: () => ctx.authorize('access-probe.unruled') } }),
      });
      const store = await createStorage(adminStore().config, {
        actor: { id: 'root', role: 'admin' },
        plugins: [probe],
      });
      try {
        const api = store.plugin(probe) as { unruled: () => void };
        expect(() => api.unruled()).toThrow(/no access rule covers 'access-probe.unruled'/);
      } finally {
        await store.close();
      }
    });

    it('fixes the actor and the configuration for the life of the store', () => {
      const viewer = stores.get('viewer')!;
      expect(() => {
        (viewer as { actor: unknown }).actor = { id: 'x', role: 'admin' };
      }).toThrow(TypeError);
      expect(() => {
        (viewer.actor as { role: string }).role = 'admin';
      }).toThrow(TypeError);
      expect(() => {
        (viewer.config as { database: unknown }).database = { type: 'sqlite', path: ':memory:' };
      }).toThrow(TypeError);
      expect(viewer.actor).toEqual({ id: 'access-viewer', role: 'viewer' });
    });

    it('refuses a second start and a forged event', async () => {
      const viewer = stores.get('viewer')!;
      await expectStorageError(viewer.start([], false), 'FORBIDDEN');
      const heard: unknown[] = [];
      viewer.on('entry:deleted', (payload) => heard.push(payload));
      expect(() =>
        (viewer.emit as (...args: unknown[]) => boolean)('entry:deleted', { id: 'forged' }),
      ).toThrow(/emitted by the store itself/);
      expect(heard).toEqual([]);
    });
  });
}
