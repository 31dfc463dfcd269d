import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Storage } from '@mainframe-kb/storage-core';
import { samplesDir } from './samples.js';

const sample = (path: string) => readFileSync(join(samplesDir, path), 'utf8');

/**
 * Rows in every content table of the plugin: a program with an external analysis, a JCL job, a copybook, and
 * a KB entry linked to the program. The symbol index is derived; loads rebuild it from the files.
 */
export async function seedCode(storage: Storage): Promise<void> {
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
}
