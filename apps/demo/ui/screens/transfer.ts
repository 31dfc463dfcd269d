import { ApiError, download, upload } from '../api.js';
import { append, type Children, clear, field, h, select, table } from '../dom.js';
import { act, can, type Screen } from '../screen.js';

/** Replaces the children of `el`; null and false children are left out. */
function fill(el: HTMLElement, ...children: Children[]): void {
  clear(el);
  append(el, children);
}

/** The formats GET /api/export and POST /api/import take (transfer-schemas.ts FORMATS). */
const FORMATS: [string, string][] = [
  ['json', 'JSON — one versioned envelope file'],
  ['ndjson', 'NDJSON — a tar of the export folder'],
  ['csv', 'CSV — a tar of the export folder'],
  ['xml', 'XML — a tar of the export folder'],
  ['parquet', 'Parquet — a tar of the export folder'],
  ['avro', 'Avro — a tar of the export folder'],
  ['orc', 'ORC — a tar of the export folder'],
];

/**
 * The entities an export can hold, and the plugin that contributes each (null: the store's own). There is no
 * route listing them; an entity whose plugin is not enabled is not offered.
 */
const ENTITIES: { id: string; label: string; plugin: string | null }[] = [
  { id: 'kb', label: 'KB entries (tags, relations, feedback, usage)', plugin: null },
  { id: 'incidents', label: 'incidents', plugin: 'patterns' },
  { id: 'patterns', label: 'patterns', plugin: 'patterns' },
  { id: 'code', label: 'code', plugin: 'code' },
  { id: 'templates', label: 'templates', plugin: 'templates' },
  { id: 'workspaces', label: 'workspaces', plugin: 'templates' },
  { id: 'predictions', label: 'predictions', plugin: 'analytics' },
  { id: 'analytics', label: 'analytics snapshots', plugin: 'analytics' },
  { id: 'models', label: 'models and datasets', plugin: 'analytics' },
  { id: 'auto-resolutions', label: 'auto-resolutions', plugin: 'analytics' },
  { id: 'events', label: 'event log', plugin: null },
  { id: 'audit', label: 'audit trail', plugin: null },
  { id: 'schema', label: 'migrations ledger', plugin: null },
];

interface TableCounts {
  inserted: number;
  updated: number;
  skipped: number;
  rejected: number;
}

interface ImportIssue {
  record: number;
  table: string;
  location: {
    line?: number;
    row?: number;
    rowGroup?: number;
    stripe?: number;
    xpath?: string;
    pointer?: string;
  };
  field: string;
  message: string;
}

interface ImportResult extends TableCounts {
  format: string;
  layout: 'envelope' | 'directory' | 'records' | 'source';
  dryRun: boolean;
  committed: boolean;
  tables: Record<string, TableCounts>;
  errors: ImportIssue[];
  transformationLog: { from: string; to: string; description: string; records: number }[];
  ignored: string[];
  resumedAfter: number;
  warnings: string[];
}

/**
 * Uploads the file to the import route. A 422 whose body is the import's result (records refused, nothing
 * committed) is an answer to show, not a failure: it comes back like a 200.
 */
