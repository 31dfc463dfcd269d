import { describe, expect, it } from 'vitest';
import { StorageErrorCode } from '../errors/error-codes.js';
import { isStorageError } from '../errors/storage-error.js';
import {
  dependencyClosure,
  dependentClosure,
  flattenMigrations,
  orderNamespaces,
} from './migration-order.js';
import type { Migration, MigrationNamespace } from './migration-types.js';

const m = (id: string, extra: Partial<Migration> = {}): Migration => ({ id, async up() {}, ...extra });
const ns = (namespace: string, dependsOn: string[] = [], ids: string[] = ['0001']): MigrationNamespace => ({
  namespace,
  dependsOn,
  migrations: ids.map((id) => m(id)),
});

function invalid(namespaces: MigrationNamespace[]): { message: string; details: Record<string, unknown> } {
  try {
    orderNamespaces(namespaces);
  } catch (error) {
    if (isStorageError(error, StorageErrorCode.MIGRATION_INVALID)) return error;
    throw error;
  }
  throw new Error('expected MIGRATION_INVALID');
}

describe('orderNamespaces', () => {
  it('puts every namespace after what it depends on', () => {
    const order = orderNamespaces([
      ns('analytics', ['templates', 'patterns']),
      ns('templates', ['code']),
      ns('code', ['core']),
      ns('patterns', ['core']),
      ns('core'),
    ]).map((n) => n.namespace);
    expect(order).toEqual(['core', 'code', 'templates', 'patterns', 'analytics']);
  });

  it('keeps the declaration order among namespaces ready at the same time', () => {
    const order = orderNamespaces([ns('core'), ns('b', ['core']), ns('a', ['core']), ns('c', ['core'])]).map(
      (n) => n.namespace,
    );
    expect(order).toEqual(['core', 'b', 'a', 'c']);
  });

  it('keeps the array order of migrations inside a namespace', () => {
    const flat = flattenMigrations(
      orderNamespaces([
        { namespace: 'p', dependsOn: ['core'], migrations: [m('z'), m('a')] },
        { namespace: 'core', dependsOn: [], migrations: [m('2'), m('1')] },
      ]),
    );
    expect(flat.map((f) => `${f.key}@${f.position}/${f.index}`)).toEqual([
      'core:2@0/0',
      'core:1@1/1',
      'p:z@2/0',
      'p:a@3/1',
    ]);
  });

  it('names the namespaces of a cycle', () => {
    const error = invalid([ns('core'), ns('a', ['core', 'c']), ns('b', ['a']), ns('c', ['b'])]);
    expect(error.message).toContain('cycle');
    expect(error.details.cycle).toEqual(['a', 'c', 'b', 'a']);
  });

  it('refuses a namespace that depends on itself', () => {
    expect(invalid([ns('a', ['a'])]).details.cycle).toEqual(['a', 'a']);
  });

  it('refuses a dependency on a namespace that is not registered', () => {
    expect(invalid([ns('core'), ns('patterns', ['core', 'incidents'])]).message).toContain(
      "namespace 'patterns' depends on 'incidents', which is not registered",
    );
  });

  it('refuses duplicate namespaces and duplicate ids, naming them', () => {
    const error = invalid([
      ns('core', [], ['0001', '0002', '0001']),
      ns('core', [], ['0009']),
      ns('x:y'),
      { namespace: 'blank', dependsOn: [], migrations: [m('')] },
    ]);
    expect(error.message).toContain('migration core:0001 is declared twice');
    expect(error.message).toContain("namespace 'core' is declared twice");
    expect(error.message).toContain("namespace name 'x:y'");
    expect(error.message).toContain("namespace 'blank' has a migration whose id ''");
  });

  it('refuses a migration that is irreversible and has down()', () => {
    const error = invalid([
      {
        namespace: 'core',
        dependsOn: [],
        migrations: [m('0001', { irreversible: 'drops data', async down() {} })],
      },
    ]);
    expect(error.message).toContain('core:0001 declares itself irreversible but has down()');
  });
});

describe('closures', () => {
  const ordered = orderNamespaces([
    ns('core'),
    ns('code', ['core']),
    ns('templates', ['code']),
    ns('patterns', ['core']),
  ]);

  it('collects what a namespace depends on', () => {
    expect([...dependencyClosure(ordered, 'templates')].sort()).toEqual(['code', 'core', 'templates']);
    expect([...dependencyClosure(ordered, 'patterns')].sort()).toEqual(['core', 'patterns']);
  });

  it('collects what depends on a namespace', () => {
    expect([...dependentClosure(ordered, 'code')].sort()).toEqual(['code', 'templates']);
    expect([...dependentClosure(ordered, 'core')].sort()).toEqual(['code', 'core', 'patterns', 'templates']);
  });
});
