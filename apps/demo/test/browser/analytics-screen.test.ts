import { type IncidentInput, patternsPlugin } from '@mainframe-kb/plugin-patterns';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, browserAvailable, openRig, pageErrors } from './browser-support.js';

// The analytics screen over a real server with the sample KB: incidents written with plugin-patterns at known
// times (as the analytics API tests write them), so every number the page shows is checked against them.

const HOUR = 3_600_000;
const DAY = 86_400_000;
const S0C7 = 'sample-s0c7-data-exception-invalid-numeric-data';
const S0C7_TITLE = 'S0C7 - Data Exception (Invalid Numeric Data)';

function incident(ticket: string, createdAt: string, more: Partial<IncidentInput> = {}): IncidentInput {
  return {
    ticketId: ticket,
    title: 'S0C7 data exception in job PAYJ100',
    description: 'Program PAYR010 abends S0C7 when adding a packed decimal field that holds spaces.',
    createdAt,
    ...more,
  };
}

/** Five November incidents: three on Monday 2 November (two PAYROLL, one BILLING), one each on the 3rd and 4th. */
const NOVEMBER: IncidentInput[] = [
  incident('NOV1', '2026-11-02T08:05:00Z', {
    component: 'PAYROLL',
    status: 'resolved',
    resolvedAt: '2026-11-02T10:05:00Z',
    kbEntryId: S0C7,
  }),
  incident('NOV2', '2026-11-02T08:40:00Z', { component: 'PAYROLL' }),
  incident('NOV3', '2026-11-02T08:59:59Z', { component: 'BILLING' }),
  incident('NOV4', '2026-11-03T09:00:00Z', {
    component: 'BILLING',
    status: 'resolved',
    resolvedAt: '2026-11-04T15:00:00Z',
  }),
  incident('NOV5', '2026-11-04T23:30:00Z'),
];

/** The cells of a table's body, row by row. */
const rows = (page: Page, name: string) =>
  page
    .getByRole('table', { name, exact: true })
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));

