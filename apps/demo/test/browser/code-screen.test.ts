import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainframeSamplesDir } from '@mainframe-kb/testkit';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCTREC_DATA,
  acctrecCopybook,
  CBL0001,
  CBL0001J,
  cobrixLayout,
  TEST19,
} from '../support/code-samples.js';
import { TOKENS } from '../support/demo-fixture.js';
import {
  type BrowserRig,
  browserAvailable,
  openRig,
  pageErrors,
  recordsOf,
  rowsOf,
} from './browser-support.js';

// The shared mainframe samples (KB_MAINFRAME_SAMPLES_DIR, or ../shared/data/mainframe-samples beside the
// repo): the Open Mainframe Project course's COBOL, JCL and EBCDIC data, and Cobrix's copybooks with the
// layouts Cobrix produced from them (as test/code-api.test.ts uses them).
const sample = (relPath: string) => join(mainframeSamplesDir(), relPath);
const text = (relPath: string) => readFileSync(sample(relPath), 'utf8');

type Upload = string | { name: string; mimeType: string; buffer: Buffer };

/** Uploads a source through the screen's form and waits for its answer. */
async function uploadSource(page: Page, file: Upload, path: string): Promise<void> {
  const form = page.getByRole('region', { name: 'Upload source' });
  await form.getByLabel('Source file').setInputFiles(file);
  await form.getByLabel('Path').fill(path);
  await form.getByRole('button', { name: 'Upload and analyse' }).click();
  await form
    .getByRole('status')
    .filter({ hasText: `Stored ${path} in imported` })
    .waitFor();
}

const shots = process.env.KB_SCREENSHOT_DIR;

