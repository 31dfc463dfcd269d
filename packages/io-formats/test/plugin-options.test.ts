import { createStorage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ioFormatsDefault, {
  CodecRegistry,
  csvCodec,
  ioFormatsPlugin,
  jsonCodec,
  plugin,
} from '../src/index.js';
import { type TempDir, tempDir } from './store-helpers.js';

describe('the io-formats plugin object and its options', () => {
  let dir: TempDir;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(() => dir.remove());

  it('is one frozen object, exported as ioFormatsPlugin, plugin and default', () => {
    expect(typeof ioFormatsPlugin).toBe('object');
    expect(Object.isFrozen(ioFormatsPlugin)).toBe(true);
    expect(plugin).toBe(ioFormatsPlugin);
    expect(ioFormatsDefault).toBe(ioFormatsPlugin);
    expect(ioFormatsPlugin.provides).toEqual(['export', 'import']);
  });

  it('takes a codec registry from config.mvp.extensions[].options', async () => {
    const codecs = new CodecRegistry([jsonCodec, csvCodec]);
    const storage = await createStorage(
      {
        database: { type: 'sqlite', path: dir.file('store.db') },
        mvp: { extensions: [{ id: 'io-formats', options: { codecs } }] },
      },
      { plugins: [ioFormatsPlugin] },
    );
    try {
      expect(storage.plugin(ioFormatsPlugin).codecs).toBe(codecs);
      await expect(storage.export({ format: 'parquet', out: dir.file('out') })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('available: json, csv'),
      });
      expect((await storage.export({ format: 'csv', out: dir.file('csv') })).layout).toBe('directory');
    } finally {
      await storage.close();
    }
  });

  it('refuses to open with options it does not know or a codecs value that is not a registry', async () => {
    for (const options of [{ codecs: { get: () => jsonCodec } }, { codec: new CodecRegistry() }]) {
      await expect(
        createStorage(
          {
            database: { type: 'sqlite', path: dir.file('bad.db') },
            mvp: { extensions: [{ id: 'io-formats', options }] },
          },
          { plugins: [ioFormatsPlugin] },
        ),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('io-formats') });
    }
  });
});
