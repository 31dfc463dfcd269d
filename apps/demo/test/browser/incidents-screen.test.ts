import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS } from '../support/demo-fixture.js';
import { serviceNowCsv, serviceNowRecords } from '../support/seed-incidents.js';
import { type BrowserRig, browserAvailable, openRig, pageErrors, rowsOf } from './browser-support.js';

async function importFile(page: Page, file: string, options: { dryRun?: boolean } = {}): Promise<void> {
  const form = page.getByRole('region', { name: 'Import incidents' });
  await form.getByLabel('Export file').setInputFiles(file);
  await form.getByLabel('Source', { exact: true }).selectOption('servicenow');
  await form.getByLabel('Dry run').setChecked(options.dryRun ?? false);
  await form.getByRole('button', { name: 'Import' }).click();
}

const shots = process.env.KB_SCREENSHOT_DIR;

describe.skipIf(!browserAvailable)('web app in chromium: the incidents screen', () => {
  let rig: BrowserRig;
  let jsonFile: string;

  beforeAll(async () => {
    rig = await openRig();
    jsonFile = join(rig.dir, 'servicenow-incidents.json');
    writeFileSync(jsonFile, JSON.stringify({ result: serviceNowRecords() }));
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('refuses a malformed export record by record, showing line and field, and writes nothing', async () => {
    const page = await rig.page('editor', '#/incidents');
    await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
    const rows = serviceNowRecords().slice(0, 4);
    rows[1] = { ...rows[1]!, opened_at: '2025-02-30 10:00:00' };
    rows[2] = { ...rows[2]!, opened_at: '' };
    const bad = join(rig.dir, 'servicenow-bad.csv');
    writeFileSync(bad, serviceNowCsv(rows));
    const before = await rig.server.storage.contentHash();

    await importFile(page, bad);
    const region = page.getByRole('region', { name: 'Import incidents' });
    await region.getByRole('alert').waitFor();
    expect(await region.getByRole('alert').textContent()).toContain(
      '2 of the 4 records of the servicenow file cannot be imported; nothing was written',
    );
    expect(await rowsOf(region.getByRole('table', { name: 'Records that cannot be imported' }))).toEqual([
      ['2', 'line 3', 'opened_at', "'2025-02-30 10:00:00' is not a date (expected YYYY-MM-DD HH:MM:SS)"],
      ['3', 'line 4', 'opened_at', 'is required'],
    ]);
    expect(await rowsOf(region.getByRole('table', { name: 'Import counts' }))).toEqual([
      ['4', '0', '0', '0', '0', '2'],
    ]);
    expect(await region.getByRole('progressbar').getAttribute('value')).toBe('1');
    if (shots) await page.screenshot({ path: join(shots, 'incidents-refused.png') });
    expect(await rig.server.storage.contentHash()).toEqual(before);
    expect(await page.getByRole('region', { name: 'Incident list' }).textContent()).toContain(
      'No incident matches.',
    );

    // The same four rows, valid, as a dry run: counted, still nothing written.
    const good = join(rig.dir, 'servicenow-good.csv');
    writeFileSync(good, serviceNowCsv(serviceNowRecords().slice(0, 4)));
    await importFile(page, good, { dryRun: true });
    await region.getByText('Dry run of servicenow-good.csv: nothing was written.').waitFor();
    expect(await rowsOf(region.getByRole('table', { name: 'Import counts' }))).toEqual([
      ['4', '4', '0', '0', '0', '0'],
    ]);
    expect(await rig.server.storage.contentHash()).toEqual(before);
    expect(pageErrors(page)).toEqual([]);
  });

  it('imports a ServiceNow export: the counts, the incidents listed and filtered, the timeline numbers', async () => {
    const page = await rig.page('editor', '#/incidents');
    await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
    await importFile(page, jsonFile);
    const region = page.getByRole('region', { name: 'Import incidents' });
    await region.getByText('Imported servicenow-incidents.json.').waitFor();
    expect(await rowsOf(region.getByRole('table', { name: 'Import counts' }))).toEqual([
      ['26', '26', '0', '0', '0', '0'],
    ]);

    const list = page.getByRole('region', { name: 'Incident list' });
    const incidents = list.getByRole('table', { name: 'Incidents 1–26, oldest first' });
    const rows = await rowsOf(incidents);
    expect(rows).toHaveLength(26);
    expect(rows[0]!.slice(0, 6)).toEqual([
      'INC0020001',
      await page.evaluate(() => new Date('2025-03-01T00:00:00Z').toLocaleString()),
      'MQ Queue Manager Not Starting',
      'MQ',
      'critical',
      'open',
    ]);
    expect(rows.map((r) => r[0])).toEqual(serviceNowRecords().map((r) => r.number));

    // Filters: severity, then text.
    await list.getByLabel('Severity').selectOption('critical');
    await list.getByRole('button', { name: 'Filter' }).click();
    const critical = list.getByRole('table', { name: 'Incidents 1–4, oldest first' });
    expect((await rowsOf(critical)).map((r) => r[2])).toEqual([
      'MQ Queue Manager Not Starting',
      'RACF Password Sync Issues',
      'DATACOM Database Corruption',
      'Complex Integration Issue',
    ]);
    await list.getByLabel('Severity').selectOption('');
    await list.getByLabel('Text').fill('tape mount');
    await list.getByRole('button', { name: 'Filter' }).click();
    await list.getByRole('table', { name: 'Incidents 1–1, oldest first' }).waitFor();
    expect((await rowsOf(list.getByRole('table'))).map((r) => r[2])).toEqual(['HSM Migration Issues']);

    // The timeline's numbers (the chart's table, folded under it) are the API's, day by day with the empty day.
    const api = (await (
      await rig.http('viewer', 'GET', '/api/incidents/timeline?interval=day&by=severity')
    ).json()) as { buckets: string[]; totals: number[] };
    const timeline = page.getByRole('region', { name: 'Timeline' });
    const perDay = await rowsOf(
      timeline.getByRole('table', { name: 'Incidents per day', includeHidden: true }),
    );
    expect(perDay).toEqual(api.buckets.map((b, i) => [b, String(api.totals[i])]));
    expect(perDay.map((r) => r[1])).toEqual(['5', '5', '5', '5', '3', '0', '3']);
    const bySeverity = Object.fromEntries(
      (await rowsOf(timeline.getByRole('table', { name: 'Incidents by severity' }))).map((r) => [r[0], r[1]]),
    );
    expect(bySeverity.critical).toBe('4');
    // One error code alone, per hour.
    await timeline.getByLabel('Count per').selectOption('hour');
    await timeline.getByLabel('Break down by').selectOption('errorCode');
    await timeline.getByRole('button', { name: 'Show timeline' }).click();
    await timeline.getByLabel('Show').selectOption('NAT3050');
    await timeline.getByRole('button', { name: 'Show timeline' }).click();
    const hours = await rowsOf(
      timeline.getByRole('table', {
        name: 'Incidents per hour (error code NAT3050)',
        includeHidden: true,
      }),
    );
    expect(hours.filter((r) => r[1] !== '0')).toEqual([
      ['2025-03-03T12', '1'],
      ['2025-03-07T02', '1'],
      ['2025-03-07T03', '1'],
      ['2025-03-07T04', '1'],
    ]);
    if (shots) await page.screenshot({ path: join(shots, 'incidents.png'), fullPage: true });
    expect(pageErrors(page)).toEqual([]);
  });

  it('detects patterns, shows a pattern with its incidents, and links it to a KB entry', async () => {
    const page = await rig.page('editor', '#/incidents');
    const patterns = page.getByRole('region', { name: 'Patterns' });
    await patterns.getByRole('button', { name: 'Detect patterns' }).click();
    await patterns.getByText(/^Detection over 26 incidents found \d+ patterns/).waitFor();
    const nat = patterns.getByRole('link', { name: 'NAT3050 recurred in 4 incidents on NATURAL' });
    await nat.click();
    await page
      .getByRole('heading', { level: 1, name: 'NAT3050 recurred in 4 incidents on NATURAL' })
      .waitFor();
    expect(await page.evaluate(() => location.hash)).toMatch(/^#\/incidents\/pattern\//);
    const members = await rowsOf(page.getByRole('table', { name: 'Incidents of this pattern' }));
    expect(members.map((r) => r[0])).toEqual(['INC0020013', 'INC0030001', 'INC0030002', 'INC0030003']);
    expect(members[0]![2]).toBe('NATURAL Program Abend');
    const kb = page.getByRole('region', { name: 'KB entries' });
    expect(await kb.textContent()).toContain('No KB entry is linked to this pattern.');

    await kb.getByLabel('Find a KB entry').fill('S0C7');
    await kb.getByRole('button', { name: 'Find entries' }).click();
    const pick = kb.getByLabel('KB entry', { exact: true });
    await expect.poll(() => pick.locator('option').first().textContent()).toMatch(/S0C7/);
    const entryId = await pick.inputValue();
    await kb.getByRole('button', { name: 'Link entry' }).click();
    const links = page.getByRole('table', { name: 'KB entries linked to this pattern' });
    await links.waitFor();
    const link = links.getByRole('link').first();
    await expect.poll(() => link.textContent()).toMatch(/^S0C7/);
    expect(await link.getAttribute('href')).toBe(`#/entry/${entryId}`);
    const id = decodeURIComponent((await page.evaluate(() => location.hash)).split('/').pop()!);
    const stored = (await (await rig.http('viewer', 'GET', `/api/patterns/${id}`)).json()) as {
      kbLinks: { kbEntryId: string }[];
    };
    expect(stored.kbLinks.map((l) => l.kbEntryId)).toEqual([entryId]);
    if (shots) await page.screenshot({ path: join(shots, 'pattern.png'), fullPage: true });

    await link.click();
    await page.getByRole('heading', { level: 1, name: /^S0C7/ }).waitFor();
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows a viewer the incidents and patterns without any upload or write control', async () => {
    // Seeded over HTTP, so that this test stands alone: the import is idempotent, detection replaces.
    const seeded = await fetch(`${rig.server.url}/api/incidents/import?source=servicenow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.editor}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(jsonFile),
    });
    expect(seeded.status).toBe(200);
    expect((await rig.http('editor', 'POST', '/api/patterns/detect')).status).toBe(200);

    const page = await rig.page('viewer', '#/incidents');
    const patterns = page.getByRole('region', { name: 'Patterns' });
    const nat = patterns.getByRole('link', { name: 'NAT3050 recurred in 4 incidents on NATURAL' });
    await nat.waitFor();
    await page.getByRole('table', { name: 'Incidents 1–26, oldest first' }).waitFor();
    expect(await page.getByRole('region', { name: 'Import incidents' }).count()).toBe(0);
    expect(await page.locator('input[type=file]').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Import' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Detect patterns' }).count()).toBe(0);

    await nat.click();
    await page.getByRole('table', { name: 'Incidents of this pattern' }).waitFor();
    for (const name of ['Acknowledge', 'Resolve', 'Dismiss', 'Link entry', 'Unlink', 'Find entries']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    expect(pageErrors(page)).toEqual([]);
  });
});
