import { ApiError, api, get, upload } from '../api.js';
import { barChart } from '../chart.js';
import { append, type Children, field, formatTime, h, select, table } from '../dom.js';
import { act, can, problemBox, type Screen, type ScreenContext } from '../screen.js';

// ─── What the API answers (apps/demo/src/routes/patterns-schemas.ts) ──────────────────────────────────

type Severity = 'critical' | 'high' | 'medium' | 'low';

interface Incident {
  id: string;
  source: string;
  ticketId: string;
  title: string;
  description: string;
  component: string | null;
  severity: Severity | null;
  status: string;
  createdAt: string;
  resolvedAt: string | null;
  kbEntryId: string | null;
  errorCodes: string[];
}

interface IncidentPage {
  incidents: Incident[];
  offset: number;
  limit: number;
  hasMore: boolean;
}

interface ImportError {
  record: number;
  location: string;
  field: string | null;
  message: string;
}

interface ImportResult {
  source: string;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  errors: ImportError[];
  dryRun: boolean;
  written: boolean;
}

interface Timeline {
  interval: 'hour' | 'day';
  by: string;
  buckets: string[];
  series: { key: string | null; counts: number[]; total: number }[];
  totals: number[];
  total: number;
}

interface Pattern {
  id: string;
  type: string;
  origin: 'detected' | 'manual';
  status: string;
  description: string;
  confidence: number;
  frequency: number;
  severity: Severity | null;
  component: string | null;
  errorCode: string | null;
  firstSeen: string;
  lastSeen: string;
}

interface PatternDetail extends Pattern {
  incidents: { incidentId: string; correlationScore: number }[];
  incidentDetails: (Incident & { correlationScore: number })[];
  kbLinks: { patternId: string; kbEntryId: string; linkType: string; score: number; createdAt: string }[];
  suggestion: {
    title: string;
    problem: string;
    category: string;
    tags: string[];
    status: 'open' | 'accepted' | 'dismissed';
  } | null;
}

interface DetectionSummary {
  incidents: number;
  patterns: number;
  byType: Record<string, number>;
  created: number;
  updated: number;
  removed: number;
  critical: string[];
  kbLinked: number;
  suggestions: number;
  tookMs: number;
}

const SOURCES: [string, string][] = [
  ['servicenow', 'ServiceNow'],
  ['jira', 'Jira'],
  ['splunk', 'Splunk'],
];
const SEVERITIES = ['critical', 'high', 'medium', 'low'];
const INCIDENT_STATUSES = ['open', 'resolved', 'closed'];
const PATTERN_STATUSES = ['active', 'acknowledged', 'resolved', 'dismissed'];
const PATTERN_TYPES = ['temporal', 'component', 'error', 'correlation'];
const DIMENSIONS: [string, string][] = [
  ['severity', 'severity'],
  ['source', 'source'],
  ['component', 'component'],
  ['errorCode', 'error code'],
];
const PAGE = 50;

// ─── Small helpers, shared with the code screen ──────────────────────────────────────────────────────

/** A select of `options` (value, or [value, label]); `any` adds a first empty option. */
export function choice(
  name: string,
  options: (string | [string, string])[],
  any?: string,
  value = '',
): HTMLSelectElement {
  // Without an empty option, the first is chosen unless `value` names another.
  return select(name, options, value !== '' || any !== undefined ? value : undefined, any);
}

/** A checkbox labelled by `field()`, laid out on one line. */
export function checkbox(
  label: string,
  name: string,
  hint?: string,
): { input: HTMLInputElement; el: HTMLElement } {
  const input = h('input', { type: 'checkbox', name });
  const el = field(label, input, hint);
  el.classList.add('check');
  return { input, el };
}

/** An upload's progress bar, hidden until an upload starts. */
export function progressBar(): { el: HTMLElement; start(): void; set(fraction: number): void } {
  const bar = h('progress', { max: 1, value: 0 });
  const el = field('Upload progress', bar);
  el.classList.add('progress-field');
  el.hidden = true;
  return {
    el,
    start() {
      bar.value = 0;
      el.hidden = false;
    },
    set(fraction) {
      bar.value = fraction;
    },
  };
}

