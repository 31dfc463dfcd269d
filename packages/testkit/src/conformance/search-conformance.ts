import type { SearchResponse } from '@mainframe-kb/storage-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { containsTokenSequence, entryText, tokenize } from '../corpus/text-match.js';
import { loadSeedAnchorEntries } from '../fixtures/seed-anchor.js';
import { type ConformanceTarget, expectStorageError, sampleEntry } from './conformance-helpers.js';
import { useStore } from './kb-conformance.js';

/** Queries an analyst types every day, and a substring the obviously right answer has in its title. */
const OBVIOUS_ANSWERS: readonly [query: string, title: RegExp][] = [
  ['S0C7', /S0C7/],
  ['VSAM status 35', /VSAM Status 35/i],
  ['IEF212I', /IEF212I/],
  ['SQLCODE -911', /SQLCODE -911/],
  ['VASM', /VSAM/],
  ['S0C4', /S0C4/],
  ['U4038', /U4038/],
  ['SQLCODE -805', /SQLCODE -805/],
  ['VSAM status 39', /VSAM Status 39/i],
];

const has = (r: { entry: Parameters<typeof entryText>[0] }, phrase: string) =>
  containsTokenSequence(tokenize(entryText(r.entry)), tokenize(phrase));

export function defineSearchConformance(target: ConformanceTarget): void {
  describe('search over the seed-anchor entries', () => {
    const store = useStore(target);
    beforeAll(async () => {
      await store().createEntries(loadSeedAnchorEntries(target.seedDir));
    });

    for (const [query, title] of OBVIOUS_ANSWERS) {
      it(`puts the obviously right entry first for ${query}`, async () => {
        const response = await store().search(query);
        const titles = response.results.map((r) => r.entry.title);
        expect(titles[0], `results: ${titles.slice(0, 5).join(' | ')}`).toMatch(title);
        expect(response.total).toBeGreaterThanOrEqual(response.results.length);
      });
    }

    it('corrects a misspelt word against the index vocabulary and says so', async () => {
      const response = await store().search('VASM');
      expect(
        response.corrections.some((c) => c.from.toLowerCase() === 'vasm' && c.to.toLowerCase() === 'vsam'),
      ).toBe(true);
      expect(response.interpreted.toLowerCase()).toContain('vsam');
    });

    it('does not fuzz codes: every result for a code contains that code', async () => {
      for (const code of ['S0C7', 'IEF212I', 'U4038']) {
        const { results } = await store().search(code, { limit: 50 });
        expect(results.length).toBeGreaterThan(0);
        for (const r of results) expect(has(r, code), `${code} → ${r.entry.title}`).toBe(true);
      }
    });

    it('matches quoted phrases as phrases and prefix terms as prefixes', async () => {
      const phrase = await store().search('"file not found"', { limit: 50 });
      expect(phrase.results.length).toBeGreaterThan(0);
      for (const r of phrase.results) expect(has(r, 'file not found'), r.entry.title).toBe(true);
      const prefix = await store().search('IEF2*', { limit: 50 });
      const titles = prefix.results.map((r) => r.entry.title);
      expect(titles.some((t) => t.includes('IEF212I'))).toBe(true);
      expect(titles.some((t) => t.includes('IEF210I'))).toBe(true);
      for (const r of prefix.results) {
        expect(
          tokenize(entryText(r.entry)).some((t) => t.startsWith('ief2')),
          r.entry.title,
        ).toBe(true);
      }
    });

    it('filters by category, severity and tags, from options and from the query language', async () => {
      const all = await store().search('dataset', { limit: 100 });
      const jcl = await store().search('dataset', { category: 'JCL', limit: 100 });
      expect(jcl.results.length).toBeGreaterThan(0);
      expect(jcl.total).toBeLessThan(all.total);
      for (const r of jcl.results) expect(r.entry.category).toBe('JCL');
      const written = await store().search('category:VSAM status', { limit: 100 });
      expect(written.results.length).toBeGreaterThan(0);
      for (const r of written.results) expect(r.entry.category).toBe('VSAM');
      const high = await store().search('abend', { severity: 'high', limit: 100 });
      for (const r of high.results) expect(r.entry.severity).toBe('high');
      const tagged = await store().search('resource', { tags: ['DB2'], limit: 100 });
      expect(tagged.results.length).toBeGreaterThan(0);
      for (const r of tagged.results) expect(r.entry.tags).toContain('db2');
    });

    it('computes facets over every match', async () => {
      const response = await store().search('dataset', { limit: 1 });
      const sum = (counts: { count: number }[]) => counts.reduce((n, c) => n + c.count, 0);
      expect(response.results).toHaveLength(1);
      expect(response.total).toBeGreaterThan(1);
      expect(sum(response.facets.category)).toBe(response.total);
      expect(sum(response.facets.severity)).toBe(response.total);
      for (const t of response.facets.tags) expect(t.count).toBeLessThanOrEqual(response.total);
      const jclFacet = response.facets.category.find((c) => c.value === 'JCL');
      const jcl = await store().search('dataset', { category: 'JCL' });
      expect(jclFacet?.count).toBe(jcl.total);
    });

    it('pages with limit and offset', async () => {
      const first = await store().search('dataset', { limit: 3 });
      const second = await store().search('dataset', { limit: 3, offset: 3 });
      expect(first.results).toHaveLength(3);
      expect(second.total).toBe(first.total);
      const ids = new Set(first.results.map((r) => r.entry.id));
      for (const r of second.results) expect(ids.has(r.entry.id)).toBe(false);
      await expectStorageError(store().search('dataset', { limit: 0 }), 'VALIDATION');
      await expectStorageError(store().search('dataset', { limit: 101 }), 'VALIDATION');
    });

    it('returns snippets with the matched terms in <mark> and scores best first', async () => {
      const { results } = await store().search('deadlock');
      expect(results.length).toBeGreaterThan(0);
      for (const r of results) {
        expect(r.snippet).toContain('<mark>');
        const marked = [...r.snippet.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1]!.toLowerCase());
        expect(
          marked.some((m) => m.includes('deadlock')),
          r.snippet,
        ).toBe(true);
        expect(r.matchedTerms.map((t) => t.toLowerCase())).toContain('deadlock');
      }
      for (let i = 1; i < results.length; i++)
        expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
    });

    it('escapes HTML in snippets: only the <mark> tags are markup', async () => {
      await store().createEntry(
        sampleEntry('zqhtmlcheck', {
          problem: 'Operator typed <script>alert("x")</script> & zqhtmlcheck into the panel.',
        }),
      );
      const { results } = await store().search('zqhtmlcheck');
      expect(results).toHaveLength(1);
      const bare = results[0]!.snippet.replaceAll('<mark>', '').replaceAll('</mark>', '');
      expect(bare).not.toContain('<');
      expect(bare).not.toContain('>');
    });

    it('sorts by usage and by recency when asked', async () => {
      const { results } = await store().search('dataset', { limit: 5 });
      const target = results[results.length - 1]!.entry.id;
      for (let i = 0; i < 3; i++) await store().recordUsage(target, 'view');
      const byUsage = await store().search('dataset', { sortBy: 'usage', limit: 20 });
      expect(byUsage.results[0]!.entry.id).toBe(target);
      for (let i = 1; i < byUsage.results.length; i++) {
        expect(byUsage.results[i - 1]!.entry.usageCount).toBeGreaterThanOrEqual(
          byUsage.results[i]!.entry.usageCount,
        );
      }
      const recent = await store().search('dataset', { sortBy: 'recent', limit: 20 });
      for (let i = 1; i < recent.results.length; i++) {
        expect(recent.results[i - 1]!.entry.updatedAt >= recent.results[i]!.entry.updatedAt).toBe(true);
      }
    });

    it('keeps the index in step with writes: updates, archiving and deletes', async () => {
      const id = await store().createEntry(sampleEntry('zqoldword'));
      expect((await store().search('zqoldword')).results.map((r) => r.entry.id)).toEqual([id]);
      await store().updateEntry(id, {
        title: 'zqnewword sample entry',
        problem: 'Nothing old here.',
        solution: 'None.',
      });
      expect((await store().search('zqoldword', { correct: false })).results).toEqual([]);
      expect((await store().search('zqnewword')).results.map((r) => r.entry.id)).toEqual([id]);
      await store().updateEntry(id, { archived: true });
      expect((await store().search('zqnewword')).results).toEqual([]);
      expect(
        (await store().search('zqnewword', { includeArchived: true })).results.map((r) => r.entry.id),
      ).toEqual([id]);
      await store().deleteEntry(id);
      expect((await store().search('zqnewword', { includeArchived: true, correct: false })).results).toEqual(
        [],
      );
    });

    it('suggests completions for a prefix', async () => {
      const suggestions = await store().suggest('IEF', 5);
      expect(suggestions.length).toBeGreaterThan(0);
      expect(suggestions.length).toBeLessThanOrEqual(5);
      expect(suggestions.some((s) => s.toLowerCase().includes('ief'))).toBe(true);
    });

    it('records every search in search history, unless asked not to', async () => {
      const response: SearchResponse = await store().search('S0C7');
      const [last] = await store().getSearchHistory({ limit: 1 });
      expect(last).toMatchObject({
        query: 'S0C7',
        resultCount: response.total,
        topResultId: response.results[0]!.entry.id,
      });
      await store().search('VASM');
      const [corrected] = await store().getSearchHistory({ limit: 1 });
      expect(corrected!.query).toBe('VASM');
      expect(corrected!.correctedQuery?.toLowerCase()).toContain('vsam');
      await store().search('IEF212I', { recordHistory: false });
      const [still] = await store().getSearchHistory({ limit: 1 });
      expect(still!.id).toBe(corrected!.id);
      const since = await store().getSearchHistory({ since: corrected!.createdAt, limit: 100 });
      expect(since.map((h) => h.id)).toContain(corrected!.id);
    });

    it("emits 'search:performed'", async () => {
      const seen: { query: string; total: number }[] = [];
      const listener = (p: { query: string; total: number }) => seen.push(p);
      store().on('search:performed', listener);
      try {
        const response = await store().search('IEF212I');
        expect(seen).toEqual([expect.objectContaining({ query: 'IEF212I', total: response.total })]);
      } finally {
        store().off('search:performed', listener);
      }
    });
  });
}
