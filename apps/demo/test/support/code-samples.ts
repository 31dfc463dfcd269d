import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';

// The shared mainframe samples (KB_MAINFRAME_SAMPLES_DIR, or ../shared/data/mainframe-samples beside the
// repo; see SOURCES.md there): Open Mainframe Project COBOL / JCL / EBCDIC data and Cobrix's copybooks with
// the layouts and records Cobrix produced from them. The API tests and the browser tests read the same ones.

export const samplePath = (relPath: string): string => join(mainframeSamplesDir(), relPath);
export const sampleText = (relPath: string): string => readFileSync(samplePath(relPath), 'utf8');

export const CBL0001 = 'omp-cobol-course/cbl/CBL0001.cobol';
export const CBLDB21 = 'omp-cobol-course/cbl/CBLDB21.cbl';
export const CBL0001J = 'omp-cobol-course/jcl/CBL0001J.jcl';
export const ACCTREC_DATA = 'omp-cobol-course/data/ACCTREC.data.ebcdic';
export const TEST19 = 'cobrix/data/test19_display_num.cob';

/** The FD record of CBL0001 (its `01 ACCT-FIELDS` to the WORKING-STORAGE SECTION), as a copybook of its own. */
export function acctrecCopybook(): string {
  const lines = sampleText(CBL0001).split('\n');
  const start = lines.findIndex((l) => /01\s+ACCT-FIELDS\./.test(l));
  const end = lines.findIndex((l) => /WORKING-STORAGE SECTION/.test(l));
  return lines.slice(start, end).join('\n');
}

/** Cobrix's `*_layout.txt`: [name, start, end, length] of every field (the 01 included). */
export function cobrixLayout(relPath: string): [string, number, number, number][] {
  return sampleText(relPath)
    .split('\n')
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const cols = l.trim().split(/\s+/);
      const [start, end, length] = cols.slice(-3).map(Number) as [number, number, number];
      // `  5 WS_DATE_NUM   1   1   8   8` (level, name, field number, …) or `WS_INPUT_RECORD   1  80  80`.
      return [cols.find((c) => !/^\d+$/.test(c))!, start, end, length];
    });
}
