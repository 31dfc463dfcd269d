import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, browserAvailable, openRig, pageErrors } from './browser-support.js';

// The backups screen over a real server with the sample KB and an encrypted repository beside the store file:
// an admin makes a backup, verifies it and restores it into a new file; a viewer only sees the list.

const PASSPHRASE = 'a passphrase for the browser tests';

describe.skipIf(!browserAvailable)('web app in chromium: the backups screen', () => {
  let rig: BrowserRig;

  beforeAll(async () => {
    rig = await openRig({ backup: { passphrase: PASSPHRASE } });
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('lets an admin make a backup, verify it (every check ok) and restore it into a new file', async () => {
    const page = await rig.page('admin', '#/backups');
    await page.getByRole('heading', { level: 1, name: 'Backups' }).waitFor();
    await page.getByText('The repository holds no backup yet.').waitFor();
    const entries = (await rig.server.storage.rowCounts(['kb_entries'])).kb_entries as number;
    expect(entries).toBeGreaterThan(0);

    await page.getByLabel('Type').selectOption('full');
    await page.getByLabel('Kind').selectOption('physical');
    await page.getByRole('button', { name: 'Create backup' }).click();
    const list = page.getByRole('table', { name: '1 backup, oldest first' });
    await list.waitFor();
    const listed = (await rig.http('viewer', 'GET', '/api/backups').then((r) => r.json())) as {
      backups: { id: string; entryCount: number }[];
    };
    expect(listed.backups).toHaveLength(1);
    const id = listed.backups[0]?.id as string;
    expect(await list.locator('tbody tr td:nth-child(1)').allTextContents()).toEqual([id]);
    expect(await list.locator('tbody tr td:nth-child(4)').allTextContents()).toEqual([String(entries)]);
    expect(await list.locator('tbody tr td:nth-child(8)').allTextContents()).toEqual(['never']);

    // Verify: each check of the report, ok.
    await page.getByRole('button', { name: `Verify ${id}` }).click();
    const checks = page.getByRole('table', { name: `Checks of backup ${id}` });
    await checks.waitFor();
    const results = await checks.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(results.length).toBeGreaterThan(2);
    expect(new Set(results)).toEqual(new Set(['ok']));
    const names = await checks.locator('tbody tr td:nth-child(1)').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['packs', 'key']));
    expect(await page.getByTestId('verify-summary').textContent()).toContain(
      `All ${results.length} checks passed.`,
    );
    // The list shows the verification time now.
    await expect.poll(() => list.locator('tbody tr td:nth-child(8)').first().textContent()).not.toBe('never');

    // Restore into a new file, under the name given.
    await page.getByRole('button', { name: `Restore ${id}…` }).click();
    await page.getByLabel('New database name').fill('browser-copy');
    await page.getByRole('button', { name: 'Restore into a new file' }).click();
    const summary = page.getByTestId('restored-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(
      new RegExp(`^Restored ${entries} entries into browser-copy\\.db in \\d+ ms\\.$`),
    );
    expect(
      await page.getByText('Its content tables have the same row counts as the live store now.').count(),
    ).toBe(1);
    const rows = page.getByRole('table', { name: 'Rows restored into browser-copy.db' });
    const kbRow = rows.locator('tbody tr', {
      has: page.getByRole('cell', { name: 'kb_entries', exact: true }),
    });
    expect(await kbRow.locator('td').allTextContents()).toEqual([
      'kb_entries',
      String(entries),
      'same count',
    ]);
    const restoreChecks = await page
      .getByRole('table', { name: `Checks the restore of ${id} passed` })
      .locator('tbody tr td:nth-child(2)')
      .allTextContents();
    expect(restoreChecks.length).toBeGreaterThan(0);
    expect(new Set(restoreChecks)).toEqual(new Set(['ok']));
    expect(existsSync(join(rig.dir, 'kb.db.restores', 'browser-copy.db'))).toBe(true);

    // The restored files list has it; the same name again is refused where the form is.
    const files = page.getByRole('table', { name: 'Databases restored into the restore folder' });
    await expect
      .poll(() => files.locator('tbody tr td:nth-child(1)').allTextContents())
      .toEqual(['browser-copy.db']);
    await page.getByRole('button', { name: 'Restore into a new file' }).click();
    const problem = page.locator('.restore-form + div .problem');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('already exists');
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows a viewer the list but no create, verify or restore control, and says why', async () => {
    const before = (await rig.http('viewer', 'GET', '/api/backups').then((r) => r.json())) as {
      backups: { id: string }[];
    };
    expect(before.backups.length).toBeGreaterThan(0);
    const page = await rig.page('viewer', '#/backups');
    const list = page.getByRole('table', { name: /backups?, oldest first$/ });
    await list.waitFor();
    expect(await list.locator('tbody tr td:nth-child(1)').allTextContents()).toEqual(
      before.backups.map((b) => b.id),
    );
    expect(await list.locator('thead th').allTextContents()).not.toContain('actions');
    await page.getByText('Making, verifying and restoring backups needs the admin role').waitFor();
    expect(await page.getByRole('button', { name: 'Create backup' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Verify/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Restore/ }).count()).toBe(0);
    expect(await page.getByLabel('Type').count()).toBe(0);
    await page.getByText('The databases restores have created are listed to the admin role.').waitFor();
    expect(pageErrors(page)).toEqual([]);
  });
});
