import { api, get } from '../api.js';
import { field, formatTime, h, table } from '../dom.js';
import { events } from '../events.js';
import { act, can, problemBox, type Screen, type ScreenContext } from '../screen.js';

export interface Entry {
  id: string;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  tags: string[];
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  usageCount: number;
  successCount: number;
  failureCount: number;
  archived: boolean;
  version: number;
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  detail: unknown;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low'];

/** The entry form, for a new entry or an edit; returns the form and a function reading its values. */
function entryForm(entry: Partial<Entry>, submitLabel: string) {
  const title = h('input', {
    type: 'text',
    name: 'title',
    required: true,
    value: entry.title ?? '',
    maxlength: 255,
  });
  const problem = h('textarea', { name: 'problem', required: true, rows: 5 }, entry.problem ?? '');
  const solution = h('textarea', { name: 'solution', required: true, rows: 7 }, entry.solution ?? '');
  const category = h('input', {
    type: 'text',
    name: 'category',
    required: true,
    value: entry.category ?? '',
  });
  const severity = h(
    'select',
    { name: 'severity' },
    SEVERITIES.map((s) => h('option', { value: s }, s)),
  );
  severity.value = entry.severity ?? 'medium';
  const tags = h('input', { type: 'text', name: 'tags', value: (entry.tags ?? []).join(', ') });
  const archived = h('input', { type: 'checkbox', name: 'archived', id: 'f-archived-entry' });
  archived.checked = entry.archived ?? false;
  const button = h('button', { type: 'submit' }, submitLabel);
  const form = h(
    'form',
    { class: 'entry-form' },
    field('Title', title),
    field('Problem', problem),
    field('Solution', solution),
    h(
      'div',
      { class: 'filters' },
      field('Category', category, 'e.g. COBOL, VSAM, JCL, DB2, CICS'),
      field('Severity', severity),
      field('Tags', tags, 'comma-separated'),
    ),
    entry.id
      ? h('div', { class: 'field check' }, archived, h('label', { for: 'f-archived-entry' }, 'Archived'))
      : null,
    button,
  );
  const values = () => ({
    title: title.value,
    problem: problem.value,
    solution: solution.value,
    category: category.value,
    severity: severity.value as Entry['severity'],
    tags: tags.value
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    ...(entry.id ? { archived: archived.checked } : {}),
  });
  return { form, values, button };
}

export const newEntryScreen: Screen = {
  path: 'new',
  title: 'New entry',
  render(root, ctx) {
    root.append(h('h1', {}, 'New entry'));
    if (!can(ctx.me, 'editor')) {
      root.append(h('p', { class: 'notice' }, 'Creating entries needs the editor role.'));
      return;
    }
    const out = h('div', {});
    const { form, values, button } = entryForm({}, 'Create entry');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(button, out, async () => {
        const created = await api<Entry>('POST', '/api/entries', values());
        ctx.notify(`Created “${created.title}”`);
        ctx.navigate(`#/entry/${encodeURIComponent(created.id)}`);
      });
    });
    root.append(out, form);
  },
};

export const entryScreen: Screen = {
  path: 'entry',
  title: 'Entry',
  async render(root, ctx) {
    const id = ctx.segments[0];
    if (!id) throw new Error('no entry id in the address');
    let entry = await get<Entry>(`/api/entries/${encodeURIComponent(id)}`);
    const banner = h('div', { 'aria-live': 'polite', class: 'banner-slot' });
    const body = h('div', {});
    root.append(banner, body);
    const draw = () =>
      drawEntry(body, entry, ctx, async () => {
        entry = await get<Entry>(`/api/entries/${encodeURIComponent(id)}`);
        draw();
      });
    draw();
    ctx.onLeave(
      events.on((event) => {
        const p = event.payload as { id?: string; entry?: { id?: string }; version?: number };
        if ((p.id ?? p.entry?.id) !== id) return;
        if (event.type === 'entry:deleted') {
          banner.replaceChildren(
            h('p', { class: 'banner warn', role: 'status' }, 'This entry has been deleted.'),
          );
        } else if (event.type === 'entry:updated' || event.type === 'entry:feedback') {
          void get<Entry>(`/api/entries/${encodeURIComponent(id)}`).then((fresh) => {
            const editing = body.querySelector('form.entry-form') !== null;
            if (event.type === 'entry:updated' && fresh.version !== entry.version) {
              banner.replaceChildren(
                h(
                  'p',
                  { class: 'banner', role: 'status' },
                  `Changed just now (version ${fresh.version}).`,
                  editing ? ' Your edit is based on an older version: saving it will be refused.' : '',
                ),
              );
            }
            if (!editing) {
              entry = fresh;
              draw();
            }
          });
        }
      }),
    );
  },
};

