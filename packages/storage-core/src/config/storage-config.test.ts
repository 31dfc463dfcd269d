import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/storage-error.js';
import { parseStorageConfig } from './storage-config.js';

describe('parseStorageConfig', () => {
  it('fills every default from an empty config', () => {
    const config = parseStorageConfig({});
    expect(config.database).toMatchObject({
      type: 'sqlite',
      path: './kb.db',
      busyTimeoutMs: 15_000,
      pragmas: {},
    });
    expect(config.backup.encryption).toEqual({
      enabled: true,
      algorithm: 'aes-256-gcm',
      passphraseEnv: 'KB_BACKUP_PASSPHRASE',
    });
    expect(config.performance.indexing.weights.title).toBeGreaterThan(
      config.performance.indexing.weights.problem,
    );
    // No version: the store's MVP level comes from its extensions (Storage.mvpLevel).
    expect(config.mvp).toEqual({ features: {}, extensions: [] });
    expect(config.integrations.eventBus.durableLog).toBe(true);
  });

  it('keeps given values and fills the rest of their object', () => {
    const config = parseStorageConfig({
      database: { path: '/tmp/x.db', pragmas: { cache_size: -2000 } },
      mvp: { version: '2', extensions: [{ id: 'patterns' }] },
    });
    expect(config.database.path).toBe('/tmp/x.db');
    expect(config.database.pragmas).toEqual({ cache_size: -2000 });
    expect(config.mvp.extensions).toEqual([{ id: 'patterns', enabled: true, options: {} }]);
  });

  it('rejects unknown keys, naming their full path', () => {
    try {
      parseStorageConfig({ database: { type: 'sqlite', colour: 'blue' }, extra: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const paths = (error as ConfigError).issues.map((i) => i.path);
      expect(paths).toContain('database.colour');
      expect(paths).toContain('extra');
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    }
  });

  it.each([
    [{ database: { type: 'oracle' } }, 'database.type'],
    [{ database: { busyTimeoutMs: -1 } }, 'database.busyTimeoutMs'],
    [{ database: { port: 70_000 } }, 'database.port'],
    [{ database: { pragmas: { 'journal_mode; drop': 'wal' } } }, 'database.pragmas.journal_mode; drop'],
    [{ mvp: { version: '6' } }, 'mvp.version'],
    [{ mvp: { extensions: [{ id: 'Bad Id' }] } }, 'mvp.extensions.0.id'],
    [{ backup: { destinations: [{ type: 'local' }] } }, 'backup.destinations.0.path'],
    [
      { integrations: { external: [{ name: 'sn', type: 'servicenow', url: 'https://sn.example' }] } },
      'integrations.external',
    ],
  ])('rejects %j at %s', (input, path) => {
    expect(() => parseStorageConfig(input)).toThrow(ConfigError);
    try {
      parseStorageConfig(input);
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.path)).toContain(path);
      expect((error as Error).message).toContain(path);
    }
  });
});
