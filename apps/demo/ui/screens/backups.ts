import { api, get } from '../api.js';
import { append, type Children, clear, field, formatTime, h, select, table } from '../dom.js';
import { act, can, problemBox, type Screen } from '../screen.js';

/** Replaces the children of `el`; null and false children are left out. */
function fill(el: HTMLElement, ...children: Children[]): void {
  clear(el);
  append(el, children);
}

interface Backup {
  id: string;
  type: 'full' | 'incremental' | 'differential';
  kind: 'physical' | 'logical';
  timestamp: string;
  checksum: string;
  encrypted: boolean;
  compression: { algorithm: string; level: number };
  dataSize: number;
  storedSize: number;
  referencedSize: number;
  entryCount: number;
  schemaVersion: number;
  dialect: string;
  dependsOn: string[];
  legalHold: boolean;
  testVerified: string | null;
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

interface Verification {
  ok: boolean;
  id: string | null;
  keyed: boolean;
  checks: Check[];
  restoreMs?: number;
  comparison?: { equal: boolean; changedTables: string[] };
}

interface Restored {
  id: string;
  file: string;
  restored: boolean;
  entryCount: number;
  tables: Record<string, number>;
  checks: Check[];
  durationMs: number;
  comparison: { equal: boolean; changedTables: string[] };
}

interface RestoreFile {
  file: string;
  bytes: number;
  modifiedAt: string;
}

/** The store's own logs: the server leaves them out of a restore's comparison (backups append to them). */
const LOG_TABLES = new Set(['kb_audit', 'kb_audit_head', 'kb_events', 'kb_migrations']);

/** As the server's RESTORE_NAME: a plain file name, `.db` added when missing. */
const RESTORE_NAME = '[A-Za-z0-9][A-Za-z0-9_\\-]{0,79}(\\.db)?';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

/** ok / failed, as text (never colour alone). */
function verdict(ok: boolean): HTMLElement {
  return h('span', { class: ok ? 'verdict verdict-ok' : 'verdict verdict-failed' }, ok ? 'ok' : 'failed');
}

function checksTable(caption: string, checks: Check[]): HTMLTableElement {
  return table(
    caption,
    ['check', 'result', 'detail'],
    checks.map((c) => [c.name, verdict(c.ok), c.detail]),
  );
}

/** A section whose heading takes the focus when it is shown, so a keyboard or screen-reader user lands on it. */
function focusHeading(section: HTMLElement): void {
  const heading = section.querySelector('h2');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
  section.scrollIntoView({ block: 'nearest' });
}

export const backupsScreen: Screen = {
  path: 'backups',
  title: 'Backups',
  nav: true,
  plugin: { id: 'backup', package: '@mainframe-kb/backup' },
  async render(root, ctx) {
    const admin = can(ctx.me, 'admin');
    const listOut = h('div', {});
    const listBody = h('div', { 'aria-live': 'polite' });
    // Verification and restore results of one backup, below the list.
    const work = h('section', { class: 'backup-work', 'aria-label': 'Selected backup' });
    const restoresBody = h('div', {});

    root.append(
      h('h1', {}, 'Backups'),
      h(
        'p',
        { class: 'muted' },
        "Backups of this store in the server's repository. A restore always creates a new database file in the server's restore folder; it never touches the live store.",
      ),
    );

    const loadRestores = async () => {
      const { restores } = await get<{ restores: RestoreFile[] }>('/api/backups/restores');
      fill(
        restoresBody,
        restores.length === 0
          ? h('p', { class: 'muted' }, 'No restore has created a database yet.')
          : table(
              'Databases restored into the restore folder',
              ['file', 'size', 'modified'],
              restores.map((r) => [h('code', {}, r.file), formatBytes(r.bytes), formatTime(r.modifiedAt)]),
            ),
      );
    };

    const showVerification = (b: Backup, report: Verification, deep: boolean) => {
      const failed = report.checks.filter((c) => !c.ok).length;
      const again = h(
        'button',
        { type: 'button', class: 'secondary' },
        deep ? 'Verify deeply again' : 'Verify deeply (test restore)',
      );
      again.addEventListener('click', () => void verify(b, true, again));
      fill(
        work,
        h('h2', {}, `Verification of ${b.id}`),
        h(
          'p',
          { class: report.ok ? 'summary-ok' : 'summary-failed', 'data-testid': 'verify-summary' },
          report.ok
            ? `All ${report.checks.length} checks passed.`
            : `${failed} of ${report.checks.length} checks failed: do not rely on this backup.`,
          ' ',
          report.keyed
            ? 'The passphrase opened the repository, so the content itself was checked.'
            : 'No passphrase was available: only the checksums were checked, not the content.',
        ),
        checksTable(`Checks of backup ${b.id}`, report.checks),
        report.restoreMs !== undefined
          ? h('p', {}, `The test restore took ${report.restoreMs.toFixed(0)} ms.`)
          : null,
        report.comparison
          ? h(
              'p',
              { class: 'muted' },
              report.comparison.equal
                ? 'The live store has the same content as this backup.'
                : `The live store has moved on since this backup in: ${report.comparison.changedTables.join(', ')} (information, not a failure).`,
            )
          : null,
        h('div', { class: 'actions' }, again),
      );
      focusHeading(work);
    };

    /** Verifies `b`; the report, or the problem, shows in the panel below the list. */
    const verify = (b: Backup, deep: boolean, button: HTMLButtonElement) => {
      const out = h('div', {});
      const waiting = h(
        'p',
        { role: 'status' },
        deep ? 'Verifying, with a test restore…' : 'Verifying the checksums and every blob…',
      );
      fill(work, h('h2', {}, `Verification of ${b.id}`), waiting, out);
      return act(button, out, async () => {
        try {
          const report = await api<Verification>(
            'POST',
            `/api/backups/${encodeURIComponent(b.id)}/verify`,
            deep ? { deep: true } : {},
          );
          ctx.notify(
            report.ok ? `Backup ${b.id} verified` : `Backup ${b.id} failed verification`,
            report.ok ? 'info' : 'error',
          );
          showVerification(b, report, deep);
        } finally {
          waiting.remove();
        }
        await loadList().catch((error) => listOut.replaceChildren(problemBox(error)));
      });
    };

    const showRestoreForm = (b: Backup) => {
      const name = h('input', {
        type: 'text',
        name: 'name',
        pattern: RESTORE_NAME,
        maxlength: 83,
        autocomplete: 'off',
        spellcheck: 'false',
      });
      const integrity = select('integrity', [
        ['auto', 'auto (full check unless a deep verification recorded one)'],
        ['full', 'full integrity_check'],
        ['quick', 'quick_check'],
      ]);
      const button = h('button', { type: 'submit' }, 'Restore into a new file');
      const out = h('div', {});
      const result = h('div', { 'aria-live': 'polite' });
      const form = h(
        'form',
        { class: 'restore-form' },
        h(
          'div',
          { class: 'filters' },
          field(
            'New database name',
            name,
            'Letters, digits, _ and -; .db is added. Empty: restore-<id>-<time>.db. Never an existing file.',
          ),
          field('Integrity check', integrity),
        ),
        button,
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void act(button, out, async () => {
          const body: Record<string, string> = { integrity: integrity.value };
          if (name.value.trim()) body.name = name.value.trim();
          const restored = await api<Restored>(
            'POST',
            `/api/backups/${encodeURIComponent(b.id)}/restore`,
            body,
          );
          ctx.notify(`Restored ${b.id} into ${restored.file}`);
          showRestored(result, restored);
          await loadRestores().catch((error) => fill(restoresBody, problemBox(error)));
        });
      });
      fill(
        work,
        h('h2', {}, `Restore ${b.id}`),
        h(
          'p',
          {},
          `A ${b.type} ${b.kind} backup of ${b.entryCount} entries, taken ${formatTime(b.timestamp)}. It is restored into a new database file; the live store is not changed.`,
        ),
        form,
        out,
        result,
      );
      focusHeading(work);
      name.focus({ preventScroll: true });
    };

    const loadList = async () => {
      const { backups, damaged } = await get<{ backups: Backup[]; damaged: string[] }>('/api/backups');
      const headers = ['backup', 'type', 'taken', 'entries', 'size', 'stored', 'encrypted', 'last verified'];
      if (admin) headers.push('actions');
      const rows = backups.map((b) => {
        const row: Children[] = [
          h('code', {}, b.id),
          [
            `${b.type} · ${b.kind}`,
            b.dependsOn.length > 0 ? h('br', {}) : null,
            b.dependsOn.length > 0
              ? h('small', { class: 'muted' }, `needs ${b.dependsOn.length} earlier`)
              : null,
            b.legalHold ? [' ', h('span', { class: 'chip' }, 'legal hold')] : null,
          ],
          formatTime(b.timestamp),
          String(b.entryCount),
          formatBytes(b.dataSize),
          formatBytes(b.storedSize),
          b.encrypted ? 'yes' : 'no',
          b.testVerified ? formatTime(b.testVerified) : 'never',
        ];
        if (admin) {
          const verifyButton = h(
            'button',
            { type: 'button', class: 'secondary', 'aria-label': `Verify ${b.id}` },
            'Verify',
          );
          verifyButton.addEventListener('click', () => void verify(b, false, verifyButton));
          row.push(
            h(
              'div',
              { class: 'row-actions' },
              verifyButton,
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'aria-label': `Restore ${b.id}…`,
                  onclick: () => showRestoreForm(b),
                },
                'Restore…',
              ),
            ),
          );
        }
        return row;
      });
      fill(
        listBody,
        backups.length === 0
          ? h('p', { class: 'muted' }, 'The repository holds no backup yet.')
          : table(`${backups.length} backup${backups.length === 1 ? '' : 's'}, oldest first`, headers, rows),
        damaged.length > 0
          ? h(
              'div',
              { class: 'problem', role: 'alert' },
              h('strong', {}, 'Damaged manifests'),
              h(
                'ul',
                {},
                damaged.map((d) => h('li', {}, d)),
              ),
            )
          : null,
      );
    };

    // Make a backup (admin).
    const create = h(
      'section',
      { 'aria-labelledby': 'backups-create' },
      h('h2', { id: 'backups-create' }, 'Make a backup'),
    );
    if (admin) {
      const type = select('type', [
        ['full', 'full'],
        ['incremental', 'incremental (changes since the last backup)'],
        ['differential', 'differential (changes since the last full)'],
      ]);
      const kind = select('kind', [
        ['physical', 'physical (SQLite page image)'],
        ['logical', 'logical (table rows)'],
      ]);
      const hold = h('input', { type: 'checkbox', name: 'legalHold', id: 'f-legal-hold' });
      const button = h('button', { type: 'submit' }, 'Create backup');
      const out = h('div', { 'aria-live': 'polite' });
      const form = h(
        'form',
        { class: 'filters' },
        field('Type', type),
        field('Kind', kind),
        h('div', { class: 'field check' }, hold, h('label', { for: 'f-legal-hold' }, 'Legal hold')),
        h('div', { class: 'field' }, button),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void act(button, out, async () => {
          const made = await api<{ backup: Backup; durationMs: number }>('POST', '/api/backups', {
            type: type.value,
            kind: kind.value,
            ...(hold.checked ? { legalHold: true } : {}),
          });
          ctx.notify(`Backup ${made.backup.id} created`);
          fill(
            out,
            h(
              'p',
              { role: 'status' },
              `Made ${made.backup.id}: ${made.backup.entryCount} entries, ${formatBytes(made.backup.storedSize)} stored, in ${made.durationMs.toFixed(0)} ms.`,
            ),
          );
          await loadList().catch((error) => listOut.replaceChildren(problemBox(error)));
        });
      });
      create.append(form, out);
    } else {
      create.append(
        h(
          'p',
          { class: 'notice' },
          `Making, verifying and restoring backups needs the admin role; you are signed in as ${ctx.me.role}, so this page lists them only.`,
        ),
      );
    }

    const list = h(
      'section',
      { 'aria-labelledby': 'backups-list' },
      h('h2', { id: 'backups-list' }, 'Backups in the repository'),
      listOut,
      listBody,
    );
    const restores = h(
      'section',
      { 'aria-labelledby': 'backups-restores' },
      h('h2', { id: 'backups-restores' }, 'Restored files'),
      restoresBody,
    );
    root.append(create, list, work, restores);

    await loadList().catch((error) => listOut.replaceChildren(problemBox(error)));
    if (admin) await loadRestores().catch((error) => fill(restoresBody, problemBox(error)));
    else
      restoresBody.append(
        h('p', { class: 'muted' }, 'The databases restores have created are listed to the admin role.'),
      );
  },
};

