import { api, get } from '../api.js';
import { barChart } from '../chart.js';
import { append, field, formatTime, h, select, table } from '../dom.js';
import { act, type Screen, type ScreenContext } from '../screen.js';

/** plugin-analytics over /api/analytics: series, prediction accuracy, a forecast, recommendations, the auto log. */

type Unit = 'count' | 'hours' | 'ratio';

interface MetricDefinition {
  name: string;
  description: string;
  unit: Unit;
  numerator: string;
  denominator?: string;
  scale?: number;
  dimensions: string[];
}

interface Catalog {
  metrics: MetricDefinition[];
  intervals: string[];
  dimensions: string[];
}

interface Point {
  bucket: string;
  value: number | null;
  numerator: number;
  denominator?: number;
}

interface MetricSeries {
  metric: string;
  unit: Unit;
  description: string;
  total: Point;
  points: Point[];
  by?: Record<string, Point[]>;
  unavailable?: string;
}

interface Series {
  from: string;
  to: string;
  interval: string;
  by: string | null;
  buckets: string[];
  metrics: MetricSeries[];
}

interface ModelAccuracy {
  modelType: string;
  modelVersion: string;
  predictionTypes: string[];
  predictions: number;
  scored: number;
  pending: number;
  expired: number;
  meanScore: number | null;
  top1: number | null;
  top3: number | null;
  brier: number | null;
  mae: number | null;
  naiveMae: number | null;
  maeRatio: number | null;
}

interface Forecast {
  component: string | null;
  model: string;
  candidates: { model: string; mae: number | null }[];
  modelVersion: string;
  historyFrom: string;
  history: number[];
  days: { day: string; value: number; naive: number; probability: number }[];
}

interface Recommendation {
  candidates: { entryId: string; title: string; category: string; score: number; probability: number }[];
  modelType: string;
  modelVersion: string;
}

interface AutoEntry {
  seq: number;
  id: string;
  kind: 'decision' | 'review' | 'outcome';
  decisionId: string;
  incidentId: string;
  component: string | null;
  proposalKind: string | null;
  proposalId: string | null;
  confidence: number | null;
  threshold: number | null;
  decision: string;
  decidedBy: string;
  createdAt: string;
  hash: string;
}

interface AutoVerification {
  ok: boolean;
  rows: number;
  head: { seq: number; hash: string } | null;
  problems: { seq: number | null; id: string | null; problem: string }[];
}

const DAY = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => isoDay(Date.parse(`${day}T00:00:00Z`) + n * DAY);
const num = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(digits);
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;

/** A value as the chart draws it: ratios in percent, the rest as they are (rounded). */
function chartValue(unit: Unit, value: number | null): number | null {
  if (value === null) return null;
  return unit === 'ratio' ? Math.round(value * 1000) / 10 : Math.round(value * 100) / 100;
}
const chartUnit = (unit: Unit) => (unit === 'ratio' ? '%' : unit === 'hours' ? ' h' : '');
function valueText(unit: Unit, value: number | null): string {
  if (value === null) return '—';
  return unit === 'ratio' ? pct(value) : unit === 'hours' ? `${num(value, 2)} h` : num(value);
}

/** barChart's figure with its numbers table replaced by `numbers` (which says more than period/value). */
function chartWithTable(figure: HTMLElement, numbers: HTMLTableElement): HTMLElement {
  figure.querySelector('details table')?.replaceWith(numbers);
  return figure;
}

function checkbox(label: string, id: string, checked: boolean, value: string): HTMLElement {
  const input = h('input', { type: 'checkbox', id, name: 'metric', value });
  input.checked = checked;
  const el = field(label, input);
  el.classList.add('check', 'box-first');
  return el;
}

