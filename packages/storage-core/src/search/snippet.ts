import { type Token, tokenizeWithOffsets } from './tokenizer.js';

/**
 * Snippets are built in JavaScript from the entry's text, for the page of results only: asking the index
 * for `snippet()` would re-read and re-tokenise every candidate row inside the query. The best passage is
 * the window of a few dozen tokens holding the most distinct query terms (then the most hits), looked for in
 * the problem, then the solution, the title, the tags and the category; matched words are wrapped in
 * `<mark>…</mark>` and every other character is HTML-escaped, so an entry holding `<script>` cannot inject
 * markup into a page that renders the snippet.
 */

export interface SnippetSource {
  title: string;
  problem: string;
  solution: string;
  tags: readonly string[];
  category: string;
}

export interface SnippetOptions {
  /** Tokens in the window (default 24). */
  windowTokens?: number;
  /** Upper bound on the characters of source text shown (default 240). */
  maxChars?: number;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

interface Window {
  text: string;
  tokens: Token[];
  start: number;
  end: number;
  distinct: number;
  hits: number;
}

/** Best window of `size` tokens in one field: most distinct highlighted terms, then most highlights. */
function bestWindow(text: string, isHighlighted: (term: string) => boolean, size: number): Window {
  const tokens = tokenizeWithOffsets(text);
  const marked = tokens.map((t) => isHighlighted(t.term));
  let best: Window = { text, tokens, start: 0, end: Math.min(size, tokens.length), distinct: 0, hits: 0 };
  for (let i = 0; i < tokens.length; i++) {
    if (!marked[i]) continue;
    // Open the window a few tokens before the hit, so the passage reads as a sentence.
    const start = Math.max(0, Math.min(i - 3, tokens.length - size));
    const end = Math.min(tokens.length, start + size);
    const terms = new Set<string>();
    let hits = 0;
    for (let k = start; k < end; k++) {
      if (marked[k]) {
        hits++;
        terms.add(tokens[k]!.term);
      }
    }
    if (terms.size > best.distinct || (terms.size === best.distinct && hits > best.hits)) {
      best = { text, tokens, start, end, distinct: terms.size, hits };
    }
  }
  return best;
}

function render(w: Window, isHighlighted: (term: string) => boolean, maxChars: number): string {
  const { text, tokens } = w;
  if (tokens.length === 0) {
    const flat = text.trim();
    return escapeHtml(flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat);
  }
  const from = tokens[w.start]!.start;
  let out = w.start > 0 || text.slice(0, from).trim() !== '' ? '…' : '';
  let cursor = from;
  let budget = maxChars;
  let cut = false;
  for (let k = w.start; k < w.end; k++) {
    const t = tokens[k]!;
    const gap = text.slice(cursor, t.start);
    const word = text.slice(t.start, t.end);
    if (budget - gap.length - word.length < 0 && k > w.start) {
      cut = true;
      break;
    }
    const shown = word.length > budget ? `${word.slice(0, Math.max(budget, 1))}` : word;
    out += escapeHtml(gap.replace(/\s+/g, ' '));
    out += isHighlighted(t.term) ? `<mark>${escapeHtml(shown)}</mark>` : escapeHtml(shown);
    budget -= gap.length + word.length;
    cursor = t.end;
    if (shown.length < word.length) {
      cut = true;
      break;
    }
  }
  if (cut || cursor < text.length) {
    const rest = text.slice(cursor);
    // Closing punctuation right after the last word reads better than an ellipsis in front of it.
    const tail = /^[^\s\p{L}\p{N}]{1,2}(?=\s|$)/u.exec(rest)?.[0] ?? '';
    out += escapeHtml(tail);
    if (cut || rest.slice(tail.length).trim() !== '') out += '…';
  }
  return out;
}

/**
 * The `<mark>`ed passage of an entry that best shows why it matched. `isHighlighted` decides which terms
 * are marked (see DocumentMatcher.isHighlighted).
 */
export function buildSnippet(
  entry: SnippetSource,
  isHighlighted: (term: string) => boolean,
  options: SnippetOptions = {},
): string {
  const size = options.windowTokens ?? 24;
  const maxChars = options.maxChars ?? 240;
  const fields = [entry.problem, entry.solution, entry.title, entry.tags.join(' '), entry.category];
  let best: Window | undefined;
  for (const text of fields) {
    const w = bestWindow(text, isHighlighted, size);
    if (!best || w.distinct > best.distinct || (w.distinct === best.distinct && w.hits > best.hits)) best = w;
  }
  return render(best!, isHighlighted, maxChars);
}
