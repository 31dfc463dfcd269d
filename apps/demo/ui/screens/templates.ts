import { ApiError, api, get } from '../api.js';
import { append, type Children, field, formatTime, h, select, table } from '../dom.js';
import { act, can, problemBox, type Screen, type ScreenContext } from '../screen.js';

/** plugin-templates over /api/templates: find a template, fill its parameter form, render, compare versions. */

const LANGUAGES = ['cobol', 'jcl', 'text'] as const;
const KINDS = [
  'string',
  'integer',
  'boolean',
  'enum',
  'dataset',
  'member',
  'program',
  'ddname',
  'jobname',
  'qualifier',
];

interface Template {
  id: string;
  name: string;
  description: string;
  language: (typeof LANGUAGES)[number];
  category: string;
  status: 'active' | 'retired';
  currentVersion: number;
  errorCodes: string[];
  tags: string[];
  usageCount: number;
  successCount: number;
  failureCount: number;
  successRate: number;
  kbEntryIds: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

type Value = string | number | boolean;

interface Parameter {
  name: string;
  kind: string;
  description?: string;
  required: boolean;
  default?: Value;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  min?: number;
  max?: number;
  values?: string[];
  allowMember?: boolean;
  allowGdg?: boolean;
}

interface Rule {
  rule: string;
  params: string[];
  max?: number;
  separator?: string;
}

interface Version {
  templateId: string;
  version: number;
  content: string;
  parameters: Parameter[];
  rules: Rule[];
  author: string;
  changeNote: string;
  createdAt: string;
}

interface VersionSummary {
  version: number;
  author: string;
  changeNote: string;
  createdAt: string;
}

interface Detail {
  template: Template;
  version: Version;
  versions: VersionSummary[];
}

interface RenderResult {
  version: number;
  text: string;
  wrapped: number[];
  problems: { line: number; column?: number; rule: string; message: string }[];
  analysis?: { severity: 'error' | 'warning'; code: string; message: string; line: number | null }[];
}

const percent = (x: number) => `${Math.round(x * 100)}%`;
/** The ranking rate is (successes + 1) / (outcomes + 2): with no outcome yet it says nothing, so say so. */
const rate = (t: Template) =>
  t.successCount + t.failureCount === 0 ? 'no outcome yet' : percent(t.successRate);
const templateHash = (name: string, version?: number) =>
  `#/templates/${encodeURIComponent(name)}${version === undefined ? '' : `?version=${version}`}`;

/**
 * A labelled field with a place for the server's message about it, next to the control. `required` marks
 * the label (the control's `required` says it to assistive technology).
 */
function checkedField(label: string, control: HTMLElement, hint?: string, required = false) {
  const el = field(label, control, hint);
  const labelEl = el.querySelector('label');
  if (required && labelEl) {
    // The mark beside the label, not in it: the control's name stays the parameter's name.
    control.setAttribute('required', '');
    const row = h('div', { class: 'label-row' });
    labelEl.replaceWith(row);
    row.append(labelEl, h('span', { class: 'req', 'aria-hidden': 'true' }, '*'));
  }
  const error = h('p', { class: 'field-error', id: `${control.id}-error` });
  el.append(error);
  const hintId = hint ? `${control.id}-hint` : null;
  const setError = (messages: string[]) => {
    error.textContent = messages.join(' ');
    if (messages.length > 0) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', [hintId, error.id].filter(Boolean).join(' '));
    } else {
      control.removeAttribute('aria-invalid');
      if (hintId) control.setAttribute('aria-describedby', hintId);
      else control.removeAttribute('aria-describedby');
    }
  };
  return { el, control, setError };
}

type CheckedField = ReturnType<typeof checkedField>;

/**
 * Shows a 422's issues next to the fields they name (`keyOf` maps an issue path to a field key), and the
 * rest in a problem box in `out`; other errors go to the box whole. Focuses the first field in error.
 */
