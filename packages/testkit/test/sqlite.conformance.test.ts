import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { defineConformanceSuite } from '../src/index.js';

// One temp folder for the suite, a new database file for every store the suite opens.
const dir = mkdtempSync(join(tmpdir(), 'kb-conformance-sqlite-'));
let n = 0;

defineConformanceSuite({
  name: 'sqlite',
  open: (plugins) =>
    createStorage({ database: { type: 'sqlite', path: join(dir, `kb-${++n}.db`) } }, { plugins }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});
