import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, createStorage, type PluginDefinition, type Storage } from '@mainframe-kb/storage-core';
import { type PatternsOptionsInput, patternsPlugin } from '../../src/index.js';

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix = 'kb-patterns-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A SQLite store with the patterns plugin enabled through config.mvp.extensions (and `plugins`, if given). */
export async function openStore(
  path: string,
  options: PatternsOptionsInput = {},
  { actor, plugins = [] }: { actor?: Actor; plugins?: readonly PluginDefinition[] } = {},
): Promise<Storage> {
  return createStorage(
    { database: { path }, mvp: { extensions: [{ id: 'patterns', options }] } },
    { plugins: [patternsPlugin, ...plugins], ...(actor && { actor }) },
  );
}
