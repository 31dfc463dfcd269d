import { describe, expect, it } from 'vitest';
import { renderSnippet } from './snippet-format.js';

describe('renderSnippet', () => {
  const snippet =
    'Job abends with <mark>S0C7</mark> when A &lt; B &amp;&amp;\n <mark>packed</mark> &quot;x&quot;';

  it('brackets matched terms where bold cannot show', () => {
    expect(renderSnippet(snippet, false)).toBe('Job abends with [S0C7] when A < B && [packed] "x"');
  });

  it('bolds matched terms on a terminal', () => {
    expect(renderSnippet(snippet, true)).toBe(
      'Job abends with \x1b[1mS0C7\x1b[22m when A < B && \x1b[1mpacked\x1b[22m "x"',
    );
  });

  it('decodes each entity once', () => {
    expect(renderSnippet('&amp;lt;mark&amp;gt; &#39;q&#39;', false)).toBe("&lt;mark&gt; 'q'");
  });
});
