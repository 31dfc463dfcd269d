import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, browserAvailable, openRig, pageErrors } from './browser-support.js';

const S0C7 = 'sample-s0c7-data-exception-invalid-numeric-data';

describe.skipIf(!browserAvailable)('web app in chromium: search, entries, roles, live events', () => {
  let rig: BrowserRig;

  beforeAll(async () => {
    rig = await openRig();
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('searches with a typo: the correction, marked snippets and facets show, and a facet filters', async () => {
    const page = await rig.page('viewer');
    await page.getByLabel('Search the knowledge base').fill('packed decmal');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('.corrections').textContent()).toContain('decimal');
    const first = page.locator('ol.results > li').first();
    expect(await first.locator('h3').textContent()).toContain('S0C7');
    expect(await first.locator('mark').allTextContents()).toEqual(expect.arrayContaining(['decimal']));
    // The facet narrows the results to its category.
    await page
      .locator('.facet a', { hasText: /^COBOL/ })
      .first()
      .click();
    await expect.poll(() => page.evaluate(() => location.hash)).toContain('category=COBOL');
    // The hash changes before the filtered results replace the others: wait for them.
    const chips = page.locator('ol.results > li .meta .chip:first-child');
    await expect.poll(async () => [...new Set(await chips.allTextContents())]).toEqual(['COBOL']);
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows no write controls to a viewer, and the API refuses a viewer write with 403 and no change', async () => {
    const page = await rig.page('viewer', `#/entry/${S0C7}`);
    await page.getByRole('button', { name: 'This solved it' }).waitFor();
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    const before = await rig.server.storage.contentHash();
    // The page's own token, used the way a hostile script would.
    const status = await page.evaluate(async (id) => {
      const token = sessionStorage.getItem('kb-demo-token');
      const r = await fetch(`/api/entries/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'defaced' }),
      });
      return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
    }, S0C7);
    expect(status).toMatchObject({
      status: 403,
      type: 'application/problem+json',
      body: { code: 'FORBIDDEN' },
    });
    expect(await rig.server.storage.contentHash()).toEqual(before);
    await page.evaluate(() => (location.hash = '#/new'));
    await page.getByText('Creating entries needs the editor role.').waitFor();
  });

  it('lets an editor create and edit an entry; the admin sees its audit trail', async () => {
    const page = await rig.page('editor', '#/new');
    await page.getByLabel('Title').fill('IEC141I 013-18 member not found');
    await page
      .getByLabel('Problem')
      .fill('OPEN of a PDS member fails with IEC141I 013-18: the member named in the DD does not exist.');
    await page
      .getByLabel('Solution')
      .fill('Correct the member name in the JCL DD statement or create the member before the step runs.');
    await page.getByLabel('Category').fill('JCL');
    await page.getByLabel('Tags').fill('IEC141I, 013-18');
    await page.getByRole('button', { name: 'Create entry' }).click();
    await page.getByRole('heading', { level: 1, name: 'IEC141I 013-18 member not found' }).waitFor();
    const id = decodeURIComponent((await page.evaluate(() => location.hash)).replace('#/entry/', ''));
    expect((await rig.server.storage.getEntry(id)).createdBy).toBe('editor-user');

    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Title').fill('IEC141I 013-18: PDS member not found');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: 'IEC141I 013-18: PDS member not found' }).waitFor();
    expect(await page.getByTestId('entry-stats').textContent()).toContain('Version 2');

    const admin = await rig.page('admin', `#/entry/${encodeURIComponent(id)}`);
    const trail = admin.getByRole('table', { name: 'Who did what to this entry' });
    await trail.waitFor();
    const actions = await trail.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions).toEqual(['create', 'update']);
    expect(await trail.locator('tbody tr td:nth-child(2)').allTextContents()).toEqual([
      'editor-user',
      'editor-user',
    ]);
  });

  it('shows an edit made by a second client live, through the event stream', async () => {
    const page = await rig.page('viewer', `#/entry/${S0C7}`);
    await page.getByRole('heading', { level: 1, name: /^S0C7/ }).waitFor();
    await page.locator('#live.live').filter({ hasText: 'live' }).waitFor();
    const entry = (await (await rig.http('viewer', 'GET', `/api/entries/${S0C7}`)).json()) as {
      version: number;
    };
    const response = await rig.http('editor', 'PATCH', `/api/entries/${S0C7}`, {
      title: 'S0C7 data exception: invalid packed decimal',
      expectedVersion: entry.version,
    });
    expect(response.status).toBe(200);
    // No reload: the page learns of the change from /api/events.
    await page
      .getByRole('heading', { level: 1, name: 'S0C7 data exception: invalid packed decimal' })
      .waitFor({ timeout: 10_000 });
    expect(await page.locator('.banner').textContent()).toContain(`version ${entry.version + 1}`);
    expect(pageErrors(page)).toEqual([]);
  });
});
