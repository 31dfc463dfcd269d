import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableTestStores } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { codePlugin } from '../src/index.js';
import { samplesDir } from './support/samples.js';

// Search by name and prefix, a program's structure, a copybook stored and read back, and a link that follows
// its lines when the file is stored again, on every dialect this run reaches (SQLite always; PostgreSQL and
// MySQL when KB_TEST_PG_URL / KB_TEST_MYSQL_URL are set).

const sample = (path: string) => readFileSync(join(samplesDir, path), 'utf8');

for (const target of availableTestStores()) {
  describe.skipIf(!target.stores)(
    `plugin-code on ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`,
    () => {
      afterAll(() => target.stores?.cleanup());

      it('stores, searches and links code the same way', async () => {
        const store = await target.stores!.open({}, { plugins: [codePlugin] });
        try {
          const api = store.plugin(codePlugin);
          const program = sample('omp-cobol-course/cbl/CBL0001.cobol');
          const id = await store.storeCodeAnalysis({ path: 'cbl/CBL0001.cobol', content: program });
          await store.storeCodeAnalysis({
            path: 'copy/TEST6.cpy',
            content: sample('cobrix/data/test6_copybook.cob'),
          });
          expect((await api.searchCode('CBL0001'))[0]).toMatchObject({
            kind: 'program',
            path: 'cbl/CBL0001.cobol',
          });
          expect((await api.searchCode('WRITE-REC')).map((h) => h.name)).toContain('WRITE-RECORD');
          // LIKE's wildcards in a name are text: `%` matches nothing here, `_` only an underscore.
          expect(await api.searchCode('%')).toEqual([]);
          expect(await api.searchCode('WRITE_RECORD')).toEqual([]);
          const copybook = await api.copybook('TEST6');
          expect(copybook.recordLength).toBe(1493);

          const entry = await store.createEntry({
            title: 'CBL0001 writes a short line',
            problem: 'PRINT-REC is cut.',
            solution: 'Widen it.',
            category: 'Batch',
          });
          const lines = program.split('\n');
          const at = lines.findIndex((l) => l.includes('WRITE-RECORD.')) + 1;
          expect(at).toBeGreaterThan(0);
          // Links of lines read the file from its repository; a stored source has none, so link the whole file,
          // then store it again with lines inserted above: the whole-file link stays, active.
          await store.linkCodeToKB(id, entry, 'fixes');
          await store.storeCodeAnalysis({
            path: 'cbl/CBL0001.cobol',
            content: `      * a new comment\n${program}`,
          });
          const [link] = await api.links({ kbEntryId: entry });
          expect(link).toMatchObject({ status: 'active', codeFileId: id, linkType: 'fixes' });
          const [file] = await store.getCodeAnalysis({ id });
          expect(file?.lines).toBe(lines.length + (program.endsWith('\n') ? 0 : 1));
        } finally {
          await store.close();
        }
      });
    },
  );
}