/** A section headed by an h2 the section is named by. */
export function section(title: string, ...children: Children[]): HTMLElement {
  const id = `s-${Math.random().toString(36).slice(2, 9)}`;
  return h('section', { 'aria-labelledby': id, class: 'block' }, h('h2', { id }, title), children);
}

/** A link to a KB entry, named by its title once known (the id until then, or when it is gone). */
export function entryLink(id: string): HTMLAnchorElement {
  const link = h('a', { href: `#/entry/${encodeURIComponent(id)}` }, id);
  void get<{ title: string }>(`/api/entries/${encodeURIComponent(id)}`).then(
    (entry) => {
      link.textContent = entry.title;
    },
    () => {
      link.append(' (not found)');
    },
  );
  return link;
}

/**
 * Finds a KB entry by words and offers the matches in a select: the editor links the one chosen. Returns the
 * controls and the chosen entry's id.
 */
export function entryPicker(): { el: HTMLElement; chosen(): string } {
  const query = h('input', { type: 'search', name: 'entry-query', autocomplete: 'off' });
  const pick = choice('kbEntryId', [], 'find an entry first');
  const find = h('button', { type: 'button', class: 'secondary' }, 'Find entries');
  const out = h('div', { 'aria-live': 'polite' });
  const run = () =>
    act(find, out, async () => {
      const words = query.value.trim();
      if (words === '') throw new Error('Type words of the KB entry to find it (a title, an abend code…).');
      const found = await get<{ results: { entry: { id: string; title: string } }[] }>('/api/search', {
        q: words,
        limit: 10,
      });
      pick.replaceChildren(
        ...(found.results.length === 0
          ? [h('option', { value: '' }, 'no entry matches')]
          : found.results.map((r) => h('option', { value: r.entry.id }, r.entry.title))),
      );
    });
  find.addEventListener('click', () => void run());
  query.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      void run();
    }
  });
  return {
    el: h(
      'div',
      { class: 'filters tools' },
      field('Find a KB entry', query),
      find,
      field('KB entry', pick),
      out,
    ),
    chosen: () => pick.value,
  };
}

/** Replaces what `el` shows (children may be null, as with `h`). */
export function fill(el: HTMLElement, ...children: Children[]): void {
  el.replaceChildren();
  append(el, children);
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
const chip = (text: string | null, cls = '') =>
  text ? [h('span', { class: `chip ${cls}`.trim() }, text), ' '] : null;

/** Uploads go as raw bytes whatever the file's name says (a `.json` would otherwise travel as JSON). */
const asBytes = (file: Blob) => new Blob([file], { type: 'application/octet-stream' });

// ─── The screen ──────────────────────────────────────────────────────────────────────────────────────

export const incidentsScreen: Screen = {
  path: 'incidents',
  title: 'Incidents',
  nav: true,
  plugin: { id: 'patterns', package: '@mainframe-kb/plugin-patterns' },
  async render(root, ctx) {
    if (ctx.segments[0] === 'pattern' && ctx.segments[1]) {
      await renderPattern(root, ctx, ctx.segments[1]);
      return;
    }
    const list = incidentList();
    const timeline = timelineSection();
    const patterns = patternList(ctx);
    const refresh = async () => {
      await Promise.all([list.load(0), timeline.load(), patterns.load()]);
    };
    root.append(h('h1', {}, 'Incidents'));
    if (can(ctx.me, 'editor')) root.append(importSection(refresh));
    root.append(list.el, timeline.el, patterns.el);
    await refresh();
  },
};

function importSection(refresh: () => Promise<void>): HTMLElement {
  const file = h('input', {
    type: 'file',
    name: 'file',
    required: true,
    accept: '.json,.ndjson,.jsonl,.csv,.txt,application/json,text/csv,text/plain',
  });
  const source = choice('source', SOURCES, undefined, 'servicenow');
  const onConflict = choice('onConflict', [
    ['update', 'update it'],
    ['skip', 'skip it'],
    ['fail', 'refuse the import'],
  ]);
  const dryRun = checkbox('Dry run', 'dryRun', 'check and count, write nothing');
  const progress = progressBar();
  const button = h('button', { type: 'submit' }, 'Import');
  const out = h('div', { 'aria-live': 'polite', class: 'result' });
  const form = h(
    'form',
    { class: 'card' },
    h(
      'div',
      { class: 'filters tools' },
      field('Export file', file, 'JSON, NDJSON or CSV, as the tool exported it'),
      field('Source', source),
      field('A ticket already stored', onConflict),
      dryRun.el,
      button,
    ),
    progress.el,
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, async () => {
      const chosen = file.files?.[0];
      if (!chosen) throw new Error('Choose the export file to import.');
      const query = new URLSearchParams({ source: source.value, onConflict: onConflict.value });
      if (dryRun.input.checked) query.set('dryRun', 'true');
      progress.start();
      try {
        const result = await upload<ImportResult>(
          `/api/incidents/import?${query}`,
          asBytes(chosen),
          progress.set,
        );
        out.replaceChildren(importResult(result, chosen.name));
        if (result.written) await refresh();
      } catch (error) {
        // A refused import (422) carries the whole import result: show its errors record by record.
        const details =
          error instanceof ApiError ? (error.problem.details as ImportResult | undefined) : undefined;
        if (error instanceof ApiError && details && Array.isArray(details.errors)) {
          out.replaceChildren(
            problemBox(new ApiError({ ...error.problem, issues: [] })),
            importResult(details, chosen.name),
          );
          return;
        }
        throw error;
      }
    });
  });
  return section('Import incidents', form);
}

