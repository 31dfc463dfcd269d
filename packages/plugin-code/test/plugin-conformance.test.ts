import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@mainframe-kb/storage-core';
import { definePluginConformance } from '@mainframe-kb/testkit';
import { afterAll } from 'vitest';
import { codePlugin } from '../src/index.js';
import { samplesDir } from './support/samples.js';

// The contract every plugin keeps, on SQLite and (when their URLs are set) PostgreSQL and MySQL: migrations
// down and up, declared tables present, flat methods on the store, every content table (repositories, files,
// analysis results, KB references) carried through core's table stream — the symbol index rebuilt from the
// files after the load — a namespace left dormant without the plugin, and nothing a viewer can write
// through. Exports, backups and copies of these tables run in the cli package, which depends on them all.

const sample = (path: string) => readFileSync(join(samplesDir, path), 'utf8');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function seed(storage: Storage): Promise<void> {
  const entry = await storage.createEntry({
    title: 'S0C7 in CBL0001 reading ACCTREC',
    problem: 'CBL0001 abends S0C7 when ACCT-LIMIT holds spaces.',
    solution: 'Initialise the packed fields before the MOVE.',
    category: 'Batch',
  });
  const id = await storage.storeCodeAnalysis({
    path: 'cbl/CBL0001.cobol',
    content: sample('omp-cobol-course/cbl/CBL0001.cobol'),
    analysis: { type: 'review', analyzer: 'conformance', result: { findings: 1 } },
  });
  await storage.storeCodeAnalysis({
    path: 'jcl/CBL0001J.jcl',
    content: sample('omp-cobol-course/jcl/CBL0001J.jcl'),
  });
  await storage.storeCodeAnalysis({
    path: 'copy/TEST6.cpy',
    content: sample('cobrix/data/test6_copybook.cob'),
  });
  await storage.linkCodeToKB(id, entry, 'related');
  dirs.push(mkdtempSync(join(tmpdir(), 'kb-code-conf-')));
}

definePluginConformance({ plugin: codePlugin, seed });
