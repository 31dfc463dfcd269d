import { describe, expect, it } from 'vitest';
import { bm25Saturation } from './bm25.js';
import { ChampionIndex } from './champion-index.js';
import { EntryFacts } from './entry-facts.js';
import { FacetCounter } from './facet-counter.js';
import { resolveFilters } from './search-filters.js';

const WEIGHTS = [10, 4, 2, 6, 3];
const doc = (title: string, problem = '') => [title, problem, '', '', ''];

describe('ChampionIndex', () => {
  it('keeps, per term, the entries where it weighs most, best first, with exact saturations', () => {
    const index = new ChampionIndex(2, WEIGHTS, 4);
    index.addDocument(1, doc('vsam', 'vsam vsam status'));
    index.addDocument(2, doc('status', 'vsam'));
    index.addDocument(3, doc('vsam vsam', ''));
    index.finalize();
    const list = index.list('vsam')!;
    expect(list.size).toBe(2);
    expect(list.complete).toBe(false);
    // Entry 3 ("vsam vsam" in a two-word title) outweighs entry 1 (title + twice in a longer text).
    expect([...list.seqs]).toEqual([3, 1]);
    expect(list.impacts[0]).toBe(bm25Saturation(20, 2, 4));
    expect(list.impacts[1]).toBe(bm25Saturation(10 + 8, 4, 4));
    expect(list.floor).toBe(list.impacts[1]);
    expect(index.df('vsam')).toBe(3);
    expect(index.list('status')!.complete).toBe(true);
  });

  it('folds in entries added after the build, replacing their earlier impact', () => {
    const index = new ChampionIndex(3, WEIGHTS, 4);
    index.addDocument(1, doc('a'));
    index.finalize();
    expect(index.addDocument(2, doc('a a b'))).toEqual(['b']);
    expect([...index.list('a')!.seqs]).toEqual([2, 1]);
    index.addDocument(1, doc('a a a a'));
    expect([...index.list('a')!.seqs]).toEqual([1, 2]);
  });

  it('lists terms by prefix, most frequent first', () => {
    const index = new ChampionIndex(4, WEIGHTS, 4);
    index.addDocument(1, doc('abend abends'));
    index.addDocument(2, doc('abend abended'));
    index.addDocument(3, doc('abend'));
    index.finalize();
    expect(index.termsWithPrefix('abend', 10)).toEqual(['abend', 'abended', 'abends']);
    expect(index.termsWithPrefix('abend', 1)).toEqual(['abend']);
    expect(index.termsWithPrefix('zz', 5)).toEqual([]);
  });
});

describe('EntryFacts', () => {
  it('answers filters and facet counts by entry key', () => {
    const facts = new EntryFacts();
    facts.set(5, 'VSAM', 'high', ['vsam', 'catalog'], false);
    facts.set(9, 'JCL', 'low', ['jcl'], true);
    facts.set(2000, 'VSAM', 'medium', [], false);
    const f = (q: Partial<Parameters<typeof resolveFilters>[0]['filters']>, archived = false) =>
      resolveFilters({ clauses: [], filters: { categories: [], severities: [], tags: [], ...q } }, archived);
    expect(facts.passes(5, f({ categories: ['vsam'] }))).toBe(true);
    expect(facts.passes(5, f({ tags: ['vsam', 'catalog'] }))).toBe(true);
    expect(facts.passes(5, f({ tags: ['vsam', 'jcl'] }))).toBe(false);
    expect(facts.passes(9, f({}))).toBe(false);
    expect(facts.passes(9, f({}, true))).toBe(true);
    expect(facts.passes(2000, f({ severities: ['medium'] }))).toBe(true);
    expect(facts.passes(7, f({}))).toBe(false);
    facts.set(5, 'DB2', 'low', ['db2'], false);
    expect(facts.tags(5)).toEqual(['db2']);
    facts.delete(2000);
    expect(facts.size).toBe(2);
    const counter = new FacetCounter();
    facts.count(5, counter);
    facts.count(9, counter);
    expect(counter.facets().category).toEqual([
      { value: 'DB2', count: 1 },
      { value: 'JCL', count: 1 },
    ]);
  });

  it('scales sampled facet counts so each facet still sums to the total', () => {
    const counter = new FacetCounter();
    for (let i = 0; i < 7; i++) counter.add(i < 4 ? 'A' : i < 6 ? 'B' : 'C', 'high', ['t']);
    const scaled = counter.scaledFacets(100);
    expect(scaled.category.reduce((n, c) => n + c.count, 0)).toBe(100);
    expect(scaled.category[0]).toEqual({ value: 'A', count: 57 });
    expect(scaled.severity).toEqual([{ value: 'high', count: 100 }]);
  });
});