function importResult(r: ImportResult, name: string): HTMLElement {
  const what = r.dryRun
    ? `Dry run of ${name}: nothing was written.`
    : r.written
      ? `Imported ${name}.`
      : `${name} was not imported: nothing was written.`;
  return h(
    'div',
    {},
    h('p', { role: 'status' }, what),
    table(
      'Import counts',
      ['records', 'inserted', 'updated', 'unchanged', 'skipped', 'errors'],
      [[r.records, r.inserted, r.updated, r.unchanged, r.skipped, r.errors.length].map(String)],
    ),
    r.errors.length === 0
      ? null
      : table(
          'Records that cannot be imported',
          ['record', 'where', 'field', 'problem'],
          r.errors.map((e) => [
            e.record === 0 ? 'the file' : String(e.record),
            e.location,
            e.field ?? '—',
            e.message,
          ]),
        ),
  );
}

function incidentRows(incidents: (Incident & { correlationScore?: number })[], withScore = false) {
  return incidents.map((i) => [
    i.ticketId,
    formatTime(i.createdAt),
    i.title,
    i.component ?? '—',
    i.severity ? h('span', { class: `chip sev-${i.severity}` }, i.severity) : '—',
    i.status,
    i.errorCodes.join(', '),
    i.kbEntryId ? entryLink(i.kbEntryId) : '—',
    ...(withScore ? [percent(i.correlationScore ?? 0)] : []),
  ]);
}

const INCIDENT_HEADERS = [
  'ticket',
  'created',
  'title',
  'component',
  'severity',
  'status',
  'codes',
  'KB entry',
];

