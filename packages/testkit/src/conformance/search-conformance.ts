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

/**
 * Entries that write their code the canonical way (`SQLCODE -911`, `VSAM status 35`, `S0C7`, `U4038`,
 * `IEF450I`), with neighbours that share words but not the code: a deadlock with SQLCODE -913, a VSAM status 37
 * that mentions 35 records.
 */
const CODE_ENTRIES = {
  sqlcode: {
    title: 'SQLCODE -911 deadlock on ORDERS during the nightly batch',
    problem:
      'Program ORD100 received SQLCODE -911 with reason code 00C90088: DB2 rolled back the unit of work after a deadlock with the nightly batch.',
    solution: '1. Rerun ORD100 after the batch window\n2. Commit more often in the batch program',
    category: 'DB2',
  },
  sqlcode913: {
    title: 'SQLCODE -913 deadlock or timeout in the claims job',
    problem: 'CLM200 received SQLCODE -913 after a deadlock: the statement failed but was not rolled back.',
    solution: '1. Retry the statement\n2. Check the lock escalation on the claims tablespace',
    category: 'DB2',
  },
  vsam: {
    title: 'VSAM status 35 when CUSTMAINT opens CUSTOMER.MASTER',
    problem:
      'The OPEN of the KSDS failed with VSAM status 35: the cluster is not cataloged in the user catalog.',
    solution: '1. Define the cluster with IDCAMS\n2. Check the data set name in the DD statement',
    category: 'VSAM',
  },
  vsam37: {
    title: 'VSAM status 37 when CUSTMAINT opens CUSTOMER.HISTORY',
    problem:
      'The OPEN for output failed with VSAM status 37 after 35 records were copied: the data set is read-only.',
    solution: '1. Ask storage admin for UPDATE access\n2. Rerun from the failed step',
    category: 'VSAM',
  },
  s0c7: {
    title: 'S0C7 data exception in PAYCALC',
    problem: 'PAYCALC abended with S0C7 when a packed decimal field of the input record held spaces.',
    solution: '1. Initialise the field\n2. Add an IF NUMERIC test before the COMPUTE',
    category: 'COBOL',
  },
  u4038: {
    title: 'U4038 after IGZ0035S in BILLING',
    problem:
      'BILLING ended with user abend U4038 after the COBOL runtime issued IGZ0035S for a file it could not open.',
    solution: '1. Read the IGZ message in the job log\n2. Fix the DD statement of the file',
    category: 'COBOL',
  },
  ief450i: {
    title: 'IEF450I PAYJ010D abended in STEP020',
    problem: 'The job log shows IEF450I PAYJ010D STEP020 - ABEND=S806: module PAYCALC2 was not found.',
    solution: '1. Add the load library to STEPLIB\n2. Rerun from STEP020',
    category: 'JCL',
  },
} as const;

