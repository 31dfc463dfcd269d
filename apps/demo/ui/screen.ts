import { ApiError } from './api.js';
import { h } from './dom.js';

export interface Me {
  id: string;
  role: 'viewer' | 'editor' | 'admin';
  plugins: { id: string; version: string; mvp: number }[];
  dialect: string;
  coreVersion: string;
}

export interface ScreenContext {
  /** The query of the hash route (`#/search?q=S0C7` → q=S0C7). */
  params: URLSearchParams;
  /** The path segments after the screen's own (`#/entry/abc` → ['abc']). */
  segments: string[];
  me: Me;
  navigate(hash: string): void;
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Called when the screen is left: stop timers, unsubscribe. */
  onLeave(fn: () => void): void;
}

export interface Screen {
  /** The first path segment: `#/search` → 'search'. */
  path: string;
  title: string;
  /** In the navigation bar. */
  nav?: boolean;
  /** The plugin id the screen needs; without it, the screen says the extension is not installed. */
  plugin?: { id: string; package: string };
  render(root: HTMLElement, ctx: ScreenContext): Promise<void> | void;
}

const ROLE_RANK = { viewer: 0, editor: 1, admin: 2 } as const;

export function can(me: Me, role: keyof typeof ROLE_RANK): boolean {
  return ROLE_RANK[me.role] >= ROLE_RANK[role];
}

/** A problem shown where it happened: the message, the code, and each field the server named. */
export function problemBox(error: unknown): HTMLElement {
  if (error instanceof ApiError) {
    const p = error.problem;
    return h(
      'div',
      { class: 'problem', role: 'alert' },
      h('strong', {}, `${p.title} (${p.code})`),
      h('p', {}, p.detail),
      p.issues?.length
        ? h(
            'ul',
            {},
            p.issues.map((i) => h('li', {}, h('code', {}, i.path || '(body)'), ` ${i.message}`)),
          )
        : null,
    );
  }
  return h(
    'div',
    { class: 'problem', role: 'alert' },
    h('strong', {}, 'Error'),
    h('p', {}, String((error as Error)?.message ?? error)),
  );
}

/** Runs an action of a form: disables its button meanwhile and shows its problem in `out`. */
export async function act(
  button: HTMLButtonElement | null,
  out: HTMLElement,
  fn: () => Promise<void>,
): Promise<void> {
  if (button) button.disabled = true;
  out.replaceChildren();
  try {
    await fn();
  } catch (error) {
    out.replaceChildren(problemBox(error));
  } finally {
    if (button) button.disabled = false;
  }
}