export const analyticsScreen: Screen = {
  path: 'analytics',
  title: 'Analytics',
  nav: true,
  plugin: { id: 'analytics', package: '@mainframe-kb/plugin-analytics' },
  async render(root, ctx) {
    const catalog = await get<Catalog>('/api/analytics/metrics');
    root.append(
      h('h1', {}, 'Analytics'),
      seriesSection(ctx, catalog),
      accuracySection(),
      h('div', { class: 'two-col' }, forecastSection(), recommendSection()),
      autoLogSection(),
    );
  },
};

// ---------------------------------------------------------------------------------------------------------
// Series

function seriesSection(ctx: ScreenContext, catalog: Catalog): HTMLElement {
  const params = ctx.params;
  const wanted = new Set((params.get('metrics') ?? 'incidents.opened').split(',').filter((m) => m !== ''));
  const boxes = catalog.metrics.map((m) =>
    checkbox(m.name, `am-${m.name.replace(/\W/g, '-')}`, wanted.has(m.name), m.name),
  );
  const checked = () =>
    boxes
      .map((b) => b.querySelector('input') as HTMLInputElement)
      .filter((i) => i.checked)
      .map((i) => i.value);
  const interval = select('interval', catalog.intervals, params.get('interval') ?? 'day');
  const today = isoDay(Date.now());
  const from = h('input', { type: 'date', name: 'from', value: params.get('from') ?? addDays(today, -13) });
  const to = h('input', { type: 'date', name: 'to', value: params.get('to') ?? today });
  const by = select('by', [], '', 'no breakdown');
  // Only the dimensions every chosen metric has can break them down.
  const refreshDimensions = (keep: string) => {
    const chosen = catalog.metrics.filter((m) => checked().includes(m.name));
    const common = catalog.dimensions.filter((d) => chosen.every((m) => m.dimensions.includes(d)));
    by.replaceChildren(
      h('option', { value: '' }, 'no breakdown'),
      ...common.map((d) => h('option', { value: d }, d)),
    );
    by.value = common.includes(keep) ? keep : '';
  };
  refreshDimensions(params.get('by') ?? '');
  for (const b of boxes)
    b.querySelector('input')?.addEventListener('change', () => refreshDimensions(by.value));

  const out = h('div', { class: 'series-out', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Show the series');
  const form = h(
    'form',
    { class: 'series-form' },
    h('fieldset', { class: 'metric-boxes' }, h('legend', {}, 'Metrics'), boxes),
    h(
      'div',
      { class: 'filters' },
      field('Interval', interval, 'one bar each'),
      field('From', from, 'first day'),
      field('To', to, 'last day, included'),
      field('Breakdown', by, 'by a dimension, optional'),
      button,
    ),
  );
  const run = () =>
    act(button, out, async () => {
      const metrics = checked();
      if (metrics.length === 0) throw new Error('Choose at least one metric.');
      const query = {
        metrics: metrics.join(','),
        interval: interval.value,
        from: from.value,
        to: to.value ? addDays(to.value, 1) : '',
        by: by.value,
      };
      // The form's state in the address, without a new route: the page can be bookmarked as it is.
      const state = new URLSearchParams({
        metrics: query.metrics,
        interval: interval.value,
        from: from.value,
        to: to.value,
      });
      if (by.value) state.set('by', by.value);
      history.replaceState(null, '', `#/analytics?${state}`);
      const series = await get<Series>('/api/analytics/series', query);
      showSeries(out, series, catalog);
    });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
  void run();
  return h('section', { 'aria-labelledby': 'an-series' }, h('h2', { id: 'an-series' }, 'Series'), form, out);
}

function seriesTable(
  title: string,
  def: MetricDefinition | undefined,
  unit: Unit,
  points: Point[],
  first: string,
) {
  const hasDenominator = def?.denominator !== undefined || points.some((p) => p.denominator !== undefined);
  return table(
    title,
    [
      first,
      `value${unit === 'count' ? '' : unit === 'ratio' ? ' (%)' : ' (hours)'}`,
      `numerator${def ? ` (${def.numerator})` : ''}`,
      ...(hasDenominator ? [`denominator${def?.denominator ? ` (${def.denominator})` : ''}`] : []),
    ],
    points.map((p) => [
      p.bucket,
      p.value === null ? '—' : unit === 'ratio' ? (p.value * 100).toFixed(1) : num(p.value),
      num(p.numerator),
      ...(hasDenominator ? [num(p.denominator)] : []),
    ]),
  );
}

function showSeries(out: HTMLElement, s: Series, catalog: Catalog): void {
  const nodes: Node[] = [
    h(
      'p',
      { class: 'muted' },
      `${s.buckets.length} ${s.interval}${s.buckets.length === 1 ? '' : 's'} from ${s.from.slice(0, 16).replace('T', ' ')} to ${s.to.slice(0, 16).replace('T', ' ')} (UTC, the end excluded).`,
    ),
  ];
  for (const m of s.metrics) {
    const def = catalog.metrics.find((d) => d.name === m.metric);
    const section = h(
      'section',
      { class: 'metric', 'data-metric': m.metric },
      h('h3', {}, m.metric),
      h('p', { class: 'muted' }, m.description),
    );
    nodes.push(section);
    if (m.unavailable) {
      section.append(h('p', { class: 'notice' }, `No data: ${m.unavailable}`));
      continue;
    }
    section.append(
      h(
        'p',
        { class: 'total' },
        `Total: ${valueText(m.unit, m.total.value)} (${num(m.total.numerator)}${m.total.denominator === undefined ? '' : ` / ${num(m.total.denominator)}`})`,
      ),
    );
    const title = `${m.metric} per ${s.interval}`;
    section.append(
      chartWithTable(
        barChart(
          title,
          m.points.map((p) => ({ label: p.bucket, value: chartValue(m.unit, p.value) })),
          chartUnit(m.unit),
        ),
        seriesTable(title, def, m.unit, m.points, s.interval),
      ),
    );
    if (m.by && s.by) {
      const groups = Object.entries(m.by)
        .map(([key, points]) => {
          const n = points.reduce((a, p) => a + p.numerator, 0);
          const d = points.reduce((a, p) => a + (p.denominator ?? 0), 0);
          return { key, points, n, d };
        })
        .sort((a, b) => b.n - a.n || (a.key < b.key ? -1 : 1));
      const scale = def?.scale ?? 1;
      const value = (n: number, d: number) =>
        def?.denominator ? (d > 0 ? (n / d) * scale : null) : n * scale;
      append(section, [
        h('h4', {}, `${m.metric} by ${s.by}`),
        groups.length === 0
          ? h('p', { class: 'muted' }, 'Nothing to break down in this range.')
          : table(
              `${m.metric} by ${s.by}: totals`,
              [s.by, 'value', 'numerator', ...(def?.denominator ? ['denominator'] : [])],
              groups.map((g) => [
                g.key,
                valueText(m.unit, value(g.n, g.d)),
                num(g.n),
                ...(def?.denominator ? [num(g.d)] : []),
              ]),
            ),
        h(
          'div',
          { class: 'chart-grid' },
          groups.slice(0, 6).map((g) => {
            const t = `${m.metric}, ${s.by} ${g.key}, per ${s.interval}`;
            return chartWithTable(
              barChart(
                t,
                g.points.map((p) => ({ label: p.bucket, value: chartValue(m.unit, p.value) })),
                chartUnit(m.unit),
              ),
              seriesTable(t, def, m.unit, g.points, s.interval),
            );
          }),
        ),
        groups.length > 6
          ? h(
              'p',
              { class: 'muted' },
              `Charts for the 6 largest of ${groups.length}; the totals list them all.`,
            )
          : null,
      ]);
    }
  }
  out.replaceChildren(...nodes);
}

// ---------------------------------------------------------------------------------------------------------
// Prediction accuracy

function accuracySection(): HTMLElement {
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Reload the report');
  const load = () =>
    act(button, out, async () => {
      const { models } = await get<{ models: ModelAccuracy[] }>('/api/analytics/accuracy');
      out.replaceChildren(
        models.length === 0
          ? h('p', { class: 'muted' }, 'No prediction has been stored yet.')
          : table(
              'Accuracy per model version',
              [
                'model',
                'version',
                'prediction types',
                'predictions',
                'scored',
                'pending',
                'expired',
                'mean score',
                'top-1',
                'top-3',
                'Brier',
                'MAE',
                'naive MAE',
                'MAE ratio',
              ],
              models.map((m) => [
                m.modelType,
                m.modelVersion,
                m.predictionTypes.join(', '),
                String(m.predictions),
                String(m.scored),
                String(m.pending),
                String(m.expired),
                num(m.meanScore),
                pct(m.top1),
                pct(m.top3),
                num(m.brier),
                num(m.mae),
                num(m.naiveMae),
                num(m.maeRatio),
              ]),
            ),
        h(
          'p',
          { class: 'hint' },
          'Brier: mean squared error of the probabilities (lower is better). MAE ratio below 1: the model beats the naive forecast.',
        ),
      );
    });
  button.addEventListener('click', () => void load());
  void load();
  return h(
    'section',
    { 'aria-labelledby': 'an-accuracy' },
    h('h2', { id: 'an-accuracy' }, 'Prediction accuracy'),
    out,
    button,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Forecast

function forecastSection(): HTMLElement {
  const component = h('input', { type: 'text', name: 'component', maxlength: 128, autocomplete: 'off' });
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 90, step: 1, value: 7 });
  const history = h('input', { type: 'number', name: 'history', min: 7, max: 3660, step: 1, value: 56 });
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Forecast');
  const form = h(
    'form',
    {},
    field('Component', component, 'e.g. PAYROLL; empty: every incident'),
    h(
      'div',
      { class: 'filters' },
      field('Days ahead', days),
      field('History (days)', history, 'closed days fitted'),
      button,
    ),
  );
  const run = () =>
    act(button, out, async () => {
      const f = await get<Forecast>('/api/analytics/forecast', {
        component: component.value.trim(),
        days: days.value,
        history: history.value,
      });
      const who = f.component ? ` in ${f.component}` : '';
      const title = `Forecast: incidents opened per day${who}`;
      const historyTitle = `Incidents opened per day${who}, the ${f.history.length} days fitted`;
      const start = Date.parse(`${f.historyFrom}T00:00:00Z`);
      out.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          `Model ${f.model} (${f.modelVersion}), chosen by its error on the history: `,
          f.candidates.map((c, i) => `${i > 0 ? ', ' : ''}${c.model} MAE ${num(c.mae, 2)}`).join(''),
          '.',
        ),
        chartWithTable(
          barChart(
            title,
            f.days.map((d) => ({ label: d.day, value: Math.round(d.value * 100) / 100 })),
          ),
          table(
            title,
            ['day', 'forecast', 'naive forecast', 'probability of one or more'],
            f.days.map((d) => [d.day, num(d.value, 2), num(d.naive, 2), pct(d.probability)]),
          ),
        ),
        barChart(
          historyTitle,
          f.history.map((v, i) => ({ label: isoDay(start + i * DAY), value: v })),
        ),
      );
    });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
  void run();
  return h(
    'section',
    { 'aria-labelledby': 'an-forecast' },
    h('h2', { id: 'an-forecast' }, 'Forecast'),
    form,
    out,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Recommendations

function recommendSection(): HTMLElement {
  const title = h('input', {
    type: 'text',
    name: 'title',
    maxlength: 10_000,
    required: true,
    autocomplete: 'off',
  });
  const description = h('textarea', { name: 'description', rows: 4 });
  const limit = h('input', { type: 'number', name: 'limit', min: 1, max: 20, step: 1, value: 5 });
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Recommend entries');
  const form = h(
    'form',
    { novalidate: true },
    field('Incident title', title, 'e.g. S0C7 data exception in PAYROLL'),
    field('Incident description', description, 'optional: what happened, messages, codes'),
    h('div', { class: 'filters' }, field('Entries to list', limit), button),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, async () => {
      const r = await api<Recommendation>('POST', '/api/analytics/recommend', {
        title: title.value.trim() || undefined,
        ...(description.value.trim() ? { description: description.value } : {}),
        limit: Number(limit.value) || 5,
      });
      out.replaceChildren(
        r.candidates.length === 0
          ? h('p', { class: 'muted' }, 'No KB entry resembles this incident.')
          : table(
              'KB entries recommended for this incident, best first',
              ['rank', 'entry', 'category', 'score', 'probability'],
              r.candidates.map((c, i) => [
                String(i + 1),
                h('a', { href: `#/entry/${encodeURIComponent(c.entryId)}` }, c.title),
                c.category,
                num(c.score),
                pct(c.probability),
              ]),
            ),
        h('p', { class: 'hint' }, `Model ${r.modelType} ${r.modelVersion}; nothing is recorded.`),
      );
    });
  });
  return h(
    'section',
    { 'aria-labelledby': 'an-recommend' },
    h('h2', { id: 'an-recommend' }, 'Recommendations for an incident'),
    form,
    out,
  );
}