async function uploadImport(
  path: string,
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<{ result: ImportResult }> {
  try {
    return { result: await upload<ImportResult>(path, file, onProgress) };
  } catch (error) {
    const body = error instanceof ApiError ? (error.body as Partial<ImportResult> | undefined) : undefined;
    if (
      error instanceof ApiError &&
      error.status === 422 &&
      Array.isArray(body?.errors) &&
      typeof body?.committed === 'boolean'
    ) {
      return { result: body as ImportResult };
    }
    throw error;
  }
}

function where(location: ImportIssue['location']): string {
  if (location.line !== undefined) return String(location.line);
  const parts: string[] = [];
  if (location.row !== undefined) parts.push(`row ${location.row}`);
  if (location.rowGroup !== undefined) parts.push(`row group ${location.rowGroup}`);
  if (location.stripe !== undefined) parts.push(`stripe ${location.stripe}`);
  if (location.xpath) parts.push(location.xpath);
  if (location.pointer) parts.push(location.pointer);
  return parts.join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function showResult(out: HTMLElement, r: ImportResult): void {
  const counts = `insert ${r.inserted}, update ${r.updated}, skip ${r.skipped} and reject ${r.rejected}`;
  let summary: HTMLElement;
  if (r.dryRun) {
    summary = h(
      'p',
      { class: 'notice', role: 'status', 'data-testid': 'import-summary' },
      h('strong', {}, 'Dry run: nothing was written. '),
      `The import would ${counts} records.`,
    );
  } else if (r.committed) {
    summary = h(
      'p',
      { class: 'summary-ok', role: 'status', 'data-testid': 'import-summary' },
      `Imported: inserted ${r.inserted}, updated ${r.updated}, skipped ${r.skipped}, rejected ${r.rejected}.`,
    );
  } else {
    summary = h(
      'div',
      { class: 'problem', role: 'alert', 'data-testid': 'import-summary' },
      h('strong', {}, 'Refused: nothing was written.'),
      h(
        'p',
        {},
        `${plural(r.rejected, 'record')} ${r.rejected === 1 ? 'was' : 'were'} rejected, and the import is all or nothing. Correct the file (or choose another conflict policy) and upload it again.`,
      ),
    );
  }
  const tableNames = Object.keys(r.tables);
  fill(
    out,
    h('h2', {}, 'Import result'),
    summary,
    h('p', { class: 'muted' }, `Read as ${r.format} (${r.layout}).`),
    tableNames.length > 0
      ? table(
          r.committed
            ? 'Records per table'
            : r.dryRun
              ? 'Records per table (what the import would do)'
              : 'Records per table (what the import would have done; nothing was written)',
          ['table', 'inserted', 'updated', 'skipped', 'rejected'],
          tableNames.map((t) => {
            const c = r.tables[t] as TableCounts;
            return [t, String(c.inserted), String(c.updated), String(c.skipped), String(c.rejected)];
          }),
        )
      : null,
    r.errors.length > 0
      ? table(
          r.rejected > r.errors.length
            ? `Rejected records (the first ${r.errors.length} of ${r.rejected})`
            : 'Rejected records',
          ['record', 'line', 'field', 'message', 'table'],
          r.errors.map((e) => [
            String(e.record),
            where(e.location),
            e.field === '' ? '(whole record)' : h('code', {}, e.field),
            e.message,
            e.table,
          ]),
        )
      : null,
    r.warnings.length > 0
      ? h(
          'div',
          {},
          h('h3', {}, 'Warnings'),
          h(
            'ul',
            {},
            r.warnings.map((w) => h('li', {}, w)),
          ),
        )
      : null,
    r.transformationLog.length > 0
      ? table(
          'Transformations applied',
          ['from', 'to', 'what', 'records'],
          r.transformationLog.map((s) => [s.from, s.to, s.description, String(s.records)]),
        )
      : null,
    r.ignored.length > 0
      ? h('p', { class: 'muted' }, `Left out (the store keeps its own): ${r.ignored.join(', ')}.`)
      : null,
  );
}

export const transferScreen: Screen = {
  path: 'transfer',
  title: 'Export / import',
  nav: true,
  plugin: { id: 'io-formats', package: '@mainframe-kb/io-formats' },
  render(root, ctx) {
    root.append(h('h1', {}, 'Export / import'));
    if (!can(ctx.me, 'admin')) {
      root.append(
        h(
          'p',
          { class: 'notice' },
          `Exporting and importing the store need the admin role; you are signed in as ${ctx.me.role}.`,
        ),
      );
      return;
    }
    const enabled = new Set(ctx.me.plugins.map((p) => p.id));

    // ── Export ──
    const format = select('format', FORMATS);
    const entityBoxes = ENTITIES.filter((e) => e.plugin === null || enabled.has(e.plugin)).map((e) => {
      const box = h('input', { type: 'checkbox', name: 'entities', value: e.id, id: `f-entity-${e.id}` });
      return {
        box,
        el: h(
          'div',
          { class: 'field check' },
          box,
          h('label', { for: box.id, class: 'choice-label' }, e.label),
        ),
      };
    });
    const exportButton = h('button', { type: 'submit' }, 'Download');
    const exportOut = h('div', { 'aria-live': 'polite' });
    const exportForm = h(
      'form',
      {},
      field(
        'Format',
        format,
        'JSON downloads one file; the other formats download a tar of the export folder.',
      ),
      h(
        'fieldset',
        { class: 'choices' },
        h('legend', {}, 'Entities'),
        h('p', { class: 'hint choices-note' }, 'None checked: every entity.'),
        h(
          'div',
          { class: 'options' },
          entityBoxes.map((b) => b.el),
        ),
      ),
      exportButton,
    );
    exportForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(exportButton, exportOut, async () => {
        const params = new URLSearchParams({ format: format.value });
        const chosen = entityBoxes.filter((b) => b.box.checked).map((b) => b.box.value);
        if (chosen.length > 0) params.set('entities', chosen.join(','));
        await download(
          `/api/export?${params}`,
          format.value === 'json' ? 'kb-export.json' : `kb-export-${format.value}.tar`,
        );
        const what = chosen.length > 0 ? chosen.join(', ') : 'every entity';
        ctx.notify(`Export downloaded (${format.value}, ${what})`);
        fill(exportOut, h('p', { role: 'status' }, `Downloaded the ${format.value} export of ${what}.`));
      });
    });

    // ── Import ──
    const file = h('input', { type: 'file', name: 'file', required: true });
    const importFormat = select('format', [
      ['', 'detect from the content'],
      ...FORMATS.map(([v]) => [v, v] as [string, string]),
    ]);
    const onConflict = select('onConflict', [
      ['fail', 'refuse the import (default)'],
      ['skip', 'skip the record'],
      ['update', 'update the existing record'],
    ]);
    const dryRun = h('input', { type: 'checkbox', name: 'dryRun', id: 'f-dry-run', checked: true });
    const progress = h('progress', { max: 1, value: 0 });
    const progressField = field('Upload progress', progress);
    progressField.hidden = true;
    const importButton = h('button', { type: 'submit' }, 'Upload and import');
    const importOut = h('div', {});
    const importResult = h('div', { 'aria-live': 'polite', class: 'import-result' });
    const importForm = h(
      'form',
      {},
      field(
        'File',
        file,
        'An export (JSON envelope, or a tar of an export folder) or a plain file of KB entries: JSON, NDJSON, CSV, XML, Parquet, Avro or ORC, optionally gzip-compressed.',
      ),
      h(
        'div',
        { class: 'filters' },
        field('File format', importFormat),
        field('A record whose key exists', onConflict),
      ),
      h(
        'div',
        { class: 'field check' },
        dryRun,
        h('label', { for: 'f-dry-run' }, 'Dry run: check and report, write nothing'),
      ),
      importButton,
      progressField,
    );
    importForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return;
      clear(importResult);
      progress.value = 0;
      progressField.hidden = false;
      void act(importButton, importOut, async () => {
        const params = new URLSearchParams();
        if (importFormat.value) params.set('format', importFormat.value);
        if (dryRun.checked) params.set('dryRun', 'true');
        if (onConflict.value !== 'fail') params.set('onConflict', onConflict.value);
        const qs = params.toString();
        const { result } = await uploadImport(`/api/import${qs ? `?${qs}` : ''}`, chosen, (f) => {
          progress.value = f;
        });
        showResult(importResult, result);
        importResult.scrollIntoView({ block: 'start' });
        ctx.notify(
          result.dryRun
            ? `Dry run of ${chosen.name}: nothing written`
            : result.committed
              ? `Imported ${chosen.name}`
              : `Import of ${chosen.name} refused: nothing written`,
          result.committed || result.dryRun ? 'info' : 'error',
        );
      });
    });

    root.append(
      h(
        'div',
        { class: 'transfer-layout' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'transfer-export' },
          h('h2', { id: 'transfer-export' }, 'Export'),
          exportForm,
          exportOut,
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'transfer-import' },
          h('h2', { id: 'transfer-import' }, 'Import'),
          importForm,
          importOut,
        ),
      ),
      importResult,
    );
  },
};
