import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserRig, browserAvailable, openRig, pageErrors } from './browser-support.js';

const SCREENS = [
  '#/search',
  '#/new',
  '#/incidents',
  '#/code',
  '#/templates',
  '#/analytics',
  '#/backups',
  '#/transfer',
];

describe.skipIf(!browserAvailable)('every screen is usable without a mouse and names its controls', () => {
  let rig: BrowserRig;

  beforeAll(async () => {
    rig = await openRig();
  });

  afterAll(async () => {
    await rig?.close();
  });

  it.each(SCREENS)('%s: every control has a label, every button a name, one h1', async (hash) => {
    const page = await rig.page('admin', hash);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    // Let the screen's sections load (the event stream keeps one request open, so no network idle).
    await page.waitForTimeout(1_500);
    const report = await page.evaluate(() => {
      const visible = (el: Element) =>
        (el as HTMLElement).offsetParent !== null || el === document.activeElement;
      const named = (el: Element) =>
        (el.getAttribute('aria-label') ?? '').trim() !== '' ||
        (el.getAttribute('aria-labelledby') ?? '') !== '';
      const unlabelled = [...document.querySelectorAll('main input, main select, main textarea')]
        .filter((el) => (el as HTMLInputElement).type !== 'hidden' && visible(el))
        .filter((el) => ((el as HTMLInputElement).labels?.length ?? 0) === 0 && !named(el))
        .map((el) => el.outerHTML.slice(0, 120));
      const nameless = [...document.querySelectorAll('button')]
        .filter((el) => visible(el) && (el.textContent ?? '').trim() === '' && !named(el))
        .map((el) => el.outerHTML.slice(0, 120));
      const images = [...document.querySelectorAll('main svg[role="img"]')].filter(
        (el) => !el.querySelector('title'),
      ).length;
      return { unlabelled, nameless, images, h1: document.querySelectorAll('main h1').length };
    });
    expect(report).toEqual({ unlabelled: [], nameless: [], images: 0, h1: 1 });
    expect(pageErrors(page)).toEqual([]);
  });

  it('reaches the search from the keyboard: skip link, then the query, Enter searches', async () => {
    const page = await rig.page('viewer');
    // The shell focuses each screen's heading after it draws; from the top of the page, Tab goes to the
    // skip link first.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    const firstFocusable = await page.evaluate(
      () =>
        document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])')
          ?.textContent,
    );
    expect(firstFocusable).toBe('Skip to content');
    await page.evaluate(() => (document.querySelector('a.skip') as HTMLElement).focus());
    const hash = await page.evaluate(() => location.hash);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('view');
    expect(await page.evaluate(() => location.hash)).toBe(hash); // still the same screen
    await page.getByLabel('Search the knowledge base').focus();
    await page.keyboard.type('VSAM status 35');
    await page.keyboard.press('Enter');
    await page.locator('ol.results > li').first().waitFor();
    // Results are links a keyboard reaches: Tab from the query lands on controls, never on a dead end.
    const first = page.locator('ol.results > li h3 a').first();
    await first.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: 'Solution' }).waitFor();
  });
});