function showIssues(
  error: unknown,
  fields: Map<string, CheckedField>,
  out: HTMLElement,
  keyOf: (path: string) => string,
): void {
  for (const f of fields.values()) f.setError([]);
  if (!(error instanceof ApiError) || !error.problem.issues?.length) {
    out.replaceChildren(problemBox(error));
    return;
  }
  const byField = new Map<string, string[]>();
  const rest: { path: string; message: string }[] = [];
  for (const issue of error.problem.issues) {
    const key = keyOf(issue.path);
    if (fields.has(key)) byField.set(key, [...(byField.get(key) ?? []), issue.message]);
    else rest.push(issue);
  }
  for (const [key, messages] of byField) fields.get(key)?.setError(messages);
  const placed = [...byField.values()].reduce((n, m) => n + m.length, 0);
  out.replaceChildren(
    problemBox(
      new ApiError({
        ...error.problem,
        detail:
          placed > 0
            ? `${placed} value${placed === 1 ? ' was' : 's were'} refused: see the message${placed === 1 ? '' : 's'} next to the field${byField.size === 1 ? '' : 's'}.`
            : error.problem.detail,
        issues: rest,
      }),
    ),
  );
  const first = [...fields.entries()].find(([key]) => byField.has(key));
  first?.[1].control.focus();
}

export const templatesScreen: Screen = {
  path: 'templates',
  title: 'Templates',
  nav: true,
  plugin: { id: 'templates', package: '@mainframe-kb/plugin-templates' },
  async render(root, ctx) {
    const name = ctx.segments[0];
    if (name) await showTemplate(root, ctx, name);
    else await showList(root, ctx);
  },
};

// ---------------------------------------------------------------------------------------------------------
// The list, its search, and the new-template form

async function showList(root: HTMLElement, ctx: ScreenContext): Promise<void> {
  const text = ctx.params.get('text') ?? '';
  const language = ctx.params.get('language') ?? '';
  const status = ctx.params.get('status') ?? '';
  const textInput = h('input', { type: 'search', name: 'text', value: text, autocomplete: 'off' });
  const languageSelect = select('language', LANGUAGES, language, 'any language');
  const statusSelect = select('status', ['active', 'retired', 'all'], status || 'active');
  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    field('Search templates', textInput, 'Words in the name, description, category, tags or text.'),
    h(
      'div',
      { class: 'filters' },
      field('Language', languageSelect),
      field('Status', statusSelect),
      h('button', { type: 'submit' }, 'Search'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (textInput.value.trim()) next.set('text', textInput.value.trim());
    if (languageSelect.value) next.set('language', languageSelect.value);
    if (statusSelect.value !== 'active') next.set('status', statusSelect.value);
    ctx.navigate(`#/templates${next.size > 0 ? `?${next}` : ''}`);
  });
  const results = h('section', { 'aria-label': 'Templates found', 'aria-live': 'polite' });
  const editor = can(ctx.me, 'editor');
  const creator = editor ? newTemplateForm(ctx) : null;
  root.append(
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'Templates'),
      creator
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              onclick: () => {
                creator.section.scrollIntoView({ block: 'start' });
                creator.first.focus({ preventScroll: true });
              },
            },
            'New template',
          )
        : null,
    ),
    form,
    results,
  );
  if (creator) root.append(creator.section);

  try {
    const { templates } = await get<{ templates: Template[] }>('/api/templates', {
      text,
      language,
      status: status || undefined,
      limit: 200,
    });
    results.append(h('h2', {}, `${templates.length} template${templates.length === 1 ? '' : 's'}`));
    if (templates.length === 0) {
      results.append(
        h('p', { class: 'muted' }, text || language ? 'No template matches.' : 'There are no templates yet.'),
      );
      return;
    }
    results.append(
      table(
        'Templates, best success rate first',
        ['name', 'language', 'category', 'description', 'error codes', 'version', 'success', 'uses'],
        templates.map((t) => [
          h('a', { href: templateHash(t.name) }, t.name),
          t.language,
          t.category,
          t.description,
          t.errorCodes.join(', '),
          `${t.currentVersion}${t.status === 'retired' ? ' (retired)' : ''}`,
          t.successCount + t.failureCount === 0
            ? 'no outcome yet'
            : `${percent(t.successRate)} (${t.successCount} of ${t.successCount + t.failureCount})`,
          String(t.usageCount),
        ]),
      ),
    );
  } catch (error) {
    results.append(problemBox(error));
  }
}

