import type { SearchResponse, Severity } from '@mainframe-kb/storage-core';
import { UsageError } from '../cli-error.js';
import { type Command, stringList, stringOption } from '../command.js';
import { renderSnippet } from '../output/snippet-format.js';

const USAGE = 'kb search <query> [--limit n] [--category c] [--severity s] [--tag t]…';

export interface SearchResultJson {
  id: string;
  title: string;
  score: number;
  snippet: string;
  category: string;
  severity: string;
  tags: string[];
}

export function toSearchJson(response: SearchResponse): {
  results: SearchResultJson[];
  total: number;
  tookMs: number;
} {
  return {
    results: response.results.map((r) => ({
      id: r.entry.id,
      title: r.entry.title,
      score: r.score,
      snippet: r.snippet,
      category: r.entry.category,
      severity: r.entry.severity,
      tags: [...r.entry.tags],
    })),
    total: response.total,
    tookMs: response.tookMs,
  };
}

export function formatSearch(query: string, response: SearchResponse, bold: boolean): string {
  const lines: string[] = [];
  if (response.corrections.length > 0) {
    const fixes = response.corrections.map((c) => `${c.from} → ${c.to}`).join(', ');
    lines.push(`Searched for: ${response.interpreted} (corrected ${fixes})`, '');
  }
  if (response.results.length === 0) {
    lines.push(`No entries match "${query}".`);
    return lines.join('\n');
  }
  const width = String(response.results.length).length;
  response.results.forEach((r, i) => {
    const pad = ' '.repeat(width + 2);
    const title = bold ? `\x1b[1m${r.entry.title}\x1b[22m` : r.entry.title;
    const tags = r.entry.tags.length > 0 ? ` · ${r.entry.tags.join(', ')}` : '';
    lines.push(`${String(i + 1).padStart(width)}. ${title}`);
    lines.push(`${pad}${r.entry.category} · ${r.entry.severity}${tags}`);
    lines.push(`${pad}${renderSnippet(r.snippet, bold)}`);
    lines.push(`${pad}id ${r.entry.id} · score ${r.score.toFixed(2)}`);
    lines.push('');
  });
  const shown = response.results.length;
  lines.push(
    `${shown === response.total ? `${shown}` : `${shown} of ${response.total}`} match${response.total === 1 ? '' : 'es'} in ${response.tookMs.toFixed(1)} ms`,
  );
  return lines.join('\n');
}

function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--limit takes a whole number, not '${value}'`, USAGE);
  // The range (1–100) is the store's to check; it answers with VALIDATION (exit 3).
  return Number(value);
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'full-text search with typo correction (quote phrases; category:, tag:, severity: filters)',
  usage: USAGE,
  details: [
    'The query may be several words: kb search VSAM status 35',
    '--tag t    repeat to require several tags.',
  ],
  options: {
    limit: { type: 'string' },
    category: { type: 'string' },
    severity: { type: 'string' },
    tag: { type: 'string', multiple: true },
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  async run(ctx) {
    const query = ctx.positionals.join(' ');
    const limit = parseLimit(stringOption(ctx, 'limit'));
    const storage = await ctx.openStorage();
    const response = await storage.search(query, {
      limit,
      category: stringOption(ctx, 'category'),
      severity: stringOption(ctx, 'severity') as Severity | undefined,
      tags: stringList(ctx, 'tag'),
    });
    ctx.out.emit(toSearchJson(response), () => formatSearch(query, response, ctx.out.bold));
    return 0;
  },
};
