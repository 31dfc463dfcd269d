import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '@mainframe-kb/storage-core';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import type { BackupRouteSettings } from '../../src/routes/backup-routes.js';
import { type DemoServer, startDemoServer } from '../../src/server.js';
import { GRANTS, TOKENS } from '../support/demo-fixture.js';

export const CHROMIUM = process.env.KB_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.KB_REQUIRE_CHROMIUM === '1';

/**
 * Whether the browser tests can run: Debian's chromium must be installed (.ci/run installs it and sets
 * KB_REQUIRE_CHROMIUM=1, so there a missing browser fails instead of skipping).
 */
export const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable) {
  const message = `browser tests: ${CHROMIUM} is not installed (apt-get install chromium)`;
  if (required) throw new Error(`${message}, and KB_REQUIRE_CHROMIUM=1`);
  console.warn(`${message}: skipped`);
}

// The flags DEVELOPERS.md gives: without the networking ones, chromium's background connections are refused
// by this machine's closed network at every start.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface BrowserRig {
  server: DemoServer;
  browser: Browser;
  dir: string;
  /** A new page signed in as `role`, at `hash` (default the search screen). */
  page(role: Role, hash?: string): Promise<Page>;
  /** Calls the API over HTTP as `role`: the "second client" of the live tests. */
  http(role: Role, method: string, path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function openRig(
  options: { sample?: boolean; database?: string; backup?: BackupRouteSettings } = {},
): Promise<BrowserRig> {
  const dir = mkdtempSync(join(tmpdir(), 'kb-demo-browser-'));
  const server = await startDemoServer({
    database: options.database ?? join(dir, 'kb.db'),
    sample: options.sample ?? true,
    grants: GRANTS,
    port: 0,
    ...(options.backup ? { backup: options.backup } : {}),
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const pages: Page[] = [];
  return {
    server,
    browser,
    dir,
    async page(role, hash = '#/search') {
      const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      (page as Page & { errors: string[] }).errors = errors;
      await page.goto(`${server.url}/#token=${TOKENS[role]}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      if (hash !== '#/search') await page.evaluate((h) => (location.hash = h), hash);
      pages.push(page);
      return page;
    },
    http(role, method, path, body) {
      return fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKENS[role]}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The uncaught errors a page has thrown so far (every browser test ends by expecting none). */
export function pageErrors(page: Page): string[] {
  return (page as Page & { errors?: string[] }).errors ?? [];
}

/**
 * A table's head and body texts, read in one snapshot once the table is on the page: a screen renders a
 * table whole, so reading its head and its rows in two steps could straddle that render.
 */
async function tableTexts(table: Locator): Promise<{ headers: string[]; rows: string[][] }> {
  await table.waitFor({ state: 'attached' });
  return table.evaluate((t) => {
    const text = (cell: Element) => (cell.textContent ?? '').trim();
    return {
      headers: [...t.querySelectorAll('thead th')].map(text),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map(text)),
    };
  });
}

/** The texts of a table's body, row by row. */
export async function rowsOf(table: Locator): Promise<string[][]> {
  return (await tableTexts(table)).rows;
}

/** A table's rows as objects keyed by its column headers. */
export async function recordsOf(table: Locator): Promise<Record<string, string>[]> {
  const { headers, rows } = await tableTexts(table);
  return rows.map((cells) => Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? ''])));
}
