import { get } from '../api.js';
import { clear, field, h, select, snippetNodes } from '../dom.js';
import { events } from '../events.js';
import type { Screen } from '../screen.js';
import type { Entry } from './entry.js';

interface FacetCount {
  value: string;
  count: number;
}

interface SearchResponse {
  results: { entry: Entry; score: number; matchType: string; snippet: string; matchedTerms: string[] }[];
  total: number;
  facets: { category: FacetCount[]; severity: FacetCount[]; tags: FacetCount[] };
  corrections: { from: string; to: string; confidence: number; applied: boolean }[];
  interpreted: string;
  tookMs: number;
  approximate?: boolean;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const SORTS = ['relevance', 'usage', 'recent', 'success'];
const FILTERS = ['category', 'severity', 'tags', 'sortBy', 'includeArchived'] as const;

export const searchScreen: Screen = {
  path: 'search',
  title: 'Search',
  nav: true,
  async render(root, ctx) {
    const params = ctx.params;
    const q = params.get('q') ?? '';
    const input = h('input', {
      type: 'search',
      name: 'q',
      value: q,
      placeholder: 'S0C7, "VSAM status 35", category:DB2 -archived…',
      autocomplete: 'off',
    });
    const severity = select('severity', SEVERITIES, params.get('severity'), 'any severity');
    const sortBy = select('sortBy', SORTS, params.get('sortBy'), 'relevance');
    const category = h('input', {
      type: 'text',
      name: 'category',
      value: params.get('category') ?? '',
      size: 10,
    });
    const archived = h('input', { type: 'checkbox', name: 'includeArchived', id: 'f-archived' });
    archived.checked = params.get('includeArchived') === 'true';
    const form = h(
      'form',
      { class: 'search-form', role: 'search' },
      field(
        'Search the knowledge base',
        input,
        'Words, "exact phrases", -excluded, and filters like category:VSAM severity:high tag:s0c7.',
      ),
      h(
        'div',
        { class: 'filters' },
        field('Category', category),
        field('Severity', severity),
        field('Sort by', sortBy),
        h('div', { class: 'field check' }, archived, h('label', { for: 'f-archived' }, 'Include archived')),
      ),
      h('button', { type: 'submit' }, 'Search'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = new URLSearchParams();
      if (input.value.trim()) next.set('q', input.value.trim());
      if (category.value.trim()) next.set('category', category.value.trim());
      if (severity.value) next.set('severity', severity.value);
      if (sortBy.value) next.set('sortBy', sortBy.value);
      if (params.get('tags')) next.set('tags', params.get('tags') as string);
      if (archived.checked) next.set('includeArchived', 'true');
      ctx.navigate(`#/search?${next}`);
    });
    const results = h('section', { 'aria-live': 'polite', 'aria-label': 'Results' });
    root.append(h('h1', {}, 'Search'), form, results);
    if (ctx.me.role !== 'viewer')
      root.insertBefore(h('p', {}, h('a', { href: '#/new' }, 'New entry')), results);
    if (!q && !FILTERS.some((k) => params.get(k))) {
      results.append(h('p', { class: 'muted' }, 'Type a symptom, an abend code or an error message.'));
      return;
    }
    const run = async () => {
      const query: Record<string, string> = { q: q || '*', limit: '20' };
      for (const k of FILTERS) if (params.get(k)) query[k] = params.get(k) as string;
      if (!q) query.q = '';
      const response = await get<SearchResponse>('/api/search', query);
      clear(results);
      showResults(results, response, params, ctx.navigate);
    };
    await run();
    const shown = () =>
      new Set([...results.querySelectorAll('[data-entry-id]')].map((el) => el.getAttribute('data-entry-id')));
    ctx.onLeave(
      events.on((event) => {
        if (!event.type.startsWith('entry:') || event.type === 'entry:used') return;
        const p = event.payload as { id?: string; entry?: { id?: string } };
        const id = p.id ?? p.entry?.id;
        if (event.type === 'entry:created' || (id && shown().has(id))) void run();
      }),
    );
  },
};

function showResults(
  out: HTMLElement,
  r: SearchResponse,
  params: URLSearchParams,
  navigate: (h: string) => void,
): void {
  const summary = h(
    'p',
    { class: 'summary' },
    `${r.approximate ? 'About ' : ''}${r.total} result${r.total === 1 ? '' : 's'} in ${r.tookMs.toFixed(0)} ms`,
  );
  out.append(summary);
  const fixes = (list: SearchResponse['corrections']) =>
    list.map((c, i) => [
      i > 0 ? ', ' : '',
      h('del', {}, c.from),
      ' → ',
      h('ins', {}, c.to),
      ` (${Math.round(c.confidence * 100)}% sure)`,
    ]);
  const applied = r.corrections.filter((c) => c.applied);
  const offered = r.corrections.filter((c) => !c.applied);
  if (applied.length > 0) {
    out.append(
      h(
        'p',
        { class: 'corrections' },
        'Showing results for ',
        h('strong', {}, r.interpreted),
        ' — corrected ',
        fixes(applied),
      ),
    );
  }
  if (offered.length > 0) {
    out.append(
      h(
        'p',
        { class: 'corrections' },
        'Did you mean ',
        fixes(offered),
        '? Showing results for what you typed.',
      ),
    );
  }
  const facetList = (name: 'category' | 'severity' | 'tags', title: string) => {
    const items = r.facets[name].slice(0, 10);
    if (items.length === 0) return null;
    return h(
      'div',
      { class: 'facet' },
      h('h2', {}, title),
      h(
        'ul',
        {},
        items.map((f) => {
          const next = new URLSearchParams(params);
          next.set(name, f.value);
          const active = params.get(name) === f.value;
          return h(
            'li',
            {},
            h(
              'a',
              {
                href: `#/search?${next}`,
                'aria-current': active ? 'true' : null,
                onclick: (e: Event) => {
                  e.preventDefault();
                  navigate(`#/search?${next}`);
                },
              },
              `${f.value} (${f.count})`,
            ),
          );
        }),
      ),
    );
  };
  const list = h(
    'ol',
    { class: 'results' },
    r.results.map((res) =>
      h(
        'li',
        { 'data-entry-id': res.entry.id },
        h('h3', {}, h('a', { href: `#/entry/${encodeURIComponent(res.entry.id)}` }, res.entry.title)),
        h('p', { class: 'snippet' }, snippetNodes(res.snippet)),
        h(
          'p',
          { class: 'meta' },
          h('span', { class: 'chip' }, res.entry.category),
          ' ',
          h('span', { class: `chip sev-${res.entry.severity}` }, res.entry.severity),
          ' ',
          res.entry.tags.slice(0, 6).map((t) => [h('span', { class: 'chip tag' }, t), ' ']),
          h('span', { class: 'muted' }, `${res.matchType} · used ${res.entry.usageCount}×`),
        ),
      ),
    ),
  );
  out.append(
    h(
      'div',
      { class: 'search-layout' },
      h(
        'aside',
        { 'aria-label': 'Facets' },
        facetList('category', 'Category'),
        facetList('severity', 'Severity'),
        facetList('tags', 'Tags'),
      ),
      list,
    ),
  );
  if (r.results.length === 0) out.append(h('p', {}, 'No entry matches.'));
}