function drawEntry(root: HTMLElement, entry: Entry, ctx: ScreenContext, reload: () => Promise<void>): void {
  const out = h('div', {});
  const children: Node[] = [
    h('h1', {}, entry.title),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'chip' }, entry.category),
      ' ',
      h('span', { class: `chip sev-${entry.severity}` }, entry.severity),
      ' ',
      entry.tags.map((t) => [h('span', { class: 'chip tag' }, t), ' ']),
      entry.archived ? h('span', { class: 'chip' }, 'archived') : null,
    ),
    h('h2', {}, 'Problem'),
    h('p', { class: 'text' }, entry.problem),
    h('h2', {}, 'Solution'),
    h('p', { class: 'text' }, entry.solution),
    h(
      'p',
      { class: 'muted', 'data-testid': 'entry-stats' },
      `Version ${entry.version} · created ${formatTime(entry.createdAt)}${entry.createdBy ? ` by ${entry.createdBy}` : ''} · updated ${formatTime(entry.updatedAt)} · used ${entry.usageCount}× (${entry.successCount} solved, ${entry.failureCount} not)`,
    ),
    out,
  ];
  const feedback = (outcome: 'success' | 'failure') => (e: Event) =>
    void act(e.currentTarget as HTMLButtonElement, out, async () => {
      await api('POST', `/api/entries/${encodeURIComponent(entry.id)}/feedback`, { outcome });
      ctx.notify(
        outcome === 'success'
          ? 'Thanks: recorded that it solved the problem'
          : 'Recorded that it did not help',
      );
      await reload();
    });
  const actions = h(
    'div',
    { class: 'actions' },
    h('button', { type: 'button', onclick: feedback('success') }, 'This solved it'),
    h('button', { type: 'button', class: 'secondary', onclick: feedback('failure') }, 'Did not help'),
  );
  if (can(ctx.me, 'editor')) {
    actions.append(
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => edit(root, entry, ctx, reload) },
        'Edit',
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          onclick: (e: Event) => {
            if (!confirm(`Delete “${entry.title}”?`)) return;
            void act(e.currentTarget as HTMLButtonElement, out, async () => {
              await api('DELETE', `/api/entries/${encodeURIComponent(entry.id)}`);
              ctx.notify('Entry deleted');
              ctx.navigate('#/search');
            });
          },
        },
        'Delete',
      ),
    );
  }
  children.push(actions);
  const history = h('section', { 'aria-label': 'History' }, h('h2', {}, 'History and audit trail'));
  children.push(history);
  root.replaceChildren(...children);
  if (!can(ctx.me, 'admin')) {
    history.append(h('p', { class: 'muted' }, 'The audit trail is shown to the admin role.'));
    return;
  }
  void get<{ rows: AuditRow[] }>(`/api/entries/${encodeURIComponent(entry.id)}/history`).then(
    ({ rows }) =>
      history.append(
        table(
          'Who did what to this entry',
          ['when', 'who', 'role', 'action', 'detail'],
          rows.map((r) => [
            formatTime(r.at),
            r.actor,
            r.role,
            r.action,
            r.detail === null ? '' : JSON.stringify(r.detail),
          ]),
        ),
      ),
    (error) => history.append(problemBox(error)),
  );
}

function edit(root: HTMLElement, entry: Entry, ctx: ScreenContext, reload: () => Promise<void>): void {
  const out = h('div', {});
  const { form, values, button } = entryForm(entry, 'Save');
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => void reload() }, 'Cancel');
  form.append(cancel);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, async () => {
      await api('PATCH', `/api/entries/${encodeURIComponent(entry.id)}`, {
        ...values(),
        expectedVersion: entry.version,
      });
      ctx.notify('Saved');
      await reload();
    });
  });
  root.replaceChildren(h('h1', {}, `Edit: ${entry.title}`), out, form);
  (form.querySelector('input') as HTMLInputElement).focus();
}