function incidentList(): { el: HTMLElement; load(offset: number): Promise<void> } {
  const status = choice('status', INCIDENT_STATUSES, 'any status');
  const severity = choice('severity', SEVERITIES, 'any severity');
  const component = h('input', { type: 'text', name: 'component', size: 12 });
  const text = h('input', { type: 'search', name: 'text', autocomplete: 'off' });
  const button = h('button', { type: 'submit' }, 'Filter');
  const out = h('div', { 'aria-live': 'polite' });
  let offset = 0;
  const load = async (at: number) => {
    offset = at;
    const page = await get<IncidentPage>('/api/incidents', {
      status: status.value,
      severity: severity.value,
      component: component.value.trim(),
      text: text.value.trim(),
      limit: PAGE,
      offset,
    });
    const pager = h('div', { class: 'actions' });
    if (offset > 0) {
      pager.append(
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: (e: Event) => turn(e, offset - PAGE) },
          'Previous incidents',
        ),
      );
    }
    if (page.hasMore) {
      pager.append(
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: (e: Event) => turn(e, offset + PAGE) },
          'Next incidents',
        ),
      );
    }
    out.replaceChildren(
      page.incidents.length === 0
        ? h('p', { class: 'muted' }, offset === 0 ? 'No incident matches.' : 'No more incidents.')
        : h(
            'div',
            { class: 'table-scroll' },
            table(
              `Incidents ${offset + 1}–${offset + page.incidents.length}, oldest first`,
              INCIDENT_HEADERS,
              incidentRows(page.incidents),
            ),
          ),
      pager,
    );
  };
  const turn = (e: Event, at: number) =>
    void act(e.currentTarget as HTMLButtonElement, out, () => load(Math.max(0, at)));
  const form = h(
    'form',
    { class: 'filters tools', role: 'search', 'aria-label': 'Filter incidents' },
    field('Status', status),
    field('Severity', severity),
    field('Component', component),
    field('Text', text, 'in the title or description'),
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, () => load(0));
  });
  return {
    el: section('Incident list', form, out),
    load: (at) => load(at).catch((error) => out.replaceChildren(problemBox(error))),
  };
}

function timelineSection(): { el: HTMLElement; load(): Promise<void> } {
  const interval = choice('interval', [
    ['day', 'day'],
    ['hour', 'hour'],
  ]);
  const by = choice('by', DIMENSIONS);
  const only = choice('key', [], `every ${by.value}`);
  const button = h('button', { type: 'submit' }, 'Show timeline');
  const out = h('div', { 'aria-live': 'polite' });
  by.addEventListener('change', () => {
    only.replaceChildren(h('option', { value: '' }, `every ${by.selectedOptions[0]?.textContent ?? ''}`));
  });
  const load = async () => {
    const key = only.value;
    const t = await get<Timeline>('/api/incidents/timeline', {
      interval: interval.value,
      by: by.value,
      key,
    });
    const dimension = by.selectedOptions[0]?.textContent ?? t.by;
    if (key === '') {
      // The values of the dimension, offered to chart one of them alone.
      only.replaceChildren(
        h('option', { value: '' }, `every ${dimension}`),
        ...t.series.filter((s) => s.key !== null).map((s) => h('option', { value: s.key as string }, s.key)),
      );
    }
    if (t.total === 0) {
      out.replaceChildren(h('p', { class: 'muted' }, 'No incident to count.'));
      return;
    }
    const title = `Incidents per ${t.interval}${key ? ` (${dimension} ${key})` : ''}`;
    out.replaceChildren(
      h(
        'div',
        { class: 'timeline' },
        barChart(
          title,
          t.buckets.map((label, i) => ({ label, value: t.totals[i] ?? 0 })),
        ),
        table(
          `Incidents by ${dimension}`,
          [dimension, 'incidents'],
          t.series.map((s) => [s.key ?? '(none)', String(s.total)]),
        ),
      ),
    );
  };
  const form = h(
    'form',
    { class: 'filters tools', 'aria-label': 'Timeline options' },
    field('Count per', interval),
    field('Break down by', by),
    field('Show', only),
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, load);
  });
  return {
    el: section('Timeline', form, out),
    load: () => load().catch((error) => out.replaceChildren(problemBox(error))),
  };
}

