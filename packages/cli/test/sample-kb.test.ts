import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSampleKb } from '../src/sample-kb.js';
import { Workspace } from './cli-harness.js';

// One store loaded once: these tests only read it.
let ws: Workspace;
beforeAll(async () => {
  ws = new Workspace();
  const init = await ws.run(['--json', 'init', '--sample']);
  if (init.code !== 0) throw new Error(`kb init --sample failed: ${init.stderr}`);
});
afterAll(() => ws?.remove());

describe('kb init --sample', () => {
  it('loads every entry of the bundled sample KB', async () => {
    const sample = loadSampleKb();
    expect(sample.length).toBeGreaterThanOrEqual(30);
    expect((await ws.ok(['init'])).entries).toBe(sample.length);
  });

  it('adds nothing when run again', async () => {
    const again = await ws.ok(['init', '--sample']);
    expect(again).toEqual({ created: false, entries: loadSampleKb().length });
  });

  it.each([
    ['S0C7', /^S0C7\b/],
    ['VSAM status 35', /^VSAM Status 35\b/],
    ['IEF212I', /^IEF212I\b/],
    ['SQLCODE -911', /^SQLCODE -911\b/],
    // A misspelling: corrected against the index vocabulary, so VSAM entries still come first.
    ['VASM', /^VSAM\b/],
  ])('search %j puts the obviously right entry first', async (query, title) => {
    const doc = await ws.ok(['search', query]);
    expect(doc.results.length).toBeGreaterThan(0);
    expect(doc.results[0].title).toMatch(title);
  });
});

describe('kb search --json', () => {
  it('carries the corrections and facets the search produced (CLI.md)', async () => {
    const corrected = await ws.ok(['search', 'VASM']);
    expect(corrected.corrections).toEqual([
      { from: 'VASM', to: 'vsam', confidence: expect.any(Number), applied: true },
    ]);
    expect(corrected.corrections[0].confidence).toBeGreaterThan(0);
    expect(corrected.corrections[0].confidence).toBeLessThanOrEqual(1);
    expect(corrected.facets.category).toEqual(
      expect.arrayContaining([expect.objectContaining({ value: 'VSAM' })]),
    );
    const total = corrected.facets.category.reduce((s: number, f: { count: number }) => s + f.count, 0);
    expect(total).toBe(corrected.total);
    // Nothing corrected: no corrections key; nothing found: no facets either.
    const plain = await ws.ok(['search', 'S0C7']);
    expect(plain).not.toHaveProperty('corrections');
    expect(plain.facets.category.length).toBeGreaterThan(0);
    // Valid words the sample KB does not hold are not "corrected" into other words (issue 18).
    for (const word of ['unclosed', 'NEAR', 'cold']) {
      expect(await ws.ok(['search', word]), word).not.toHaveProperty('corrections');
    }
    const none = await ws.ok(['search', '"no such phrase anywhere"']);
    expect(none).toMatchObject({ results: [], total: 0 });
    expect(none).not.toHaveProperty('facets');
  });
});

describe('progress bar', () => {
  it('draws while loading on a terminal, and not under --json, --quiet or a pipe', async () => {
    const fresh = new Workspace();
    try {
      const tty = await fresh.run(['--db', 'tty.db', 'init', '--sample'], { isTTY: true });
      expect(tty.code).toBe(0);
      expect(tty.stderr).toMatch(/\rLoading sample KB \[#+\] 100% \d+\/\d+/);
      expect(tty.stdout).not.toContain('\r');

      for (const [args, isTTY] of [
        [['--json', '--db', 'j.db', 'init', '--sample'], true],
        [['--quiet', '--db', 'q.db', 'init', '--sample'], true],
        [['--db', 'p.db', 'init', '--sample'], false],
      ] as const) {
        const result = await fresh.run(args, { isTTY });
        expect(result.code).toBe(0);
        expect(result.stdout + result.stderr).not.toContain('\r');
        expect(result.stdout + result.stderr).not.toContain('[#');
      }
    } finally {
      fresh.remove();
    }
  });
});
