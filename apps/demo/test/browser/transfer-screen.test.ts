import { readFileSync } from 'node:fs';
import { EXPORT_FORMAT_ID, EXPORT_VERSION } from '@mainframe-kb/io-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, browserAvailable, openRig, pageErrors } from './browser-support.js';

// The export / import screen over a real server with the sample KB: a JSON export downloaded by chromium is
// the versioned envelope of the store's entries; its dry-run import reports counts and writes nothing; a
// malformed NDJSON file is refused with its rejected record on the page, and nothing is written.

const entryLine = (title: string) =>
  JSON.stringify({
    title,
    problem: `The job fails with ${title}.`,
    solution: 'Check the DD statements and rerun the step.',
    category: 'JCL',
    severity: 'medium',
  });

describe.skipIf(!browserAvailable)('web app in chromium: the export / import screen', () => {
  let rig: BrowserRig;
  let exported: Buffer | undefined;

  beforeAll(async () => {
    rig = await openRig();
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('downloads the store as the JSON envelope holding its entries', async () => {
    const page = await rig.page('admin', '#/transfer');
    await page.getByRole('heading', { level: 1, name: 'Export / import' }).waitFor();
    const form = page.locator('section', { has: page.getByRole('heading', { name: 'Export', exact: true }) });
    await form.getByLabel('Format').selectOption('json');
    await form.getByLabel('KB entries (tags, relations, feedback, usage)').check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^kb-export-\d{8}t\d{6}z\.json$/);
    exported = readFileSync(await download.path());
    const envelope = JSON.parse(exported.toString('utf8'));
    expect(envelope).toMatchObject({ format: EXPORT_FORMAT_ID, version: EXPORT_VERSION });
    expect(Object.keys(envelope.data)).toEqual(['kb']);
    const { entries } = await rig.server.storage.listEntries({ limit: 1000, includeArchived: true });
    expect(entries.length).toBeGreaterThan(0);
    const ids = (envelope.data.kb.kb_entries as { id: string }[]).map((e) => e.id).sort();
    expect(ids).toEqual(entries.map((e) => e.id).sort());
    await page.getByText('Downloaded the json export of kb.').waitFor();
    expect(pageErrors(page)).toEqual([]);
  });

  it('imports that file as a dry run: the counts show and nothing is written', async () => {
    expect(exported, 'the export test ran first').toBeDefined();
    const entries = await rig.server.storage.countEntries({ includeArchived: true });
    const before = await rig.server.storage.contentHash();
    const page = await rig.page('admin', '#/transfer');
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'kb-export.json',
      mimeType: 'application/json',
      buffer: exported as Buffer,
    });
    expect(await page.getByLabel('Dry run: check and report, write nothing').isChecked()).toBe(true);
    await page.getByLabel('A record whose key exists').selectOption('skip');
    await page.getByRole('button', { name: 'Upload and import' }).click();
    const summary = page.getByTestId('import-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(
      /^Dry run: nothing was written\. The import would insert 0, update 0, skip \d+ and reject 0 records\.$/,
    );
    const counts = page.getByRole('table', { name: 'Records per table (what the import would do)' });
    const kbRow = counts.locator('tbody tr', {
      has: page.getByRole('cell', { name: 'kb_entries', exact: true }),
    });
    expect(await kbRow.locator('td').allTextContents()).toEqual([
      'kb_entries',
      '0',
      '0',
      String(entries),
      '0',
    ]);
    expect(await page.locator('progress').evaluate((p) => (p as HTMLProgressElement).value)).toBe(1);
    expect(await page.getByRole('table', { name: /^Rejected records/ }).count()).toBe(0);
    expect(await rig.server.storage.contentHash()).toEqual(before);
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows the rejected record of a malformed NDJSON file (record 3, field title), and writes nothing', async () => {
    const before = await rig.server.storage.contentHash();
    const count = await rig.server.storage.countEntries({ includeArchived: true });
    const noTitle = JSON.stringify({ problem: 'no title here', solution: 'none', category: 'JCL' });
    const file = [
      entryLine('IEF212I data set not found'),
      entryLine('S806 module not found'),
      noTitle,
      entryLine('S322 time out'),
    ].join('\n');
    const page = await rig.page('admin', '#/transfer');
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'entries.ndjson',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(`${file}\n`),
    });
    await page.getByLabel('Dry run: check and report, write nothing').uncheck();
    await page.getByRole('button', { name: 'Upload and import' }).click();
    const summary = page.getByTestId('import-summary');
    await summary.waitFor();
    expect(await summary.getAttribute('role')).toBe('alert');
    expect(await summary.textContent()).toContain('Refused: nothing was written.');
    const rejected = page.getByRole('table', { name: 'Rejected records' });
    expect(await rejected.locator('thead th').allTextContents()).toEqual([
      'record',
      'line',
      'field',
      'message',
      'table',
    ]);
    expect(await rejected.locator('tbody tr').count()).toBe(1);
    expect(await rejected.locator('tbody tr td').allTextContents()).toEqual([
      '3',
      '3',
      'title',
      'is required',
      'kb_entries',
    ]);
    expect(await rig.server.storage.contentHash()).toEqual(before);
    expect(await rig.server.storage.countEntries({ includeArchived: true })).toBe(count);
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows a file that cannot be read at all as a problem naming its line, and writes nothing', async () => {
    const before = await rig.server.storage.contentHash();
    const page = await rig.page('admin', '#/transfer');
    const progress = page.getByLabel('Upload progress');
    expect(await progress.isVisible()).toBe(false);
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'cut.ndjson',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(`${entryLine('first entry')}\n${entryLine('second entry')}\n{"title": "cut\n`),
    });
    await page.getByLabel('File format').selectOption('ndjson');
    await page.getByLabel('Dry run: check and report, write nothing').uncheck();
    await page.getByRole('button', { name: 'Upload and import' }).click();
    const problem = page.locator('.problem[role="alert"]');
    await problem.waitFor();
    expect(await progress.isVisible()).toBe(true);
    expect(await problem.textContent()).toMatch(/\(VALIDATION\).*ndjson: .*\(line 3\)/);
    expect(await page.getByTestId('import-summary').count()).toBe(0);
    expect(await rig.server.storage.contentHash()).toEqual(before);
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows a viewer no export or import control, and says why', async () => {
    const page = await rig.page('viewer', '#/transfer');
    await page.getByRole('heading', { level: 1, name: 'Export / import' }).waitFor();
    await page
      .getByText('Exporting and importing the store need the admin role; you are signed in as viewer.')
      .waitFor();
    expect(await page.getByRole('button', { name: 'Download' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Upload and import' }).count()).toBe(0);
    expect(await page.locator('input[type="file"]').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
  });
});