const commaList = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/**
 * The parameters box of the new-template form: a JSON array, or one parameter a line as
 * `NAME kind[?] [= default]` (`?`: optional; an enum lists its values: `MODE enum(A|B|C)`).
 */
function parseParameters(source: string): unknown[] {
  const trimmed = source.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown[];
    } catch (error) {
      throw new Error(`Parameters: the JSON does not parse: ${(error as Error).message}`);
    }
  }
  return trimmed.split('\n').flatMap((raw, i) => {
    const line = raw.trim();
    if (line === '') return [];
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+([a-z]+)(?:\(([^)]*)\))?(\?)?(?:\s*=\s*(.*))?$/.exec(line);
    if (!m) {
      throw new Error(
        `Parameters, line ${i + 1}: expected "NAME kind", "NAME kind?" or "NAME kind = default", got "${line}"`,
      );
    }
    const [, name, kind = '', values, optional, given] = m;
    if (!KINDS.includes(kind)) {
      throw new Error(`Parameters, line ${i + 1}: '${kind}' is not a kind; the kinds: ${KINDS.join(', ')}`);
    }
    const def: Record<string, unknown> = { name, kind };
    if (kind === 'enum') def.values = (values ?? '').split('|').map((v) => v.trim());
    if (optional) def.required = false;
    if (given !== undefined) {
      const v = given.trim();
      def.default = kind === 'integer' ? Number(v) : kind === 'boolean' ? v === 'true' : v;
    }
    return [def];
  });
}

function newTemplateForm(ctx: ScreenContext): { section: HTMLElement; first: HTMLInputElement } {
  const name = h('input', { type: 'text', name: 'name', maxlength: 128, autocomplete: 'off' });
  const description = h('textarea', { name: 'description', rows: 2 });
  const language = select('language', LANGUAGES, 'cobol');
  const category = h('input', { type: 'text', name: 'category', maxlength: 64 });
  const content = h('textarea', { name: 'content', rows: 10, spellcheck: 'false' });
  const parameters = h('textarea', { name: 'parameters', rows: 5, spellcheck: 'false' });
  const errorCodes = h('input', { type: 'text', name: 'errorCodes' });
  const tags = h('input', { type: 'text', name: 'tags' });
  const entries = h('input', { type: 'text', name: 'kbEntryIds' });
  const fields = new Map<string, CheckedField>([
    ['name', checkedField('Name', name, 'Unique: letters, digits, dot, underscore, dash.', true)],
    ['description', checkedField('Description', description, undefined, true)],
    ['language', checkedField('Language', language, 'its columns are checked', true)],
    ['category', checkedField('Category', category, 'e.g. abend-fix, vsam, db2', true)],
    [
      'content',
      checkedField(
        'Template text',
        content,
        'Mustache text: {{NAME}} is replaced by the parameter NAME; every name used must be declared below.',
        true,
      ),
    ],
    [
      'parameters',
      checkedField(
        'Parameters',
        parameters,
        `One a line: "NAME kind", "NAME kind?" (optional) or "NAME kind = default"; enum values as "MODE enum(A|B)". Kinds: ${KINDS.join(', ')}. Or a JSON array of definitions.`,
      ),
    ],
    ['errorCodes', checkedField('Error codes', errorCodes, 'comma-separated, e.g. S0C7, SQLCODE -911')],
    ['tags', checkedField('Tags', tags, 'comma-separated')],
    ['kbEntryIds', checkedField('KB entries it fixes', entries, 'comma-separated entry ids (optional)')],
  ]);
  const f = (key: string) => fields.get(key)?.el ?? null;
  const out = h('div', {});
  const button = h('button', { type: 'submit' }, 'Create template');
  const form = h(
    'form',
    { class: 'template-form', novalidate: true },
    h('p', { class: 'muted' }, 'Fields marked * are required.'),
    h('div', { class: 'filters' }, f('name'), f('language'), f('category')),
    f('description'),
    f('content'),
    f('parameters'),
    h('div', { class: 'filters' }, f('errorCodes'), f('tags'), f('kbEntryIds')),
    out,
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    out.replaceChildren();
    void (async () => {
      try {
        const body = {
          name: name.value.trim(),
          description: description.value,
          language: language.value,
          category: category.value.trim(),
          content: content.value,
          parameters: parseParameters(parameters.value),
          errorCodes: commaList(errorCodes.value),
          tags: commaList(tags.value),
          kbEntryIds: commaList(entries.value),
          changeNote: 'created',
        };
        const created = await api<Detail>('POST', '/api/templates', body);
        ctx.notify(`Created template ${created.template.name}`);
        ctx.navigate(templateHash(created.template.name));
      } catch (error) {
        // `parameters.0.kind` → the Parameters box; `template.name` (the store's own check) → Name.
        showIssues(error, fields, out, (path) => {
          const parts = path.split('.');
          return parts[0] === 'template' ? (parts[1] ?? '') : (parts[0] ?? '');
        });
      } finally {
        button.disabled = false;
      }
    })();
  });
  const section = h(
    'section',
    { 'aria-labelledby': 'new-template' },
    h('h2', { id: 'new-template' }, 'New template'),
    form,
  );
  return { section, first: name };
}