function patternList(ctx: ScreenContext): { el: HTMLElement; load(): Promise<void> } {
  const status = choice('status', PATTERN_STATUSES, 'any status');
  const type = choice('type', PATTERN_TYPES, 'any type');
  const button = h('button', { type: 'submit' }, 'Filter patterns');
  const out = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const page = await get<{ patterns: Pattern[]; hasMore: boolean }>('/api/patterns', {
      status: status.value,
      type: type.value,
      limit: 100,
    });
    fill(
      out,
      page.patterns.length === 0
        ? h('p', { class: 'muted' }, 'No pattern matches.')
        : table(
            'Patterns, most confident first',
            [
              'pattern',
              'type',
              'status',
              'severity',
              'component',
              'code',
              'incidents',
              'confidence',
              'last seen',
            ],
            page.patterns.map((p) => [
              h('a', { href: `#/incidents/pattern/${encodeURIComponent(p.id)}` }, p.description),
              p.type,
              p.status,
              p.severity ? h('span', { class: `chip sev-${p.severity}` }, p.severity) : '—',
              p.component ?? '—',
              p.errorCode ?? '—',
              String(p.frequency),
              percent(p.confidence),
              formatTime(p.lastSeen),
            ]),
          ),
      page.hasMore
        ? h('p', { class: 'muted' }, 'The 100 most confident are shown: filter to see others.')
        : null,
    );
  };
  const filters = h(
    'form',
    { class: 'filters tools', 'aria-label': 'Filter patterns' },
    field('Status', status),
    field('Type', type),
    button,
  );
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, load);
  });
  const children: Node[] = [];
  if (can(ctx.me, 'editor')) {
    const detected = h('div', { 'aria-live': 'polite' });
    const detect = h('button', { type: 'button' }, 'Detect patterns');
    detect.addEventListener('click', () => {
      void act(detect, detected, async () => {
        const s = await api<DetectionSummary>('POST', '/api/patterns/detect');
        fill(
          detected,
          h(
            'p',
            { role: 'status' },
            `Detection over ${s.incidents} incidents found ${s.patterns} patterns: ${s.created} new, ${s.updated} updated, ${s.removed} removed; ${s.kbLinked} linked to KB entries, ${s.suggestions} KB entries suggested (${s.tookMs.toFixed(0)} ms).`,
          ),
          s.critical.length > 0
            ? h('p', { class: 'banner warn' }, `${s.critical.length} pattern(s) became critical.`)
            : null,
        );
        ctx.notify('Pattern detection finished');
        await load();
      });
    });
    children.push(
      h(
        'div',
        { class: 'actions' },
        detect,
        h('span', { class: 'muted' }, 'Runs over every incident and replaces the detected patterns.'),
      ),
      detected,
    );
  }
  return {
    el: section('Patterns', children, filters, out),
    load: () => load().catch((error) => out.replaceChildren(problemBox(error))),
  };
}

// ─── One pattern ─────────────────────────────────────────────────────────────────────────────────────

async function renderPattern(root: HTMLElement, ctx: ScreenContext, id: string): Promise<void> {
  const path = `/api/patterns/${encodeURIComponent(id)}`;
  const detail = await get<PatternDetail>(path, { incidentLimit: 200 });
  const draw = (p: PatternDetail) => root.replaceChildren(...patternView(p, ctx, path, draw));
  draw(detail);
}

