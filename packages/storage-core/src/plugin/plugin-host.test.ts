import { describe, expect, it } from 'vitest';
import { parseStorageConfig } from '../config/storage-config.js';
import { StorageError } from '../errors/storage-error.js';
import { definePlugin } from './define-plugin.js';
import { orderByDependencies, pluginNamespaces, resolvePlugins } from './plugin-host.js';
import type { PluginDefinition } from './plugin-types.js';

const plugin = (id: string, dependsOn: Record<string, string> = {}, version = '1.0.0'): PluginDefinition =>
  definePlugin({ id, version, mvp: 2, dependsOn, migrations: [{ id: '0001', up: async () => {} }] });

describe('definePlugin', () => {
  it('refuses a malformed definition where its author sees it', () => {
    expect(() => definePlugin({ id: 'Bad', version: '1.0.0', mvp: 2 })).toThrow(/ids are lower-case/);
    expect(() => definePlugin({ id: 'x', version: 'one', mvp: 2 })).toThrow(/semver version/);
    expect(() => definePlugin({ id: 'x', version: '1.0.0', mvp: 7 as 2 })).toThrow(/mvp/);
    expect(() => definePlugin({ id: 'core', version: '1.0.0', mvp: 1 })).toThrow(/reserved/);
    expect(() =>
      definePlugin({ id: 'x', version: '1.0.0', mvp: 2, dependsOn: { y: 'not a range!' } }),
    ).toThrow(/semver range/);
  });
});

describe('orderByDependencies', () => {
  const wrap = (p: PluginDefinition) => ({ definition: p, options: {} });

  it('puts each extension after what it depends on, keeping the given order otherwise', () => {
    const ordered = orderByDependencies([
      wrap(plugin('templates', { code: '^1.0.0' })),
      wrap(plugin('analytics')),
      wrap(plugin('code', { patterns: '^1.0.0', core: '>=0.1.0' })),
      wrap(plugin('patterns')),
    ]).map((p) => p.definition.id);
    expect(ordered).toEqual(['patterns', 'code', 'templates', 'analytics']);
  });

  it('refuses cycles, naming them', () => {
    expect(() => orderByDependencies([wrap(plugin('a', { b: '*' })), wrap(plugin('b', { a: '*' }))])).toThrow(
      /cycle: a → b → a/,
    );
  });

  it('refuses a missing dependency and a version outside the range', () => {
    expect(() => orderByDependencies([wrap(plugin('a', { b: '^1.0.0' }))])).toThrow(
      /'b', which is not enabled/,
    );
    expect(() =>
      orderByDependencies([wrap(plugin('a', { b: '^2.0.0' })), wrap(plugin('b', {}, '1.4.0'))]),
    ).toThrow(/needs b \^2.0.0, but b 1.4.0/);
    expect(() => orderByDependencies([wrap(plugin('a', { core: '^9.0.0' }))])).toThrow(/needs core/);
  });

  it('gives every extension namespace core as a dependency', () => {
    const namespaces = pluginNamespaces(
      orderByDependencies([wrap(plugin('p')), wrap(plugin('q', { p: '*' }))]),
    );
    expect(namespaces.map((n) => [n.namespace, n.dependsOn])).toEqual([
      ['p', ['core']],
      ['q', ['core', 'p']],
    ]);
  });
});

describe('resolvePlugins', () => {
  it('imports an extension named in the config from its package', async () => {
    const config = parseStorageConfig({
      mvp: { extensions: [{ id: 'patterns', options: { threshold: 3 } }] },
    });
    const imported: string[] = [];
    const resolved = await resolvePlugins(config, [], async (specifier) => {
      imported.push(specifier);
      return { default: plugin('patterns', {}, '1.3.0') };
    });
    expect(imported).toEqual(['@mainframe-kb/plugin-patterns']);
    expect(resolved[0]?.definition.version).toBe('1.3.0');
    expect(resolved[0]?.options).toEqual({ threshold: 3 });
  });
  it('refuses a package whose default export is a function, saying to pass the object', async () => {
    const config = parseStorageConfig({ mvp: { extensions: [{ id: 'patterns' }] } });
    const error = await resolvePlugins(config, [], async () => ({ default: () => plugin('patterns') })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'EXTENSION_INVALID' });
    expect((error as Error).message).toMatch(/object definePlugin\(\) returns, not a function/);
  });

  it('says which package to install when an extension cannot be loaded', async () => {
    const config = parseStorageConfig({ mvp: { extensions: [{ id: 'backup' }] } });
    const error = await resolvePlugins(config, [], async () => {
      throw new Error('Cannot find package');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('EXTENSION_NOT_INSTALLED');
    expect((error as Error).message).toContain('pnpm add @mainframe-kb/backup');
  });

  it('leaves out an extension the config disables, even when passed', async () => {
    const config = parseStorageConfig({ mvp: { extensions: [{ id: 'p', enabled: false }] } });
    expect(await resolvePlugins(config, [plugin('p')])).toEqual([]);
  });
});