// ---------------------------------------------------------------------------------------------------------
// One template: its parameter form and output, parameters, text, versions and diff

function kindHint(p: Parameter): string {
  const range = (lo?: number, hi?: number, unit = '') =>
    lo !== undefined && hi !== undefined
      ? ` ${lo}–${hi}${unit}`
      : lo !== undefined
        ? ` at least ${lo}${unit}`
        : hi !== undefined
          ? ` at most ${hi}${unit}`
          : '';
  switch (p.kind) {
    case 'string':
      return `Text${range(p.minLength, p.maxLength, ' characters')}${p.pattern ? `, matching ${p.pattern}` : ''}.`;
    case 'integer':
      return `A whole number${range(p.min, p.max)}.`;
    case 'boolean':
      return 'Yes or no.';
    case 'enum':
      return 'One of the listed values.';
    case 'dataset':
      return `A data set name, e.g. PROD.PAYROLL.MASTER${p.allowMember ? ', (MEMBER) allowed' : ''}${p.allowGdg ? ', (+1) allowed' : ''}; upper-cased.`;
    case 'qualifier':
      return 'One data set qualifier, 1–8 characters; upper-cased.';
    default:
      return `A ${p.kind} name, 1–8 characters; upper-cased.`;
  }
}

function parameterControl(p: Parameter): HTMLInputElement | HTMLSelectElement {
  const id = `tp-${p.name}`;
  const given = p.default === undefined ? '' : String(p.default);
  if (p.kind === 'boolean' || p.kind === 'enum') {
    const options = p.kind === 'boolean' ? ['true', 'false'] : (p.values ?? []);
    // A blank choice when there is no default: left blank, the server says it is missing (or leaves it out).
    const blank = p.default === undefined ? (p.required ? '— choose —' : '— none —') : undefined;
    const el = select(p.name, options, given, blank);
    el.id = id;
    return el;
  }
  const el = h('input', {
    id,
    name: p.name,
    type: p.kind === 'integer' ? 'number' : 'text',
    value: given,
    autocomplete: 'off',
    spellcheck: 'false',
    ...(p.kind === 'integer' ? { step: 1, min: p.min ?? null, max: p.max ?? null } : {}),
    class: ['string', 'enum', 'integer', 'boolean'].includes(p.kind) ? null : 'zos-name',
  });
  return el;
}

