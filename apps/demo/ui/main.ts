import { ApiError, get, setToken, token } from './api.js';
import { clear, field, h } from './dom.js';
import { events } from './events.js';
import { type Me, problemBox, type Screen, type ScreenContext } from './screen.js';
import { SCREENS } from './screens/index.js';

const view = document.getElementById('view') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;

let me: Me | undefined;
let leaving: (() => void)[] = [];

function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  status.textContent = message;
  status.className = kind === 'error' ? 'status error' : 'status';
}

function parseHash(): { path: string; segments: string[]; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart = '', query = ''] = raw.split('?');
  const parts = pathPart
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p));
  return { path: parts[0] ?? 'search', segments: parts.slice(1), params: new URLSearchParams(query) };
}

function renderNav(current: string): void {
  clear(nav);
  const list = h('ul', {});
  for (const screen of SCREENS.filter((s) => s.nav)) {
    const link = h('a', { href: `#/${screen.path}` }, screen.title);
    if (screen.path === current) link.setAttribute('aria-current', 'page');
    list.appendChild(h('li', {}, link));
  }
  nav.appendChild(list);
}

function signIn(message?: string): void {
  clear(view);
  clear(nav);
  who.textContent = '';
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { class: 'card narrow' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste the API token the server printed at start (or open the link it printed).'),
    message ? h('div', { class: 'problem', role: 'alert' }, message) : null,
    field('API token', input),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void boot();
  });
  view.appendChild(form);
  input.focus();
}

async function route(): Promise<void> {
  if (!me) return;
  for (const fn of leaving) fn();
  leaving = [];
  const { path, segments, params } = parseHash();
  const screen: Screen | undefined = SCREENS.find((s) => s.path === path);
  renderNav(screen?.nav ? path : (SCREENS.find((s) => s.path === path)?.path ?? ''));
  clear(view);
  if (!screen) {
    view.appendChild(
      h('div', { class: 'card' }, h('h1', {}, 'Not found'), h('p', {}, `There is no page '${path}'.`)),
    );
    return;
  }
  document.title = `${screen.title} — Mainframe KB`;
  if (screen.plugin && !me.plugins.some((p) => p.id === screen.plugin?.id)) {
    view.appendChild(
      h(
        'div',
        { class: 'card notice', role: 'status' },
        h('h1', {}, screen.title),
        h(
          'p',
          {},
          `This store does not have the ${screen.plugin.package} extension enabled, so this screen has nothing to show. Install and enable it to use it.`,
        ),
      ),
    );
    return;
  }
  const ctx: ScreenContext = {
    params,
    segments,
    me,
    navigate: (hash) => {
      location.hash = hash;
    },
    notify,
    onLeave: (fn) => leaving.push(fn),
  };
  try {
    await screen.render(view, ctx);
  } catch (error) {
    view.appendChild(problemBox(error));
  }
  const heading = view.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

async function boot(): Promise<void> {
  const fromLink = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (fromLink?.[1]) {
    setToken(decodeURIComponent(fromLink[1]));
    history.replaceState(null, '', `${location.pathname}#/search`);
  }
  if (!token()) return signIn();
  try {
    me = await get<Me>('/api/me');
  } catch (error) {
    setToken(null);
    return signIn(error instanceof ApiError ? error.problem.detail : String(error));
  }
  who.replaceChildren(
    h('span', {}, `${me.id} · ${me.role} · ${me.dialect}`),
    ' ',
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: () => {
          setToken(null);
          events.stop();
          me = undefined;
          signIn();
        },
      },
      'Sign out',
    ),
  );
  events.onStatus = (s) => {
    live.textContent = s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'offline';
    live.className = `live ${s}`;
  };
  events.start();
  await route();
}

// The skip link moves focus to the content; following its #view would be read as a route.
document.querySelector('a.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  view.focus();
});

window.addEventListener('hashchange', () => void route());
void boot();
