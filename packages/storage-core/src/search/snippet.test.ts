import { describe, expect, it } from 'vitest';
import { DocumentMatcher } from './document-matcher.js';
import { parseQuery } from './query-parser.js';
import { buildSnippet, escapeHtml, type SnippetSource } from './snippet.js';

const entry = (over: Partial<SnippetSource>): SnippetSource => ({
  title: 'Title',
  problem: 'Problem text.',
  solution: 'Solution text.',
  tags: [],
  category: 'JCL',
  ...over,
});

function snippet(query: string, source: SnippetSource, windowTokens?: number): string {
  const matcher = new DocumentMatcher(parseQuery(query), [10, 4, 2, 6, 3]);
  return buildSnippet(source, (t) => matcher.isHighlighted(t), windowTokens ? { windowTokens } : {});
}

describe('buildSnippet', () => {
  it('marks the matched words of the best passage and escapes everything else', () => {
    const s = snippet(
      's0c7 data',
      entry({ problem: 'Operator typed <script>alert("x")</script> & then S0C7 hit: DATA exception.' }),
    );
    expect(s).toContain('<mark>S0C7</mark>');
    expect(s).toContain('<mark>DATA</mark>');
    expect(s).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;');
    expect(s.replaceAll('<mark>', '').replaceAll('</mark>', '')).not.toMatch(/[<>]/);
  });

  it('picks the window with the most distinct query terms, and says where text was cut', () => {
    const filler = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const s = snippet(
      'vsam catalog',
      entry({ problem: `vsam ${filler} here the vsam catalog entry was wrong ${filler}` }),
      12,
    );
    expect(s.startsWith('…')).toBe(true);
    expect(s.endsWith('…')).toBe(true);
    expect(s).toContain('<mark>vsam</mark> <mark>catalog</mark>');
  });

  it('falls back to the title, tags or category when the text does not hold the terms', () => {
    expect(snippet('zqunique', entry({ title: 'The zqunique title' }))).toBe(
      'The <mark>zqunique</mark> title',
    );
    expect(snippet('status', entry({ tags: ['vsam', 'status-35'] }))).toBe('vsam <mark>status</mark>-35');
    expect(snippet('nothing', entry({}))).toBe('Problem text.');
  });

  it('marks prefix expansions and folded spellings, keeping the original text', () => {
    expect(snippet('abend*', entry({ problem: 'The job ABENDED twice.' }))).toBe(
      'The job <mark>ABENDED</mark> twice.',
    );
    expect(snippet('contratacao', entry({ problem: 'Erro na Contratação.' }))).toBe(
      'Erro na <mark>Contratação</mark>.',
    );
  });

  it('bounds the length of a snippet, even for one enormous word', () => {
    const s = snippet('x', entry({ problem: `${'y'.repeat(5000)} x` }));
    expect(s.length).toBeLessThan(300);
  });

  it('escapes all five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