// ---------------------------------------------------------------------------------------------------------
// The automatic-resolution log

function autoLogSection(): HTMLElement {
  const out = h('div', { 'aria-live': 'polite' });
  const verdict = h('div', { 'aria-live': 'polite' });
  const reload = h('button', { type: 'button', class: 'secondary' }, 'Reload the log');
  const verify = h('button', { type: 'button' }, 'Verify the chain');
  const load = () =>
    act(reload, out, async () => {
      const { entries } = await get<{ entries: AutoEntry[] }>('/api/analytics/auto/log', { limit: 100 });
      out.replaceChildren(
        entries.length === 0
          ? h('p', { class: 'muted' }, 'No automatic-resolution decision has been logged yet.')
          : table(
              'Automatic-resolution log, newest first',
              [
                'seq',
                'when',
                'kind',
                'decision',
                'incident',
                'component',
                'proposed entry',
                'confidence',
                'threshold',
                'by',
                'hash',
              ],
              entries.map((e) => [
                String(e.seq),
                formatTime(e.createdAt),
                e.kind,
                e.decision,
                h('code', {}, e.incidentId),
                e.component ?? '',
                e.proposalId
                  ? e.proposalKind === 'kb_entry'
                    ? h('a', { href: `#/entry/${encodeURIComponent(e.proposalId)}` }, e.proposalId)
                    : e.proposalId
                  : '',
                pct(e.confidence),
                pct(e.threshold),
                e.decidedBy,
                h('code', { title: e.hash }, e.hash.slice(0, 12)),
              ]),
            ),
      );
    });
  reload.addEventListener('click', () => void load());
  verify.addEventListener('click', () => {
    void act(verify, verdict, async () => {
      const v = await api<AutoVerification>('POST', '/api/analytics/auto/verify');
      verdict.replaceChildren(
        v.ok
          ? h(
              'p',
              { class: 'ok', role: 'status' },
              `Chain intact: ${v.rows} row${v.rows === 1 ? '' : 's'}`,
              v.head ? `, head #${v.head.seq} ${v.head.hash.slice(0, 12)}.` : '.',
            )
          : h(
              'div',
              { class: 'problem', role: 'alert' },
              h(
                'strong',
                {},
                `Chain broken: ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} in ${v.rows} rows`,
              ),
              h(
                'ul',
                {},
                v.problems.map((p) => h('li', {}, p.seq === null ? '' : `#${p.seq}: `, p.problem)),
              ),
            ),
      );
    });
  });
  void load();
  return h(
    'section',
    { 'aria-labelledby': 'an-auto' },
    h('h2', { id: 'an-auto' }, 'Automatic-resolution log'),
    h('div', { class: 'actions' }, verify, reload),
    verdict,
    out,
  );
}
