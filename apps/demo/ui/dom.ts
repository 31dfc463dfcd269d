/** A tiny DOM builder: text is always set as text, so nothing a store holds is ever parsed as HTML. */

type Child = Node | string | number | null | undefined | false;
/** Children may nest in arrays (a list of [chip, ' '] pairs); they are flattened. */
export type Children = Child | Children[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Children[]): void {
  for (const child of (children as unknown[]).flat(Number.POSITIVE_INFINITY) as Child[]) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Decodes the entities of an HTML-escaped text without parsing it as markup (a textarea runs nothing). */
function unescapeHtml(text: string): string {
  const area = document.createElement('textarea');
  area.innerHTML = text;
  return area.value;
}

/**
 * A search snippet as nodes: core escapes the entry's text and wraps matched terms in <mark>; only those
 * <mark> pairs become elements, everything else stays text.
 */
export function snippetNodes(snippet: string): Node[] {
  const nodes: Node[] = [];
  let marked = false;
  for (const part of snippet.split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') marked = true;
    else if (part === '</mark>') marked = false;
    else if (part !== '') {
      const text = unescapeHtml(part);
      nodes.push(marked ? h('mark', {}, text) : document.createTextNode(text));
    }
  }
  return nodes;
}

/**
 * A select of `options` (a value, or a [value, label] pair), with a first empty option labelled `any` when
 * given; `value` is chosen when given.
 */
export function select(
  name: string,
  options: readonly (string | readonly [string, string])[],
  value?: string | null,
  any?: string,
): HTMLSelectElement {
  const el = h(
    'select',
    { name },
    any === undefined ? null : h('option', { value: '' }, any),
    options.map((o) =>
      typeof o === 'string' ? h('option', { value: o }, o) : h('option', { value: o[0] }, o[1]),
    ),
  );
  if (value !== undefined && value !== null) el.value = value;
  else if (any !== undefined) el.value = '';
  return el;
}

/** A labelled form field: the label names the control for assistive technology. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** A table from rows: headers and cells as text. */
export function table(caption: string, headers: string[], rows: Children[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { scope: 'col' }, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((cell) => h('td', {}, cell)),
        ),
      ),
    ),
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