async function showTemplate(root: HTMLElement, ctx: ScreenContext, name: string): Promise<void> {
  const asked = ctx.params.get('version');
  const detail = await get<Detail>(`/api/templates/${encodeURIComponent(name)}`, {
    version: asked ?? undefined,
  });
  const { template: t, version: v, versions } = detail;
  const current = v.version === t.currentVersion;
  const stats = h('p', { class: 'muted', 'data-testid': 'template-stats' });
  const showStats = (x: Template) =>
    (stats.textContent = `Version ${v.version} of ${x.currentVersion} · by ${v.author}, ${formatTime(v.createdAt)} · used ${x.usageCount}× · ${x.successCount} worked, ${x.failureCount} did not · success rate ${rate(x)}`);
  showStats(t);

  append(root, [
    h('p', { class: 'crumbs' }, h('a', { href: '#/templates' }, 'All templates')),
    h('h1', {}, t.name),
    h('p', {}, t.description),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'chip' }, t.language),
      ' ',
      h('span', { class: 'chip' }, t.category),
      ' ',
      t.status === 'retired' ? [h('span', { class: 'chip sev-critical' }, 'retired'), ' '] : null,
      t.errorCodes.map((c) => [h('span', { class: 'chip tag' }, c), ' ']),
      t.tags.map((c) => [h('span', { class: 'chip tag' }, c), ' ']),
    ),
    stats,
    t.kbEntryIds.length > 0
      ? h(
          'p',
          {},
          'Fixes the KB entr',
          t.kbEntryIds.length === 1 ? 'y ' : 'ies ',
          t.kbEntryIds.map((id, i) => [
            i > 0 ? ', ' : '',
            h('a', { href: `#/entry/${encodeURIComponent(id)}` }, id),
          ]),
          '.',
        )
      : null,
    current
      ? null
      : h(
          'p',
          { class: 'banner', role: 'status' },
          `You are looking at version ${v.version}; the current one is ${t.currentVersion}. `,
          h('a', { href: templateHash(t.name) }, 'Show the current version'),
        ),
  ]);

  root.append(renderSection(ctx, t, v, showStats));

  // Parameters and rules
  const params = h(
    'section',
    { 'aria-labelledby': 'tpl-params' },
    h('h2', { id: 'tpl-params' }, 'Parameters'),
  );
  if (v.parameters.length === 0)
    params.append(h('p', { class: 'muted' }, 'This template has no parameters.'));
  else
    params.append(
      table(
        `Parameters of version ${v.version}`,
        ['name', 'kind', 'required', 'default', 'allowed', 'description'],
        v.parameters.map((p) => [
          h('code', {}, p.name),
          p.kind,
          p.required ? 'yes' : 'no',
          p.default === undefined ? '' : String(p.default),
          p.kind === 'enum' ? (p.values ?? []).join(', ') : kindHint(p),
          p.description ?? '',
        ]),
      ),
    );
  if (v.rules.length > 0) {
    params.append(
      h('h3', {}, 'Rules across parameters'),
      h(
        'ul',
        {},
        v.rules.map((r) =>
          h(
            'li',
            {},
            h('code', {}, r.rule),
            ` ${r.params.join(', ')}`,
            r.max === undefined ? '' : ` (at most ${r.max} characters, joined by '${r.separator ?? ''}')`,
          ),
        ),
      ),
    );
  }
  root.append(params);

  root.append(
    h(
      'section',
      { 'aria-labelledby': 'tpl-text' },
      h('h2', { id: 'tpl-text' }, `Text of version ${v.version}`),
      h('pre', { class: 'block source' }, v.content),
    ),
  );

  root.append(versionsSection(t, v, versions));
}

