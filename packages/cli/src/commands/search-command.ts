import type { CodeSearchHit, codePlugin } from '@mainframe-kb/plugin-code';
import {
  SEARCH_LIMIT_MAX,
  type SearchResponse,
  type Severity,
  type Storage,
} from '@mainframe-kb/storage-core';
import { UsageError } from '../cli-error.js';
import {
  type Command,
  type CommandContext,
  flag,
  stringList,
  stringOption,
  wholeNumber,
} from '../command.js';
import { renderSnippet } from '../output/snippet-format.js';

const USAGE = 'kb search <query> [--limit n] [--category c] [--severity s] [--tag t]… [--code]';

export interface SearchResultJson {
  id: string;
  title: string;
  score: number;
  snippet: string;
  category: string;
  severity: string;
  tags: string[];
}

/**
 * The `--json` document of a search (CLI.md): results, total and time, plus the corrections and facets when the
 * search produced them, and `approximate` when the engine ranked the strongest candidates rather than every
 * match.
 */
export function toSearchJson(response: SearchResponse): {
  results: SearchResultJson[];
  total: number;
  tookMs: number;
  corrections?: SearchResponse['corrections'];
  facets?: SearchResponse['facets'];
  approximate?: true;
} {
  const facets = response.facets;
  const hasFacets = facets.category.length + facets.severity.length + facets.tags.length > 0;
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
    ...(response.corrections.length > 0 && { corrections: response.corrections }),
    ...(hasFacets && { facets }),
    ...(response.approximate === true && { approximate: true as const }),
  };
}

/** Lines of code hits under the KB results (`kb search --code`). */
export function formatCodeHits(hits: readonly CodeSearchHit[]): string {
  if (hits.length === 0) return 'Code: nothing in the scanned code is named so.';
  return [
    'Code:',
    ...hits.map(
      (h) =>
        `  ${h.kind.padEnd(10)} ${h.name}  ${h.repository}:${h.path}:${h.line}${h.detail ? `  ${h.detail}` : ''}`,
    ),
  ].join('\n');
}

/**
 * Code named like the query's words (programs, paragraphs, copybook fields, data sets …), when the code
 * plugin is enabled on the store; undefined when it is not (the KB results stand alone).
 */
async function codeHits(storage: Storage, query: string): Promise<CodeSearchHit[] | undefined> {
  if (!storage.plugins.some((p) => p.id === 'code')) return undefined;
  const words = query
    .replace(/"/g, ' ')
    .replace(/\b\w+:\S+/g, ' ')
    .trim();
  if (words === '') return [];
  return storage.plugin<typeof codePlugin>('code').searchCode(words, { limit: 10 });
}

export function formatSearch(query: string, response: SearchResponse, bold: boolean): string {
  const lines: string[] = [];
  const fix = (c: SearchResponse['corrections'][number]) =>
    `${c.from} → ${c.to} (${Math.round(c.confidence * 100)}% sure)`;
  const applied = response.corrections.filter((c) => c.applied);
  const offered = response.corrections.filter((c) => !c.applied);
  if (applied.length > 0) {
    lines.push(`Searched for: ${response.interpreted} (corrected ${applied.map(fix).join(', ')})`, '');
  }
  if (offered.length > 0) {
    // The corrected query would find less than the query as typed: its results are shown, the fix offered.
    lines.push(`Did you mean ${offered.map(fix).join(', ')}? Showing results for what you typed.`, '');
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

/** The flags' filters in the query language, for a search that has no words. */
function filterQuery(ctx: CommandContext): string {
  const filters = [
    ...(stringList(ctx, 'category') ?? []).map((v) => ['category', v] as const),
    ...(stringList(ctx, 'severity') ?? []).map((v) => ['severity', v] as const),
    ...(stringList(ctx, 'tag') ?? []).map((v) => ['tag', v] as const),
  ];
  if (filters.length === 0) {
    throw new UsageError('kb search needs a query, a --category, a --severity or a --tag', USAGE);
  }
  return filters
    .map(([name, value]) => {
      if (value.includes('"')) throw new UsageError(`--${name} cannot contain a double quote`, USAGE);
      return `${name}:"${value}"`;
    })
    .join(' ');
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'full-text search with typo correction (quote phrases; category:, tag:, severity: filters)',
  usage: USAGE,
  details: [
    'The query may be several words: kb search VSAM status 35',
    '--tag t    repeat to require several tags.',
    '--code     also list scanned code named like the words (programs, paragraphs, fields, data sets …);',
    '           needs @mainframe-kb/plugin-code enabled',
  ],
  options: {
    limit: { type: 'string' },
    category: { type: 'string' },
    severity: { type: 'string' },
    tag: { type: 'string', multiple: true },
    code: { type: 'boolean' },
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  async run(ctx) {
    const written = ctx.positionals.join(' ');
    // A filter alone is a query: `kb search --category VSAM` is `kb search category:VSAM`.
    const query = written.trim() === '' ? filterQuery(ctx) : written;
    const limit = wholeNumber(ctx, 'limit', { min: 1, max: SEARCH_LIMIT_MAX }, USAGE);
    const storage = await ctx.openStorage();
    const response = await storage.search(query, {
      limit,
      category: stringOption(ctx, 'category'),
      severity: stringOption(ctx, 'severity') as Severity | undefined,
      tags: stringList(ctx, 'tag'),
      // Only the JSON document carries the facets; the text shows none, so it does not count them.
      facets: ctx.out.json,
    });
    if (!flag(ctx, 'code')) {
      ctx.out.emit(toSearchJson(response), () => formatSearch(query, response, ctx.out.bold));
      return 0;
    }
    const code = await codeHits(storage, query);
    if (code === undefined) {
      throw new UsageError(
        '--code needs the code plugin (@mainframe-kb/plugin-code) enabled in this store',
        USAGE,
      );
    }
    ctx.out.emit({ ...toSearchJson(response), code }, () =>
      [formatSearch(query, response, ctx.out.bold), '', formatCodeHits(code)].join('\n'),
    );
    return 0;
  },
};