describe.skipIf(!browserAvailable)('web app in chromium: the code screen', () => {
  let rig: BrowserRig;

  beforeAll(async () => {
    rig = await openRig();
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('uploads a COBOL program and shows its structure: divisions, paragraphs, files', async () => {
    const page = await rig.page('editor', '#/code');
    await page.getByRole('heading', { level: 1, name: 'Code' }).waitFor();
    await uploadSource(page, sample(CBL0001), 'cbl/CBL0001.cobol');
    const upload = page.getByRole('region', { name: 'Upload source' });
    expect(await upload.getByRole('progressbar').getAttribute('value')).toBe('1');
    const files = page.getByRole('table', { name: 'Analysed files' });
    await files.getByRole('link', { name: 'cbl/CBL0001.cobol' }).waitFor();
    expect((await recordsOf(files))[0]).toMatchObject({ language: 'cobol', name: 'CBL0001', issues: '0' });

    await upload.getByRole('link', { name: 'Show the structure of CBL0001' }).click();
    await page.getByRole('heading', { level: 1, name: 'CBL0001' }).waitFor();
    expect((await rowsOf(page.getByRole('table', { name: 'Divisions' }))).map((r) => r[0])).toEqual([
      'IDENTIFICATION',
      'ENVIRONMENT',
      'DATA',
      'PROCEDURE',
    ]);
    const paragraphs = await rowsOf(
      page.getByRole('table', { name: 'Paragraphs of the PROCEDURE DIVISION' }),
    );
    expect(paragraphs.map((r) => r[0])).toEqual([
      'OPEN-FILES',
      'READ-NEXT-RECORD',
      'CLOSE-STOP',
      'READ-RECORD',
      'WRITE-RECORD',
    ]);
    expect(await rowsOf(page.getByRole('table', { name: 'Files the program reads or writes' }))).toEqual([
      ['PRINT-LINE', 'PRTLINE', '—', '—', '14'],
      ['ACCT-REC', 'ACCTREC', '—', '—', '15'],
    ]);
    expect(await rowsOf(page.getByRole('table', { name: 'Records of the files' }))).toContainEqual([
      'ACCT-FIELDS',
      'ACCT-REC',
      '42',
    ]);
    if (shots) await page.screenshot({ path: join(shots, 'code-program.png'), fullPage: true });

    // The JCL that runs it: its steps.
    await page.getByRole('link', { name: '← All code files' }).click();
    await uploadSource(page, sample(CBL0001J), 'jcl/CBL0001J.jcl');
    await page.getByRole('link', { name: 'Show the structure of CBL0001J' }).click();
    const steps = await recordsOf(page.getByRole('table', { name: 'Job steps' }));
    expect(steps.map((s) => [s.step, s.program, s.procedure])).toEqual([
      ['COBRUN', '—', 'IGYWCL'],
      ['RUN', 'CBL0001', '—'],
    ]);
    expect(pageErrors(page)).toEqual([]);
  });

  it("shows a copybook's record layout with the offsets Cobrix computed", async () => {
    const page = await rig.page('editor', '#/code');
    await uploadSource(page, sample(TEST19), 'copybooks/TEST19.cpy');
    await page.getByRole('link', { name: 'Show the structure of TEST19' }).click();
    const layout = page.getByRole('table', { name: 'Record layout of WS-INPUT-RECORD: 80 bytes' });
    const fields = await recordsOf(layout);
    expect(
      fields.map((f) => [
        f.name === 'FILLER' ? 'FILLER' : f.name!.replaceAll('-', '_'),
        +f.start!,
        +f.end!,
        +f.length!,
      ]),
    ).toEqual(cobrixLayout('cobrix/data/test19_display_num_expected/test19_layout.txt'));
    expect(fields.find((f) => f.name === 'WS-AMOUNT-FRACTION')).toMatchObject({
      level: '05',
      offset: '40',
      length: '10',
      type: 'numeric-display',
      picture: '9(8)V9(2)',
    });
    if (shots) await page.screenshot({ path: join(shots, 'code-copybook.png'), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
  });

  it('decodes the EBCDIC ACCTREC data with its copybook, page by page, and reports a cut record', async () => {
    const page = await rig.page('editor', '#/code');
    await uploadSource(
      page,
      { name: 'ACCTREC.cpy', mimeType: 'text/plain', buffer: Buffer.from(acctrecCopybook()) },
      'copybooks/ACCTREC.cpy',
    );
    const decode = page.getByRole('region', { name: 'Decode a data file' });
    await decode.getByLabel('Data file').setInputFiles(sample(ACCTREC_DATA));
    await decode.getByLabel('Copybook').selectOption('ACCTREC');
    await decode.getByRole('button', { name: 'Decode' }).click();
    const all = decode.getByRole('table', { name: 'Decoded records 1–45' });
    const records = await recordsOf(all);
    expect(records).toHaveLength(45);
    expect(records[0]).toMatchObject({
      record: '1',
      ACCT_NO: '17891797',
      ACCT_LIMIT: '10000',
      ACCT_BALANCE: '188.74',
      LAST_NAME: 'WASHINGTON',
      FIRST_NAME: 'George',
      'CLIENT_ADDR.STREET_ADDR': '1 General Dr.',
    });
    expect(records[44]).toMatchObject({ ACCT_NO: '20172021', LAST_NAME: 'TRUMP', FIRST_NAME: 'Donald J.' });
    expect(await decode.getByRole('status').textContent()).toContain(
      'ACCTREC.data.ebcdic: 7650 bytes of 170-byte F records, cp037, read with ACCTREC. 45 records decoded.',
    );
    if (shots) await page.screenshot({ path: join(shots, 'code-decode.png'), fullPage: true });

    // Three at a time: the next page starts at record 4.
    await decode.getByLabel('Records per page').fill('3');
    await decode.getByRole('button', { name: 'Decode' }).click();
    await decode.getByRole('table', { name: 'Decoded records 1–3' }).waitFor();
    await decode.getByRole('button', { name: 'Next records' }).click();
    const second = await recordsOf(decode.getByRole('table', { name: 'Decoded records 4–6' }));
    expect(second.map((r) => r.record)).toEqual(['4', '5', '6']);

    // The last record cut short: the 44 whole ones decode, the cut one is reported.
    const cut = join(rig.dir, 'ACCTREC-cut.ebcdic');
    const data = readFileSync(sample(ACCTREC_DATA));
    writeFileSync(cut, data.subarray(0, data.length - 100));
    await decode.getByLabel('Records per page').fill('100');
    await decode.getByLabel('Data file').setInputFiles(cut);
    await decode.getByRole('button', { name: 'Decode' }).click();
    await decode.getByRole('table', { name: 'Decoded records 1–44' }).waitFor();
    expect(await rowsOf(decode.getByRole('table', { name: 'Records that could not be decoded' }))).toEqual([
      [
        '45',
        '7480',
        'RECORD_LENGTH',
        'ACCTREC: record 44 (byte 7480): 70 trailing bytes do not make a record of 170 bytes',
      ],
    ]);

    // No whole record at all: the problem names the record, where the decode happened.
    writeFileSync(cut, data.subarray(0, 100));
    await decode.getByLabel('Data file').setInputFiles(cut);
    await decode.getByRole('button', { name: 'Decode' }).click();
    const alert = decode.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(
      'record 0 ACCTREC: record 0 (byte 0): 100 trailing bytes do not make a record of 170 bytes',
    );
    expect(pageErrors(page)).toEqual([]);
  });

  it('refuses a data file uploaded as source where it happens, storing nothing', async () => {
    const page = await rig.page('editor', '#/code');
    const before = await rig.server.storage.contentHash();
    const form = page.getByRole('region', { name: 'Upload source' });
    await form.getByLabel('Source file').setInputFiles(sample(ACCTREC_DATA));
    await form.getByLabel('Path').fill('data/ACCTREC.cbl');
    await form.getByRole('button', { name: 'Upload and analyse' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/the upload is binary \(a NUL byte at \d+\), not source text/);
    expect(await rig.server.storage.contentHash()).toEqual(before);
    expect(await page.getByRole('link', { name: 'data/ACCTREC.cbl' }).count()).toBe(0);
  });

  it('shows a viewer the files and their structure without any upload or write control', async () => {
    const stored = await fetch(`${rig.server.url}/api/code/files?path=cbl/CBL0001.cobol`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.editor}`, 'content-type': 'application/octet-stream' },
      body: text(CBL0001),
    });
    expect(stored.status).toBeLessThan(300);
    const { id } = (await stored.json()) as { id: string };
    const entryId = await rig.server.storage.createEntry({
      title: 'CBL0001 abends S0C7 reading ACCTREC',
      problem: 'Program CBL0001 abends S0C7 when ACCT-LIMIT holds spaces in the ACCTREC data set.',
      solution: 'Correct the extract that writes ACCTREC, then rerun job CBL0001J.',
      category: 'COBOL',
    });
    expect(
      (await rig.http('editor', 'POST', '/api/code/links', { codeFileId: id, kbEntryId: entryId })).status,
    ).toBe(201);

    const page = await rig.page('viewer', '#/code');
    await page.getByRole('link', { name: 'cbl/CBL0001.cobol' }).waitFor();
    expect(await page.getByRole('region', { name: 'Upload source' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Upload and analyse' }).count()).toBe(0);
    expect(await page.getByLabel('Source file').count()).toBe(0);
    // Decoding writes nothing: a viewer may.
    await page.getByRole('button', { name: 'Decode' }).waitFor();

    await page.getByRole('link', { name: 'cbl/CBL0001.cobol' }).click();
    const links = page.getByRole('table', { name: 'KB entries linked to this file' });
    const entry = links.getByRole('link', { name: 'CBL0001 abends S0C7 reading ACCTREC' });
    await entry.waitFor();
    expect(await entry.getAttribute('href')).toBe(`#/entry/${entryId}`);
    for (const name of ['Unlink', 'Link entry', 'Link', 'Find entries']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await entry.click();
    await page.getByRole('heading', { level: 1, name: 'CBL0001 abends S0C7 reading ACCTREC' }).waitFor();
    expect(pageErrors(page)).toEqual([]);
  });
});
