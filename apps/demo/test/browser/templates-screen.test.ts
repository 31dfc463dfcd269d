import { templatesPlugin } from '@mainframe-kb/plugin-templates';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUARD, GUARD_PARAMS, REPRO } from '../support/template-sources.js';
import { type BrowserRig, browserAvailable, openRig, pageErrors } from './browser-support.js';

// The templates screen over a real server: templates made over HTTP as the API tests make them (an S0C7 guard
// in fixed-format COBOL, an IDCAMS REPRO in JCL), then found, filled in, rendered and compared in chromium.

const S0C7 = 'sample-s0c7-data-exception-invalid-numeric-data';

/** A 73-character DISPLAY literal: past column 72 unless the line is continued. */
const LONG_MESSAGE = 'PAYR010 COMPUTE OVERFLOW ON WS-TOTAL - CHECK THE INPUT FILE FOR BAD DATA';

describe.skipIf(!browserAvailable)('web app in chromium: the templates screen', () => {
  let rig: BrowserRig;
  const templates = () => rig.server.storage.plugin(templatesPlugin);

  beforeAll(async () => {
    rig = await openRig();
    const create = async (body: unknown) => {
      const response = await rig.http('editor', 'POST', '/api/templates', body);
      expect(response.status, await response.clone().text()).toBe(201);
    };
    await create({
      name: 'S0C7-GUARD',
      description: 'IF NUMERIC and ON SIZE ERROR around a COMPUTE',
      language: 'cobol',
      category: 'abend-fix',
      content: GUARD,
      parameters: GUARD_PARAMS,
      errorCodes: ['S0C7'],
      tags: ['packed-decimal'],
      kbEntryIds: [S0C7],
    });
    await create({
      name: 'REPRO-VSAM',
      description: 'REPRO a VSAM cluster to a sequential backup with IDCAMS',
      language: 'jcl',
      category: 'vsam',
      content: REPRO,
      parameters: [
        { name: 'JOB', kind: 'jobname' },
        { name: 'CLUSTER', kind: 'dataset' },
        { name: 'OUT', kind: 'dataset' },
      ],
      rules: [{ rule: 'differs', params: ['CLUSTER', 'OUT'] }],
      errorCodes: ['VSAM status 35'],
    });
  });

  afterAll(async () => {
    await rig?.close();
  });

  /** The message shown in the field of a parameter form control. */
  const errorOf = (page: Page, label: string) =>
    page
      .locator('.field', { has: page.getByLabel(label, { exact: true }) })
      .locator('.field-error')
      .textContent();

  it('finds a template, renders it from its parameter form, lists the column problems, records an outcome', async () => {
    const page = await rig.page('editor', '#/templates');
    await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();
    const search = page.getByRole('search');
    await search.getByLabel('Search templates').fill('compute');
    await search.getByLabel('Language').selectOption('cobol');
    await search.getByRole('button', { name: 'Search' }).click();
    const list = page.getByRole('table', { name: 'Templates, best success rate first' });
    await expect.poll(() => page.evaluate(() => location.hash)).toContain('language=cobol');
    await list.waitFor();
    expect(await list.locator('tbody tr td:first-child').allTextContents()).toEqual(['S0C7-GUARD']);
    await list.getByRole('link', { name: 'S0C7-GUARD' }).click();
    await page.getByRole('heading', { level: 1, name: 'S0C7-GUARD' }).waitFor();

    // The form comes from the parameters: a number input with its default, required marks, the linked entry.
    const params = page.getByRole('table', { name: 'Parameters of version 1' });
    expect(await params.locator('tbody tr td:first-child').allTextContents()).toEqual(
      GUARD_PARAMS.map((p) => p.name),
    );
    const factor = page.getByLabel('FACTOR', { exact: true });
    expect(await factor.getAttribute('type')).toBe('number');
    expect(await factor.inputValue()).toBe('100');
    expect(await page.getByLabel('MESSAGE', { exact: true }).inputValue()).toBe('SIZE ERROR');
    expect(await page.getByLabel('PROGRAM', { exact: true }).getAttribute('required')).toBe('');
    expect(await page.locator('.field:has(#tp-PROGRAM) .req').textContent()).toBe('*');
    expect(await page.locator('.field:has(#tp-MESSAGE) .req').count()).toBe(0);
    expect(await page.getByRole('link', { name: S0C7 }).getAttribute('href')).toBe(`#/entry/${S0C7}`);

    await page.getByLabel('PROGRAM', { exact: true }).fill('payr010');
    await page.getByLabel('FIELD', { exact: true }).fill('WS-AMOUNT');
    await page.getByLabel('TARGET', { exact: true }).fill('WS-TOTAL');
    await page.getByLabel('MESSAGE', { exact: true }).fill(LONG_MESSAGE);
    await page.getByLabel('Wrap long lines').uncheck();
    await page.getByRole('button', { name: 'Render' }).click();
    const output = page.getByTestId('render-output');
    await output.waitFor();
    const text = (await output.textContent()) ?? '';
    expect(text).toContain('Guard WS-AMOUNT in PAYR010 against S0C7'); // a program name is upper-cased
    expect(text).toContain('COMPUTE WS-TOTAL = WS-AMOUNT * 100'); // the default of FACTOR
    expect(text).toContain(`DISPLAY '${LONG_MESSAGE}'`);
    const problems = page.getByRole('table', { name: 'Column problems' });
    const first = problems.locator('tbody tr').first().locator('td');
    expect((await first.allTextContents()).slice(0, 3)).toEqual(['5', '73', 'cobol/beyond-column-72']);

    // Wrapped, the literal is continued on the next line and no problem is left.
    await page.getByLabel('Wrap long lines').check();
    await page.getByRole('button', { name: 'Render' }).click();
    await page.getByText('No column problems.').waitFor();
    expect(await output.textContent()).toContain("\n      -                 'K THE INPUT FILE");
    expect(await page.getByRole('table', { name: 'Column problems' }).count()).toBe(0);
    await expect.poll(() => page.getByTestId('template-stats').textContent()).toContain('used 2×');
    expect((await templates().getTemplate('S0C7-GUARD')).usageCount).toBe(2);

    await page.getByLabel('Note').fill('the nightly PAYROLL run completed');
    await page.getByRole('button', { name: 'It worked' }).click();
    await page.getByText('Recorded: the fix worked').first().waitFor();
    expect(await page.getByTestId('template-stats').textContent()).toContain('1 worked, 0 did not');
    expect(await templates().getTemplate('S0C7-GUARD')).toMatchObject({ successCount: 1, failureCount: 0 });
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows each refused value next to its field, and shows a viewer no write controls', async () => {
    const page = await rig.page('viewer', '#/templates');
    await page.getByRole('table', { name: 'Templates, best success rate first' }).waitFor();
    expect(await page.getByRole('button', { name: 'New template' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'New template' }).count()).toBe(0);

    await page.evaluate(() => (location.hash = '#/templates/S0C7-GUARD'));
    await page.getByRole('heading', { level: 1, name: 'S0C7-GUARD' }).waitFor();
    expect(await page.getByRole('button', { name: 'It worked' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'It did not work' }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Record the outcome' }).count()).toBe(0);

    const usesBefore = (await templates().getTemplate('S0C7-GUARD')).usageCount;
    await page.getByLabel('PROGRAM', { exact: true }).fill('PAYROLL010'); // nine characters
    await page.getByLabel('FIELD', { exact: true }).fill('1BAD');
    // TARGET left empty: required, no default.
    await page.getByRole('button', { name: 'Render' }).click();
    await expect.poll(() => errorOf(page, 'TARGET')).toContain('required parameter TARGET is missing');
    expect(await errorOf(page, 'FIELD')).not.toBe('');
    expect(await errorOf(page, 'PROGRAM')).not.toBe('');
    expect(await errorOf(page, 'FACTOR')).toBe('');
    const target = page.getByLabel('TARGET', { exact: true });
    expect(await target.getAttribute('aria-invalid')).toBe('true');
    expect(await target.getAttribute('aria-describedby')).toContain('tp-TARGET-error');
    expect(await page.locator('.problem').textContent()).toContain('3 values were refused');
    // The first field in error has the focus; nothing was rendered or counted.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tp-PROGRAM');
    expect(await page.getByTestId('render-output').count()).toBe(0);
    expect((await templates().getTemplate('S0C7-GUARD')).usageCount).toBe(usesBefore);

    // Corrected, the messages go and the output comes.
    await page.getByLabel('PROGRAM', { exact: true }).fill('PAYR010');
    await page.getByLabel('FIELD', { exact: true }).fill('WS-A');
    await target.fill('WS-B');
    await page.getByRole('button', { name: 'Render' }).click();
    await page.getByTestId('render-output').waitFor();
    expect(await errorOf(page, 'TARGET')).toBe('');
    expect(await target.getAttribute('aria-invalid')).toBeNull();

    // A broken cross-parameter rule names no single field: it is in the problem box.
    await page.evaluate(() => (location.hash = '#/templates/REPRO-VSAM'));
    await page.getByRole('heading', { level: 1, name: 'REPRO-VSAM' }).waitFor();
    await page.getByLabel('JOB', { exact: true }).fill('PAYRBKP');
    await page.getByLabel('CLUSTER', { exact: true }).fill('PROD.PAYROLL.MASTER.KSDS');
    await page.getByLabel('OUT', { exact: true }).fill('prod.payroll.master.ksds');
    await page.getByRole('button', { name: 'Render' }).click();
    const box = page.locator('.problem');
    await box.waitFor();
    expect(await box.locator('li code').allTextContents()).toEqual(['rules.0']);
    expect(pageErrors(page)).toEqual([]);
  });

  it('lists the versions and shows the differences between two of them', async () => {
    const extra = '//* Reviewed for the nightly PAYROLL backup';
    const changed = await rig.http('editor', 'PATCH', '/api/templates/REPRO-VSAM', {
      content: `${extra}\n${REPRO}`,
      changeNote: 'say who reviewed it',
    });
    expect(changed.status).toBe(200);
    const page = await rig.page('viewer', '#/templates/REPRO-VSAM');
    const versions = page.getByRole('table', { name: 'Every version, oldest first' });
    await versions.waitFor();
    expect(await versions.locator('tbody tr td:nth-child(4)').allTextContents()).toEqual([
      'created',
      'say who reviewed it',
    ]);
    expect(await page.getByLabel('From version').inputValue()).toBe('1');
    expect(await page.getByLabel('To version').inputValue()).toBe('2');
    await page.getByRole('button', { name: 'Show the differences' }).click();
    const diff = page.locator('pre.diff');
    await diff.waitFor();
    expect(await diff.locator('.diff-add').allTextContents()).toEqual([`+${extra}`]);
    expect(await diff.locator('.diff-del').count()).toBe(0);

    // The same version on both sides: no difference.
    await page.getByLabel('From version').selectOption('2');
    await page.getByRole('button', { name: 'Show the differences' }).click();
    await page.getByText('The two versions have the same text.').waitFor();

    // An older version shown: its text, and a way back to the current one.
    await versions.getByRole('link', { name: 'Show version 1' }).click();
    await page.getByText('You are looking at version 1; the current one is 2.').waitFor();
    expect(await page.getByRole('heading', { name: 'Text of version 1' }).count()).toBe(1);
    expect(await page.locator('pre.source').first().textContent()).toBe(REPRO);
    expect(pageErrors(page)).toEqual([]);
  });

  it('lets an editor create a template with the form; a refused text is named next to its field', async () => {
    const page = await rig.page('editor', '#/templates');
    await page.getByRole('button', { name: 'New template' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('name');
    const form = page.locator('form.template-form');
    await form.getByLabel('Name').fill('IEFBR14-DELETE');
    await form.getByLabel('Description').fill('Delete a data set with IEFBR14');
    await form.getByLabel('Language').selectOption('jcl');
    await form.getByLabel('Category').fill('cleanup');
    const body = [
      '//{{JOB}} JOB (ACCT),CLASS=A',
      '//DEL      EXEC PGM=IEFBR14',
      '//DD1      DD DSN={{DSN}},DISP=(MOD,DELETE,DELETE)',
      '//* owner {{OWNER}}',
      '',
    ].join('\n');
    await form.getByLabel('Template text').fill(body);
    await form.getByLabel('Parameters').fill('JOB jobname\nDSN dataset\nUNIT enum(SYSDA|VIO)? = SYSDA');
    await form.getByLabel('Error codes').fill('IEF212I');
    await form.getByRole('button', { name: 'Create template' }).click();
    // {{OWNER}} is not declared: the store names the text.
    const textError = form
      .locator('.field', { has: page.getByLabel('Template text') })
      .locator('.field-error');
    await expect.poll(() => textError.textContent()).toContain('OWNER');
    await expect(templates().getTemplate('IEFBR14-DELETE')).rejects.toThrow();

    await form.getByLabel('Template text').fill(body.replace('//* owner {{OWNER}}\n', ''));
    await form.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { level: 1, name: 'IEFBR14-DELETE' }).waitFor();
    expect(await page.evaluate(() => location.hash)).toBe('#/templates/IEFBR14-DELETE');
    const stored = await templates().getTemplate('IEFBR14-DELETE');
    expect(stored).toMatchObject({ language: 'jcl', category: 'cleanup', createdBy: 'editor-user' });
    expect(stored.errorCodes).toEqual(['IEF212I']);
    const [version] = await templates().versions(stored.id);
    expect(version?.parameters).toEqual([
      expect.objectContaining({ name: 'JOB', kind: 'jobname', required: true }),
      expect.objectContaining({ name: 'DSN', kind: 'dataset', required: true }),
      expect.objectContaining({ name: 'UNIT', kind: 'enum', values: ['SYSDA', 'VIO'], required: false }),
    ]);
    // The enum is a select with its default chosen.
    expect(await page.getByLabel('UNIT', { exact: true }).inputValue()).toBe('SYSDA');
    expect(pageErrors(page)).toEqual([]);
  });
});