/** Entry, the code as the benchmark counts containment, and queries mixing words with each form of it. */
const CODE_QUERIES: readonly [key: keyof typeof CODE_ENTRIES, code: string, queries: readonly string[]][] = [
  [
    'sqlcode',
    '911',
    ['deadlock 911', 'deadlock -911', '911 deadlock', '-911 deadlock', 'ORD100 911', 'rolled back 911 batch'],
  ],
  [
    'sqlcode',
    'SQLCODE -911',
    ['deadlock SQLCODE -911', 'deadlock SQLCODE=-911', 'deadlock sqlcode 911', 'SQLCODE: -911 rolled back'],
  ],
  ['vsam', '35', ['cataloged 35', 'VSAM 35 cataloged', 'CUSTOMER.MASTER 35', 'KSDS -35']],
  [
    'vsam',
    'status 35',
    ['cataloged status 35', 'VSAM status 35 KSDS', 'status-35 cataloged', 'OPEN failed status 35'],
  ],
  ['s0c7', 'S0C7', ['packed S0C7', 's0c7 packed decimal', 'data exception S0C7 PAYCALC']],
  // The abend written without its S, or with the letter O for the zero, as analysts type it.
  [
    's0c7',
    'S0C7',
    ['0C7', 'SOC7', 'packed SOC7', 'soc7 packed decimal', '0C7 PAYCALC', 'data exception OC7'],
  ],
  ['u4038', 'U4038', ['U4038 billing', 'IGZ0035S U4038', 'user abend u4038 runtime']],
  ['ief450i', 'IEF450I', ['IEF450I STEP020', 'PAYJ010D IEF450I abended', 'IEF450I S806 STEPLIB']],
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

    it('corrects real misspellings, with a confidence, and answers the corrected query', async () => {
      for (const [typed, intended] of [
        ['VASM', 'vsam'],
        ['VSMA', 'vsam'],
        ['abnd', 'abend'],
        ['abned', 'abend'],
        ['deadlok', 'deadlock'],
        ['datset', 'dataset'],
      ] as const) {
        const response = await store().search(typed, { limit: 50 });
        expect(response.corrections, typed).toHaveLength(1);
        const [correction] = response.corrections;
        expect(correction, typed).toMatchObject({ from: typed, to: intended, applied: true });
        expect(correction!.confidence, typed).toBeGreaterThan(0);
        expect(correction!.confidence, typed).toBeLessThanOrEqual(1);
        expect(response.interpreted, typed).toBe(intended);
        expect(response.results.length, typed).toBeGreaterThan(0);
        for (const r of response.results) {
          expect(has(r, intended), `${typed} → ${r.entry.title}`).toBe(true);
          expect(r.matchType).toBe('corrected');
        }
        // The confidence depends only on the words and the data, so it is the same on every dialect.
        expect((await store().search(typed.toLowerCase())).corrections[0]?.confidence).toBe(
          correction!.confidence,
        );
      }
    });

    it('does not rewrite a plausible English word the KB lacks into a different word', async () => {
      // `unclosed` is one letter pair from `closed`, `near` one key from `year`: both words of their own.
      for (const word of ['unclosed', 'NEAR', 'near', 'cold', 'form', 'three']) {
        const response = await store().search(word, { limit: 50 });
        expect(response.corrections, word).toEqual([]);
        expect(response.interpreted, word).toBe(word.toLowerCase());
        for (const r of response.results) expect(has(r, word), `${word} → ${r.entry.title}`).toBe(true);
      }
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

  describe('search: words the store holds are never corrected', () => {
    const store = useStore(target);

    it('finds a rare word as written, even when a far commoner word is one slip away', async () => {
      // Twenty-five entries say `zqwidget`; one says `zqwidgte` (a slip in the data, or a real name).
      await store().createEntries(
        Array.from({ length: 25 }, (_, i) =>
          sampleEntry('zqwidget', { title: `zqwidget sample entry ${i}` }),
        ),
      );
      const rare = await store().createEntry(sampleEntry('zqwidgte'));
      const response = await store().search('zqwidgte', { limit: 50 });
      expect(response.corrections).toEqual([]);
      expect(response.interpreted).toBe('zqwidgte');
      expect(response.results.map((r) => r.entry.id)).toEqual([rare]);
      expect(response.total).toBe(1);
      // A slip no entry holds is still corrected, to the commoner word.
      const typo = await store().search('zqwigdet', { limit: 50 });
      expect(typo.corrections).toMatchObject([{ from: 'zqwigdet', to: 'zqwidget', applied: true }]);
      expect(typo.total).toBe(25);
    });
  });

  describe('search: a correction that would find fewer entries is only a suggestion', () => {
    const store = useStore(target);

    it('answers the query as typed and marks any correction not applied', async () => {
      // A word of 101 letters (longer than a server dialect's vocabulary keeps, so only its index knows it)
      // one letter away from a 100-letter word: the typed word is in two entries, the "correction" in one.
      const held = `zq${'abcdefghij'.repeat(9)}abcdefgh`;
      const typed = `${held.slice(0, 50)}x${held.slice(50)}`;
      const problem = (word: string) => `Job PAYJ010D wrote ${word} to the log and ended.`;
      await store().createEntry(sampleEntry('zqcorrected', { problem: problem(held) }));
      const wanted = [
        await store().createEntry(sampleEntry('zqtypedone', { problem: problem(typed) })),
        await store().createEntry(sampleEntry('zqtypedtwo', { problem: problem(typed) })),
      ];
      const response = await store().search(typed, { limit: 50 });
      expect(response.results.map((r) => r.entry.id).sort()).toEqual(wanted.sort());
      expect(response.total).toBe(2);
      expect(response.interpreted).toBe(typed);
      for (const c of response.corrections) {
        expect(c).toMatchObject({ from: typed, to: held, applied: false });
        expect(c.confidence).toBeGreaterThan(0);
      }
      expect(response.results.every((r) => r.matchType === 'exact')).toBe(true);
    });
  });

  describe('search: a code in any written form, mixed with words (issue 19)', () => {
    const store = useStore(target);
    const ids = new Map<string, string>();
    beforeAll(async () => {
      for (const [key, entry] of Object.entries(CODE_ENTRIES)) ids.set(key, await store().createEntry(entry));
    });

    for (const [key, code, queries] of CODE_QUERIES) {
      for (const query of queries) {
        it(`finds the ${code} entry for '${query}', and only entries with ${code}`, async () => {
          const response = await store().search(query, { limit: 50 });
          const found = response.results.map((r) => r.entry.id);
          expect(found, response.interpreted).toContain(ids.get(key));
          for (const r of response.results) expect(has(r, code), `${query} → ${r.entry.title}`).toBe(true);
          expect(response.corrections).toEqual([]);
        });
      }
    }

    it('keeps a number after a code word next to it: status 35 is not status 37 with 35 records', async () => {
      const response = await store().search('VSAM status 35', { limit: 50 });
      expect(response.results.map((r) => r.entry.id)).toEqual([ids.get('vsam')]);
      // Without the code word the number is found anywhere, so both VSAM entries with a 35 answer.
      const bare = await store().search('VSAM 35', { limit: 50 });
      expect(new Set(bare.results.map((r) => r.entry.id))).toEqual(
        new Set([ids.get('vsam'), ids.get('vsam37')]),
      );
    });
  });
}