describe.skipIf(!browserAvailable)('web app in chromium: the analytics screen', () => {
  let rig: BrowserRig;
  const patterns = () => rig.server.storage.plugin(patternsPlugin);

  beforeAll(async () => {
    rig = await openRig();
    await patterns().createIncidents(NOVEMBER);
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('charts the incidents seeded per day, with numerator and denominator, broken down by component', async () => {
    const page = await rig.page('viewer', '#/analytics');
    await page.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor();
    const form = page.locator('form.series-form');
    expect(await form.getByLabel('incidents.opened').isChecked()).toBe(true);
    await form.getByLabel('incidents.mttr').check();
    await form.getByLabel('Interval').selectOption('day');
    await form.getByLabel('From', { exact: true }).fill('2026-11-02');
    await form.getByLabel('To', { exact: true }).fill('2026-11-04');
    await form.getByLabel('Breakdown').selectOption('component');
    await form.getByRole('button', { name: 'Show the series' }).click();
    await page.getByRole('heading', { name: 'incidents.opened by component' }).waitFor();

    await page.getByText('incidents.opened per day: the numbers').click();
    expect(await rows(page, 'incidents.opened per day')).toEqual([
      ['2026-11-02', '3', '3'],
      ['2026-11-03', '1', '1'],
      ['2026-11-04', '1', '1'],
    ]);
    // A mean: NOV1 took 2 hours (resolved on the 2nd), NOV4 30 hours (resolved on the 4th).
    await page.getByText('incidents.mttr per day: the numbers').click();
    expect(await rows(page, 'incidents.mttr per day')).toEqual([
      ['2026-11-02', '2', String(2 * 3600), '1'],
      ['2026-11-03', '—', '0', '0'],
      ['2026-11-04', '30', String(30 * 3600), '1'],
    ]);
    const headers = await page
      .getByRole('table', { name: 'incidents.mttr per day', exact: true })
      .locator('thead th')
      .allTextContents();
    expect(headers).toEqual(['day', 'value (hours)', 'numerator (ttrSeconds)', 'denominator (resolved)']);
    expect(await page.locator('[data-metric="incidents.opened"] .total').textContent()).toBe('Total: 5 (5)');
    expect(await rows(page, 'incidents.opened by component: totals')).toEqual([
      ['BILLING', '2', '2'],
      ['PAYROLL', '2', '2'],
      ['(none)', '1', '1'],
    ]);
    // The chart itself: a bar per day, its tooltip the count.
    const bars = page.locator('[data-metric="incidents.opened"] figure').first().locator('rect.bar title');
    expect(await bars.allTextContents()).toEqual(['2026-11-02: 3', '2026-11-03: 1', '2026-11-04: 1']);
    // The form is in the address: the same view can be bookmarked.
    const hash = await page.evaluate(() => location.hash);
    expect(new URLSearchParams(hash.split('?')[1])).toEqual(
      new URLSearchParams({
        metrics: 'incidents.opened,incidents.mttr',
        interval: 'day',
        from: '2026-11-02',
        to: '2026-11-04',
        by: 'component',
      }),
    );

    // Per hour on the 2nd: three in the 08:00 hour.
    await form.getByLabel('incidents.mttr').uncheck();
    await form.getByLabel('Interval').selectOption('hour');
    await form.getByLabel('To', { exact: true }).fill('2026-11-02');
    await form.getByLabel('Breakdown').selectOption('');
    await form.getByRole('button', { name: 'Show the series' }).click();
    await page.getByRole('heading', { name: 'incidents.mttr' }).waitFor({ state: 'detached' });
    await page.getByText('incidents.opened per hour: the numbers').click();
    const hourly = await rows(page, 'incidents.opened per hour');
    expect(hourly).toHaveLength(24);
    expect(hourly.filter((r) => r[2] !== '0')).toEqual([['2026-11-02T08', '3', '3']]);
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows a refused series request where it happened', async () => {
    const page = await rig.page(
      'viewer',
      '#/analytics?metrics=incidents.opened&from=2026-11-05&to=2026-11-01',
    );
    const problem = page.locator('.series-out .problem');
    await problem.waitFor();
    expect(await problem.locator('li code').allTextContents()).toEqual(['to']);
  });

  it('recommends the sample S0C7 entry for an incident text, linking to it', async () => {
    const page = await rig.page('viewer', '#/analytics');
    await page
      .getByLabel('Incident title')
      .fill('S0C7 data exception in PAYROLL: packed decimal field holds spaces');
    await page.getByLabel('Incident description').fill('The COMPUTE of a COMP-3 field abends with S0C7.');
    await page.getByRole('button', { name: 'Recommend entries' }).click();
    const table = page.getByRole('table', { name: 'KB entries recommended for this incident, best first' });
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(5);
    const first = table.locator('tbody tr').first().getByRole('link');
    expect(await first.textContent()).toBe(S0C7_TITLE);
    expect(await first.getAttribute('href')).toBe(`#/entry/${S0C7}`);
    await first.click();
    await page.getByRole('heading', { level: 1, name: S0C7_TITLE }).waitFor();

    // Without a title, the server's refusal shows in the form.
    await page.goBack();
    await page.getByRole('button', { name: 'Recommend entries' }).click();
    await page.locator('section[aria-labelledby="an-recommend"] .problem').waitFor();
    expect(pageErrors(page)).toEqual([]);
  });

  it('forecasts a component from its closed days, charting the history it fitted', async () => {
    // The last closed day ends at the last midnight at least an hour ago (the plugin's grace period).
    const to = Math.floor((Date.now() - HOUR) / DAY) * DAY;
    const at = (daysBack: number, hour: number) => new Date(to - daysBack * DAY + hour * HOUR).toISOString();
    await patterns().createIncidents([
      incident('GL1', at(1, 1), { component: 'GL' }),
      incident('GL2', at(1, 2), { component: 'GL' }),
      incident('GL3', at(1, 3), { component: 'GL' }),
      incident('GL4', at(2, 5), { component: 'GL' }),
      incident('PAY1', at(1, 4), { component: 'PAYROLL' }),
    ]);
    const page = await rig.page('viewer', '#/analytics');
    const section = page.locator('section[aria-labelledby="an-forecast"]');
    await section.getByLabel('Component').fill('GL');
    await section.getByLabel('Days ahead').fill('3');
    await section.getByLabel('History (days)').fill('14');
    await section.getByRole('button', { name: 'Forecast' }).click();
    const title = 'Forecast: incidents opened per day in GL';
    await section.getByText(`${title}: the numbers`).click();
    const days = await rows(page, title);
    expect(days.map((r) => r[0])).toEqual(
      [0, 1, 2].map((i) => new Date(to + i * DAY).toISOString().slice(0, 10)),
    );
    const historyTitle = 'Incidents opened per day in GL, the 14 days fitted';
    await section.getByText(`${historyTitle}: the numbers`).click();
    const history = await rows(page, historyTitle);
    expect(history).toHaveLength(14);
    expect(history.slice(-2)).toEqual([
      [new Date(to - 2 * DAY).toISOString().slice(0, 10), '1'],
      [new Date(to - DAY).toISOString().slice(0, 10), '3'],
    ]);
    expect(history.slice(0, -2).every((r) => r[1] === '0')).toBe(true);
    expect(pageErrors(page)).toEqual([]);
  });

  it('reports prediction accuracy, lists the auto-resolution log and verifies its chain', async () => {
    const stored = await rig.http('editor', 'POST', '/api/analytics/predictions', {
      type: 'abend-risk',
      targetEntity: 'job',
      targetId: 'PAYJ100',
      probability: 0.8,
      modelType: 'risk',
      modelVersion: '3',
    });
    const { id } = (await stored.json()) as { id: string };
    expect(
      (await rig.http('editor', 'POST', `/api/analytics/predictions/${id}/outcome`, { outcome: true }))
        .status,
    ).toBe(200);
    await rig.http('editor', 'POST', '/api/analytics/predictions', {
      type: 'abend-risk',
      targetEntity: 'job',
      targetId: 'PAYJ200',
      probability: 0.3,
      modelType: 'risk',
      modelVersion: '3',
    });
    const open = await patterns().createIncident(
      incident('AUTO1', '2026-12-01T02:00:00Z', { component: 'PAYROLL' }),
    );
    const decided = await rig.http('editor', 'POST', '/api/analytics/auto/decide', { incidentId: open.id });
    expect(decided.status).toBe(201);

    const page = await rig.page('viewer', '#/analytics');
    const accuracy = page.getByRole('table', { name: 'Accuracy per model version' });
    await accuracy.waitFor();
    const risk = (await rows(page, 'Accuracy per model version')).find((r) => r[0] === 'risk');
    // model, version, types, predictions, scored, pending, expired, mean score, …, Brier (0.8−1)² = 0.04
    expect(risk?.slice(0, 8)).toEqual(['risk', '3', 'abend-risk', '2', '1', '1', '0', '1']);
    expect(risk?.[10]).toBe('0.040');

    const log = await rows(page, 'Automatic-resolution log, newest first');
    expect(log).toHaveLength(1);
    expect(log[0]?.slice(2, 7)).toEqual(['decision', 'held', open.id, 'PAYROLL', S0C7]);
    const proposal = page
      .getByRole('table', { name: 'Automatic-resolution log, newest first' })
      .getByRole('link', { name: S0C7 });
    expect(await proposal.getAttribute('href')).toBe(`#/entry/${S0C7}`);

    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Chain intact: 1 row, head #\d+ [0-9a-f]{12}\.$/).waitFor();
    expect(pageErrors(page)).toEqual([]);
  });
});