function showRestored(out: HTMLElement, r: Restored): void {
  const changed = new Set(r.comparison.changedTables);
  const all = Object.keys(r.tables).sort();
  // Tables with rows, and any that differ from the live store; the empty rest is one line.
  const tableNames = all.filter((t) => (r.tables[t] ?? 0) > 0 || changed.has(t));
  const empty = all.length - tableNames.length;
  fill(
    out,
    h(
      'p',
      { class: 'summary-ok', 'data-testid': 'restored-summary' },
      `Restored ${r.entryCount} entries into ${r.file} in ${r.durationMs.toFixed(0)} ms.`,
    ),
    h(
      'p',
      {},
      r.comparison.equal
        ? 'Its content tables have the same row counts as the live store now.'
        : `The live store has moved on since this backup: ${r.comparison.changedTables.join(', ')} differ${r.comparison.changedTables.length === 1 ? 's' : ''} (information, not a failure).`,
    ),
    checksTable(`Checks the restore of ${r.id} passed`, r.checks),
    table(
      `Rows restored into ${r.file}`,
      ['table', 'rows', 'against the live store'],
      tableNames.map((t) => [
        t,
        String(r.tables[t]),
        LOG_TABLES.has(t) ? 'not compared (a log)' : changed.has(t) ? 'differs' : 'same count',
      ]),
    ),
    empty > 0
      ? h(
          'p',
          { class: 'muted' },
          `${empty} more table${empty === 1 ? ' is' : 's are'} empty in the restored file, as in the live store.`,
        )
      : null,
  );
}