function patternView(
  p: PatternDetail,
  ctx: ScreenContext,
  path: string,
  draw: (p: PatternDetail) => void,
): Node[] {
  const editor = can(ctx.me, 'editor');
  const out = h('div', { 'aria-live': 'polite' });
  const reload = async () => draw(await get<PatternDetail>(path, { incidentLimit: 200 }));
  const nodes: Node[] = [
    h('p', {}, h('a', { href: '#/incidents' }, '← Incidents and patterns')),
    h('h1', {}, p.description),
    h(
      'p',
      { class: 'meta' },
      chip(p.type),
      chip(p.status),
      chip(p.severity, p.severity ? `sev-${p.severity}` : ''),
      chip(p.origin),
      h(
        'span',
        { class: 'muted' },
        `confidence ${percent(p.confidence)} · ${p.frequency} incident${p.frequency === 1 ? '' : 's'}`,
        p.component ? ` · component ${p.component}` : '',
        p.errorCode ? ` · code ${p.errorCode}` : '',
        ` · first seen ${formatTime(p.firstSeen)} · last seen ${formatTime(p.lastSeen)}`,
      ),
    ),
    out,
  ];
  if (editor) {
    const actions = h('div', { class: 'actions' });
    for (const [status, label] of [
      ['acknowledged', 'Acknowledge'],
      ['resolved', 'Resolve'],
      ['dismissed', 'Dismiss'],
      ['active', 'Reactivate'],
    ] as const) {
      if (p.status === status) continue;
      actions.append(
        h(
          'button',
          {
            type: 'button',
            class: status === 'dismissed' ? 'danger' : 'secondary',
            onclick: (e: Event) =>
              void act(e.currentTarget as HTMLButtonElement, out, async () => {
                draw(await api<PatternDetail>('PATCH', path, { status }));
                ctx.notify(`Pattern ${status}`);
              }),
          },
          label,
        ),
      );
    }
    nodes.push(actions);
  }

  const shown = p.incidentDetails.length;
  nodes.push(
    section(
      'Incidents',
      shown === 0
        ? h('p', { class: 'muted' }, 'This pattern has no incident.')
        : h(
            'div',
            { class: 'table-scroll' },
            table(
              `Incidents of this pattern${shown < p.incidents.length ? ` (the first ${shown} of ${p.incidents.length})` : ''}`,
              [...INCIDENT_HEADERS, 'correlation'],
              incidentRows(p.incidentDetails, true),
            ),
          ),
    ),
  );

  const linkOut = h('div', { 'aria-live': 'polite' });
  const links =
    p.kbLinks.length === 0
      ? h('p', { class: 'muted' }, 'No KB entry is linked to this pattern.')
      : table(
          'KB entries linked to this pattern',
          ['KB entry', 'link', 'score', 'linked', ...(editor ? [''] : [])],
          p.kbLinks.map((l) => [
            entryLink(l.kbEntryId),
            l.linkType,
            percent(l.score),
            formatTime(l.createdAt),
            ...(editor
              ? [
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      onclick: (e: Event) =>
                        void act(e.currentTarget as HTMLButtonElement, linkOut, async () => {
                          await api('DELETE', `${path}/kb-links/${encodeURIComponent(l.kbEntryId)}`);
                          ctx.notify('KB entry unlinked');
                          await reload();
                        }),
                    },
                    'Unlink',
                  ),
                ]
              : []),
          ]),
        );
  const kb = section('KB entries', links, linkOut);
  if (editor) {
    const picker = entryPicker();
    const link = h('button', { type: 'submit' }, 'Link entry');
    const form = h('form', { class: 'card', 'aria-label': 'Link a KB entry' }, picker.el, link);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(link, linkOut, async () => {
        const kbEntryId = picker.chosen();
        if (!kbEntryId) throw new Error('Find and choose the KB entry to link.');
        draw(await api<PatternDetail>('POST', `${path}/kb-links`, { kbEntryId }));
        ctx.notify('KB entry linked');
      });
    });
    kb.append(form);
  }
  nodes.push(kb);

  const s = p.suggestion;
  if (s) {
    const suggestionOut = h('div', { 'aria-live': 'polite' });
    const box = section(
      'Suggested KB entry',
      h('p', {}, 'Detection suggests writing a KB entry for this pattern:'),
      h(
        'div',
        { class: 'card' },
        h('h3', {}, s.title),
        h('p', { class: 'text' }, s.problem),
        h(
          'p',
          { class: 'meta' },
          chip(s.category),
          s.tags.map((t) => chip(t, 'tag')),
          chip(s.status),
        ),
      ),
      suggestionOut,
    );
    if (editor) {
      const setStatus = (status: 'accepted' | 'dismissed') => (e: Event) =>
        void act(e.currentTarget as HTMLButtonElement, suggestionOut, async () => {
          await api('PATCH', `${path}/suggestion`, { status });
          ctx.notify(`Suggestion ${status}`);
          await reload();
        });
      box.append(
        h(
          'div',
          { class: 'actions' },
          s.status === 'accepted'
            ? null
            : h('button', { type: 'button', onclick: setStatus('accepted') }, 'Accept suggestion'),
          s.status === 'dismissed'
            ? null
            : h(
                'button',
                { type: 'button', class: 'secondary', onclick: setStatus('dismissed') },
                'Dismiss suggestion',
              ),
          h('a', { href: '#/new' }, 'Write a new entry'),
        ),
      );
    }
    nodes.push(box);
  }
  return nodes;
}
