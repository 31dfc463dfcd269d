import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStorage } from '../src/index.js';

// An application that installed an extension package storage-core itself does not depend on (pnpm keeps
// them apart): the extension named in the config must still load, from the application's directory.
let dir: string;
const cwd = process.cwd();

afterEach(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

function installFakePlugin(root: string): void {
  const pkg = join(root, 'node_modules', 'kb-fake-extension');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: 'kb-fake-extension',
      type: 'module',
      exports: { '.': { default: './index.js' } },
    }),
  );
  writeFileSync(
    join(pkg, 'index.js'),
    `export default { id: 'fake', version: '1.0.0', mvp: 2, setup: () => ({ api: { hello: () => 'from the app' } }) };\n`,
  );
}

describe('extensions named in the config', () => {
  it("load from the application's directory when storage-core cannot see the package", async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-app-'));
    installFakePlugin(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    process.chdir(dir);
    const storage = await createStorage({
      database: { path: join(dir, 'kb.db') },
      mvp: { extensions: [{ id: 'fake', package: 'kb-fake-extension' }] },
    });
    try {
      expect(storage.plugins.map((p) => p.id)).toEqual(['fake']);
    } finally {
      await storage.close();
    }
  });

  it('load through the importer the application passes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-app-'));
    const seen: string[] = [];
    const storage = await createStorage(
      { database: { path: join(dir, 'kb.db') }, mvp: { extensions: [{ id: 'fake', package: 'anything' }] } },
      {
        importPlugin: async (pkg) => {
          seen.push(pkg);
          return { default: { id: 'fake', version: '1.0.0', mvp: 2 } };
        },
      },
    );
    try {
      expect(seen).toEqual(['anything']);
      expect(storage.plugins.map((p) => p.id)).toEqual(['fake']);
    } finally {
      await storage.close();
    }
  });

  it('still fail with EXTENSION_NOT_INSTALLED when nobody installed the package', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kb-app-'));
    process.chdir(dir);
    await expect(
      createStorage({
        database: { path: join(dir, 'kb.db') },
        mvp: { extensions: [{ id: 'nope', package: 'kb-not-installed-anywhere' }] },
      }),
    ).rejects.toMatchObject({ code: 'EXTENSION_NOT_INSTALLED' });
  });
});