function renderSection(
  ctx: ScreenContext,
  t: Template,
  v: Version,
  showStats: (t: Template) => void,
): HTMLElement {
  const fields = new Map<string, CheckedField>();
  for (const p of v.parameters) {
    const control = parameterControl(p);
    const described = p.description ? p.description.replace(/([^.!?])$/, '$1.') : '';
    const hint = [described, kindHint(p), p.default === undefined ? '' : `Default: ${String(p.default)}.`]
      .filter((x) => x)
      .join(' ');
    // Required and without a default: left blank, it is missing (with a default it never is).
    fields.set(p.name, checkedField(p.name, control, hint, p.required && p.default === undefined));
  }
  const wrap = h('input', { type: 'checkbox', name: 'wrap', id: 'tp-wrap-lines' });
  wrap.checked = true;
  const wrapField = field(
    'Wrap long lines',
    wrap,
    `Continue lines past the ${t.language === 'jcl' ? '71st' : '72nd'} column where the language allows.`,
  );
  wrapField.classList.add('check', 'box-first');
  const formOut = h('div', {});
  const button = h('button', { type: 'submit' }, 'Render');
  const form = h(
    'form',
    { class: 'param-form', novalidate: true, 'aria-label': 'Parameter form' },
    v.parameters.some((p) => p.required && p.default === undefined)
      ? h('p', { class: 'muted' }, 'Fields marked * are required.')
      : null,
    [...fields.values()].map((f) => f.el),
    t.language === 'text' ? null : wrapField,
    formOut,
    button,
  );
  const output = h('div', { class: 'render-output', 'aria-live': 'polite' });
  output.append(h('p', { class: 'muted' }, 'Fill in the form and render: the output shows here.'));

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    formOut.replaceChildren();
    for (const f of fields.values()) f.setError([]);
    void (async () => {
      try {
        const values: Record<string, Value> = {};
        for (const p of v.parameters) {
          const control = fields.get(p.name)?.control as HTMLInputElement | HTMLSelectElement;
          const raw = control.value;
          if (raw === '') continue; // not given: the default applies, or the server names it missing
          values[p.name] = p.kind === 'boolean' ? raw === 'true' : raw;
        }
        const result = await api<RenderResult>(
          'POST',
          `/api/templates/${encodeURIComponent(t.name)}/render`,
          {
            values,
            version: v.version,
            ...(t.language === 'text' ? {} : { wrap: wrap.checked }),
          },
        );
        showOutput(output, result);
        // The form can be longer than the screen: bring the output's top into view when it is above it.
        if (output.getBoundingClientRect().top < 0) output.scrollIntoView({ block: 'start' });
        // A render is counted as a use.
        void get<Detail>(`/api/templates/${encodeURIComponent(t.name)}`).then((d) => showStats(d.template));
      } catch (error) {
        // A value's problem names its parameter (`values.NAME` when its JSON type is wrong).
        showIssues(error, fields, formOut, (path) => path.replace(/^values\./, ''));
      } finally {
        button.disabled = false;
      }
    })();
  });

  const right: Children[] = [h('h3', {}, 'Output'), output];
  if (can(ctx.me, 'editor')) right.push(outcomeBox(ctx, t, v, showStats));
  return h(
    'section',
    { 'aria-labelledby': 'tpl-render' },
    h('h2', { id: 'tpl-render' }, 'Fill in and render'),
    h(
      'div',
      { class: 'tpl-layout' },
      h(
        'div',
        {},
        v.parameters.length === 0 ? h('p', { class: 'muted' }, 'No parameters to fill in.') : null,
        form,
      ),
      h('div', {}, right),
    ),
  );
}

function showOutput(out: HTMLElement, r: RenderResult): void {
  const children: Node[] = [h('pre', { class: 'block source', 'data-testid': 'render-output' }, r.text)];
  if (r.wrapped.length > 0) {
    children.push(
      h(
        'p',
        { class: 'muted' },
        `Wrapped to fit the columns: line${r.wrapped.length === 1 ? '' : 's'} ${r.wrapped.join(', ')} of the template.`,
      ),
    );
  }
  if (r.problems.length === 0) {
    children.push(h('p', { class: 'ok', role: 'status' }, 'No column problems.'));
  } else {
    children.push(
      h(
        'div',
        { class: 'problem', role: 'alert' },
        h(
          'strong',
          {},
          `${r.problems.length} column problem${r.problems.length === 1 ? '' : 's'} left in the output`,
        ),
      ),
      table(
        'Column problems',
        ['line', 'column', 'rule', 'message'],
        r.problems.map((p) => [
          String(p.line),
          p.column === undefined ? '' : String(p.column),
          h('code', { class: 'rule' }, p.rule),
          p.message,
        ]),
      ),
    );
  }
  if (r.analysis && r.analysis.length > 0) {
    children.push(
      table(
        'Findings of the code analyser',
        ['line', 'severity', 'code', 'message'],
        r.analysis.map((a) => [
          a.line === null ? '' : String(a.line),
          a.severity,
          h('code', {}, a.code),
          a.message,
        ]),
      ),
    );
  }
  out.replaceChildren(...children);
}

function outcomeBox(
  ctx: ScreenContext,
  t: Template,
  v: Version,
  showStats: (t: Template) => void,
): HTMLElement {
  const note = h('input', { type: 'text', name: 'note', maxlength: 2000, autocomplete: 'off' });
  const out = h('div', {});
  const record = (worked: boolean) => (e: Event) =>
    void act(e.currentTarget as HTMLButtonElement, out, async () => {
      const after = await api<Template>('POST', `/api/templates/${encodeURIComponent(t.name)}/outcome`, {
        worked,
        version: v.version,
        ...(note.value.trim() ? { note: note.value.trim() } : {}),
      });
      note.value = '';
      showStats(after);
      const message = worked ? 'Recorded: the fix worked' : 'Recorded: the fix did not work';
      out.replaceChildren(h('p', { class: 'ok', role: 'status' }, message));
      ctx.notify(message);
    });
  return h(
    'div',
    { class: 'card outcome' },
    h('h3', {}, 'Record the outcome'),
    h(
      'p',
      { class: 'muted' },
      `Did version ${v.version} of this template fix the problem? It ranks the list.`,
    ),
    field('Note', note, 'optional: what happened'),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: record(true) }, 'It worked'),
      h('button', { type: 'button', class: 'secondary', onclick: record(false) }, 'It did not work'),
    ),
    out,
  );
}

function versionsSection(t: Template, v: Version, versions: VersionSummary[]): HTMLElement {
  const section = h(
    'section',
    { 'aria-labelledby': 'tpl-versions' },
    h('h2', { id: 'tpl-versions' }, 'Versions'),
    table(
      'Every version, oldest first',
      ['version', 'when', 'author', 'change note', ''],
      versions.map((x) => [
        String(x.version),
        formatTime(x.createdAt),
        x.author,
        x.changeNote,
        x.version === v.version
          ? h('span', { class: 'muted' }, 'shown')
          : h(
              'a',
              { href: templateHash(t.name, x.version === t.currentVersion ? undefined : x.version) },
              `Show version ${x.version}`,
            ),
      ]),
    ),
  );
  if (versions.length < 2) {
    section.append(h('p', { class: 'muted' }, 'Only one version: nothing to compare yet.'));
    return section;
  }
  const numbers = versions.map((x) => String(x.version));
  const last = versions[versions.length - 1]?.version ?? 1;
  const from = select('from', numbers, String(last - 1));
  const to = select('to', numbers, String(last));
  const out = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Show the differences');
  const form = h(
    'form',
    { class: 'filters diff-form' },
    field('From version', from),
    field('To version', to),
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, async () => {
      const d = await get<{ from: number; to: number; diff: string }>(
        `/api/templates/${encodeURIComponent(t.name)}/diff`,
        { from: from.value, to: to.value },
      );
      out.replaceChildren(
        h('h3', {}, `Changes from version ${d.from} to version ${d.to}`),
        d.diff === ''
          ? h('p', { class: 'muted' }, 'The two versions have the same text.')
          : h(
              'pre',
              { class: 'block diff' },
              d.diff
                .replace(/\n$/, '')
                .split('\n')
                .map((line) => {
                  const kind =
                    line.startsWith('+++') || line.startsWith('---')
                      ? 'diff-file'
                      : line.startsWith('@@')
                        ? 'diff-hunk'
                        : line.startsWith('+')
                          ? 'diff-add'
                          : line.startsWith('-')
                            ? 'diff-del'
                            : null;
                  return [h('span', { class: kind }, line), '\n'];
                }),
            ),
      );
    });
  });
  section.append(h('h3', {}, 'Compare two versions'), form, out);
  return section;
}
