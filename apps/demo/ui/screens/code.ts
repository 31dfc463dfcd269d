import { api, get, upload } from '../api.js';
import { type Children, field, formatTime, h, table } from '../dom.js';
import { act, can, problemBox, type Screen, type ScreenContext } from '../screen.js';
import { checkbox, choice, entryLink, entryPicker, fill, progressBar, section } from './incidents.js';

// ─── What the API answers (apps/demo/src/routes/code-schemas.ts) ──────────────────────────────────────

type Language = 'cobol' | 'copybook' | 'jcl' | 'unknown';

interface Range {
  start: number;
  end: number;
}

interface CobolStructure {
  language: 'cobol';
  programId: string | null;
  format: string;
  programs: ({ name: string; complexity: number } & Range)[];
  divisions: ({ name: string } & Range)[];
  sections: ({ name: string; division: string } & Range)[];
  paragraphs: ({ name: string; section?: string; statements: number; complexity: number } & Range)[];
  neverPerformed: string[];
  unreachable: string[];
  calls: { target: string; kind: 'static' | 'dynamic'; line: number }[];
  copies: { name: string; library?: string; line: number; resolved: boolean }[];
  files: { name: string; assignTo: string[]; organization?: string; fileStatus?: string; line: number }[];
  records: { file: string; name: string; line: number }[];
  sql: ({ kind: string; cursor?: string; hostVariables: string[]; paragraph?: string } & Range)[];
  cics: ({ command: string } & Range)[];
}

interface CopybookStructure {
  language: 'copybook';
  kind: 'record' | 'procedure';
  recordLength: number;
}

interface JclStructure {
  language: 'jcl';
  kind: 'job' | 'proc';
  job: string | null;
  proc: string | null;
  steps: {
    name: string;
    line: number;
    program?: string;
    proc?: string;
    dds: {
      name?: string;
      dsn?: string;
      disp?: string;
      sysout?: string;
      dummy?: boolean;
      instreamLines?: number;
      line: number;
    }[];
  }[];
  datasets: string[];
  programs: string[];
  unresolvedProcs: string[];
}

type Structure = CobolStructure | CopybookStructure | JclStructure | { language: 'unknown' };

interface CodeLink {
  id: string;
  kbEntryId: string;
  path: string;
  lineStart: number;
  lineEnd: number;
  linkType: string;
  confidence: number | null;
  status: string;
  note: string | null;
}

interface FileSummary {
  id: string;
  repository: string;
  path: string;
  language: Language;
  name: string | null;
  sizeBytes: number;
  lines: number;
  complexity: number | null;
  parsedAt: string;
  issueCount: number;
  errorCount: number;
}

interface CodeFile extends Omit<FileSummary, 'issueCount' | 'errorCount'> {
  structure: Structure;
  issues: { severity: 'error' | 'warning'; code: string; message: string; line: number | null }[];
  links: CodeLink[];
}

interface Layout {
  name: string;
  recordLength: number;
  fields: {
    level: number;
    name: string;
    key: string;
    path: string[];
    offset: number;
    start: number;
    end: number;
    length: number;
    type: string;
    usage: string;
    picture: string | null;
    occurs: { min: number; max: number; dependingOn?: string } | null;
    redefines: string | null;
    conditions: { name: string }[];
  }[];
  notes: string[];
}

interface Decoded {
  copybook: string;
  recordLength: number;
  encoding: string;
  format: string;
  bytes: number;
  offset: number;
  records: { index: number; values: Record<string, unknown> }[];
  errors: { record: number; byteOffset: number; reason: string; message: string }[];
  more: boolean;
}

interface Suggestion {
  kbEntryId: string;
  title: string;
  linkType: string;
  confidence: number;
  evidence: string[];
}

const LANGUAGES: [string, string][] = [
  ['cobol', 'COBOL program'],
  ['copybook', 'copybook'],
  ['jcl', 'JCL'],
];
const LINK_TYPES = ['related', 'fixes', 'handles', 'raises', 'example'];

const fileHref = (id: string) => `#/code/file/${encodeURIComponent(id)}`;
const lines = (r: Range) => (r.start === r.end ? String(r.start) : `${r.start}–${r.end}`);
const orDash = (v: string | number | null | undefined) =>
  v === undefined || v === null || v === '' ? '—' : String(v);
const scroll = (el: HTMLElement) => h('div', { class: 'table-scroll' }, el);
/** A table, or a sentence when it would be empty. */
const tableOr = (empty: string, caption: string, headers: string[], rows: Children[][]) =>
  rows.length === 0 ? h('p', { class: 'muted' }, empty) : scroll(table(caption, headers, rows));

// ─── The screen ──────────────────────────────────────────────────────────────────────────────────────

export const codeScreen: Screen = {
  path: 'code',
  title: 'Code',
  nav: true,
  plugin: { id: 'code', package: '@mainframe-kb/plugin-code' },
  async render(root, ctx) {
    if (ctx.segments[0] === 'file' && ctx.segments[1]) {
      await renderFile(root, ctx, ctx.segments[1]);
      return;
    }
    const files = fileList();
    const decoder = decodeSection(ctx);
    root.append(h('h1', {}, 'Code'));
    if (can(ctx.me, 'editor')) {
      root.append(
        uploadSection(async () => {
          await Promise.all([files.load(), decoder.load()]);
        }),
      );
    }
    root.append(files.el, decoder.el);
    await Promise.all([files.load(), decoder.load()]);
  },
};

function uploadSection(refresh: () => Promise<void>): HTMLElement {
  const file = h('input', {
    type: 'file',
    name: 'source',
    required: true,
    accept: '.cbl,.cob,.cobol,.cpy,.copy,.jcl,.proc,.txt',
  });
  const path = h('input', { type: 'text', name: 'path', required: true, maxlength: 512 });
  const repository = h('input', { type: 'text', name: 'repository', placeholder: 'imported', size: 14 });
  const language = choice('language', LANGUAGES, 'detect it');
  const progress = progressBar();
  const button = h('button', { type: 'submit' }, 'Upload and analyse');
  const out = h('div', { 'aria-live': 'polite', class: 'result' });
  // The path defaults to the file's name; a path typed by hand is kept.
  let typed = false;
  path.addEventListener('input', () => {
    typed = path.value !== '';
  });
  file.addEventListener('change', () => {
    const name = file.files?.[0]?.name;
    if (name && !typed) path.value = name;
  });
  const form = h(
    'form',
    { class: 'card' },
    h(
      'div',
      { class: 'filters tools' },
      field('Source file', file, 'COBOL, copybook or JCL, as text'),
      field('Path', path, 'its path in the repository, e.g. cbl/CBL0001.cobol'),
      field('Repository', repository),
      field('Language', language),
      button,
    ),
    progress.el,
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, async () => {
      const chosen = file.files?.[0];
      if (!chosen) throw new Error('Choose the source file to upload.');
      const query = new URLSearchParams({ path: path.value.trim() || chosen.name });
      if (repository.value.trim()) query.set('repository', repository.value.trim());
      if (language.value) query.set('language', language.value);
      progress.start();
      const stored = await upload<CodeFile>(
        `/api/code/files?${query}`,
        new Blob([chosen], { type: 'application/octet-stream' }),
        progress.set,
      );
      const errors = stored.issues.filter((i) => i.severity === 'error').length;
      out.replaceChildren(
        h(
          'p',
          { role: 'status' },
          `Stored ${stored.path} in ${stored.repository}: ${stored.language}${stored.name ? ` ${stored.name}` : ''}, ${stored.lines} lines, ${stored.issues.length} issue${stored.issues.length === 1 ? '' : 's'}${errors ? ` (${errors} errors)` : ''}. `,
          h('a', { href: fileHref(stored.id) }, `Show the structure of ${stored.name ?? stored.path}`),
        ),
      );
      typed = false;
      await refresh();
    });
  });
  return section('Upload source', form);
}

function fileList(): { el: HTMLElement; load(): Promise<void> } {
  const language = choice('language', [...LANGUAGES, ['unknown', 'unknown']], 'any language');
  const name = h('input', { type: 'text', name: 'name', size: 12 });
  const button = h('button', { type: 'submit' }, 'Filter');
  const out = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    const page = await get<{ files: FileSummary[]; hasMore: boolean }>('/api/code/files', {
      language: language.value,
      name: name.value.trim(),
      limit: 200,
    });
    fill(
      out,
      tableOr(
        'No file matches. Upload a COBOL program, copybook or JCL.',
        'Analysed files',
        ['path', 'repository', 'language', 'name', 'lines', 'complexity', 'issues', 'analysed'],
        page.files.map((f) => [
          h('a', { href: fileHref(f.id) }, f.path),
          f.repository,
          f.language,
          orDash(f.name),
          String(f.lines),
          orDash(f.complexity),
          f.errorCount > 0 ? `${f.issueCount} (${f.errorCount} errors)` : String(f.issueCount),
          formatTime(f.parsedAt),
        ]),
      ),
      page.hasMore ? h('p', { class: 'muted' }, 'The first 200 are shown: filter to see others.') : null,
    );
  };
  const form = h(
    'form',
    { class: 'filters tools', role: 'search', 'aria-label': 'Filter files' },
    field('Language', language),
    field('Name', name, 'program, copybook, job or PROC'),
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, load);
  });
  return {
    el: section('Analysed files', form, out),
    load: () => load().catch((error) => out.replaceChildren(problemBox(error))),
  };
}

// ─── Decoding a data file with a stored copybook ─────────────────────────────────────────────────────

/** The values of a decoded record as columns: groups flattened (`CLIENT_ADDR.STREET_ADDR`). */
function flatten(values: Record<string, unknown>, prefix = '', into = new Map<string, unknown>()) {
  for (const [k, v] of Object.entries(values)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      flatten(v as Record<string, unknown>, key, into);
    } else into.set(key, v);
  }
  return into;
}

const cell = (v: unknown) =>
  v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function decodeSection(ctx: ScreenContext): { el: HTMLElement; load(): Promise<void> } {
  const data = h('input', { type: 'file', name: 'data', required: true });
  const copybook = choice('copybook', [], 'no copybook stored');
  const encoding = choice('encoding', [
    ['cp037', 'EBCDIC (cp037)'],
    ['ascii', 'ASCII'],
  ]);
  const format = choice('format', [
    ['F', 'fixed length (F)'],
    ['V', 'variable, with RDWs (V)'],
  ]);
  const recordLength = h('input', { type: 'number', name: 'recordLength', min: 1, max: 1_000_000, size: 8 });
  const limit = h('input', { type: 'number', name: 'limit', min: 1, max: 1000, value: 100, size: 6 });
  const bigEndian = checkbox('Big-endian RDWs', 'rdwBig', 'V records: default little-endian');
  const progress = progressBar();
  const button = h('button', { type: 'submit' }, 'Decode');
  const out = h('div', { 'aria-live': 'polite', class: 'result' });

  const decode = async (offset: number) => {
    const chosen = data.files?.[0];
    if (!chosen) throw new Error('Choose the data file to decode.');
    if (!copybook.value) throw new Error('Choose the copybook that describes its records.');
    const query = new URLSearchParams({
      copybook: copybook.value,
      encoding: encoding.value,
      format: format.value,
      offset: String(offset),
      limit: limit.value || '100',
    });
    if (recordLength.value) query.set('recordLength', recordLength.value);
    if (format.value === 'V' && bigEndian.input.checked) query.set('rdwByteOrder', 'big');
    progress.start();
    const r = await upload<Decoded>(
      `/api/code/files/decode?${query}`,
      new Blob([chosen], { type: 'application/octet-stream' }),
      progress.set,
    );
    out.replaceChildren(...decodedView(r, chosen.name, (e, next) => void act(e, out, () => decode(next))));
  };
  const form = h(
    'form',
    { class: 'card' },
    h(
      'div',
      { class: 'filters tools' },
      field('Data file', data, 'EBCDIC or ASCII records, byte for byte'),
      field('Copybook', copybook, 'a stored copybook describing one record'),
      field('Encoding', encoding),
      field('Record format', format),
      field('Record length', recordLength, "default: the copybook's"),
      field('Records per page', limit),
      bigEndian.el,
      button,
    ),
    progress.el,
    out,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(button, out, () => decode(0));
  });
  const hint = h('p', { class: 'muted' });
  const load = async () => {
    const page = await get<{ files: FileSummary[] }>('/api/code/files', {
      language: 'copybook',
      limit: 1000,
    });
    const before = copybook.value;
    copybook.replaceChildren(
      ...(page.files.length === 0
        ? [h('option', { value: '' }, 'no copybook stored')]
        : page.files.map((f) => h('option', { value: f.name ?? f.id }, `${f.name ?? f.path} (${f.path})`))),
    );
    if (before && page.files.some((f) => (f.name ?? f.id) === before)) copybook.value = before;
    hint.textContent =
      page.files.length > 0
        ? ''
        : can(ctx.me, 'editor')
          ? 'Upload the copybook of the records first (above).'
          : 'An editor must upload the copybook of the records first.';
  };
  return {
    el: section('Decode a data file', hint, form),
    load: () => load().catch((error) => out.replaceChildren(problemBox(error))),
  };
}

function decodedView(
  r: Decoded,
  name: string,
  page: (button: HTMLButtonElement, offset: number) => void,
): Node[] {
  const rows = r.records.map((rec) => flatten(rec.values));
  const columns = [...new Set(rows.flatMap((m) => [...m.keys()]))];
  const first = r.records[0]?.index;
  const last = r.records[r.records.length - 1]?.index;
  const nodes: Node[] = [
    h(
      'p',
      { role: 'status' },
      `${name}: ${r.bytes} bytes of ${r.recordLength}-byte ${r.format} records, ${r.encoding}, read with ${r.copybook}. ${r.records.length} record${r.records.length === 1 ? '' : 's'} decoded${r.errors.length ? `, ${r.errors.length} could not be` : ''}.`,
    ),
  ];
  if (r.records.length > 0) {
    nodes.push(
      h(
        'div',
        { class: 'table-scroll nowrap' },
        table(
          `Decoded records ${(first ?? 0) + 1}–${(last ?? 0) + 1}`,
          ['record', ...columns],
          r.records.map((rec, i) => [String(rec.index + 1), ...columns.map((c) => cell(rows[i]?.get(c)))]),
        ),
      ),
    );
  }
  if (r.errors.length > 0) {
    nodes.push(
      table(
        'Records that could not be decoded',
        ['record', 'byte offset', 'reason', 'message'],
        r.errors.map((e) => [String(e.record + 1), String(e.byteOffset), e.reason, e.message]),
      ),
    );
  }
  const pager = h('div', { class: 'actions' });
  if (r.offset > 0) {
    const limit = Math.max(1, r.records.length);
    pager.append(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: (e: Event) => page(e.currentTarget as HTMLButtonElement, Math.max(0, r.offset - limit)),
        },
        'Previous records',
      ),
    );
  }
  if (r.more) {
    pager.append(
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: (e: Event) => page(e.currentTarget as HTMLButtonElement, r.offset + r.records.length),
        },
        'Next records',
      ),
    );
  }
  nodes.push(pager);
  return nodes;
}

// ─── One file ────────────────────────────────────────────────────────────────────────────────────────

async function renderFile(root: HTMLElement, ctx: ScreenContext, id: string): Promise<void> {
  const path = `/api/code/files/${encodeURIComponent(id)}`;
  const draw = async () => {
    const file = await get<CodeFile>(path);
    root.replaceChildren(...fileView(file, ctx, draw));
  };
  await draw();
}

function fileView(file: CodeFile, ctx: ScreenContext, reload: () => Promise<void>): Node[] {
  const s = file.structure;
  const nodes: Node[] = [
    h('p', {}, h('a', { href: '#/code' }, '← All code files')),
    h('h1', {}, `${file.name ?? file.path}`),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'chip' }, file.language),
      ' ',
      h(
        'span',
        { class: 'muted' },
        `${file.path} in ${file.repository} · ${file.lines} lines · ${file.sizeBytes} bytes${file.complexity === null ? '' : ` · complexity ${file.complexity}`} · analysed ${formatTime(file.parsedAt)}`,
      ),
    ),
  ];
  if (file.issues.length > 0) {
    nodes.push(
      section(
        'Issues',
        table(
          'What the analyser found wrong',
          ['severity', 'code', 'message', 'line'],
          file.issues.map((i) => [i.severity, i.code, i.message, orDash(i.line)]),
        ),
      ),
    );
  }
  if (s.language === 'cobol') nodes.push(...cobolView(s));
  else if (s.language === 'jcl') nodes.push(...jclView(s));
  else if (s.language === 'copybook') nodes.push(layoutView(file));
  else nodes.push(h('p', { class: 'muted' }, 'The analyser could not read this file.'));
  nodes.push(...linksView(file, ctx, reload));
  return nodes;
}

function cobolView(s: CobolStructure): Node[] {
  const nodes: Node[] = [
    section(
      'Program',
      h(
        'p',
        {},
        `PROGRAM-ID ${s.programId ?? '(none)'} · ${s.format} format`,
        s.programs.length > 1
          ? ` · ${s.programs.length} programs: ${s.programs.map((p) => p.name).join(', ')}`
          : '',
      ),
      tableOr(
        'No division found.',
        'Divisions',
        ['division', 'lines'],
        s.divisions.map((d) => [d.name, lines(d)]),
      ),
      s.sections.length === 0
        ? null
        : table(
            'Sections',
            ['section', 'division', 'lines'],
            s.sections.map((x) => [x.name, x.division, lines(x)]),
          ),
    ),
    section(
      'Paragraphs',
      tableOr(
        'No paragraph.',
        'Paragraphs of the PROCEDURE DIVISION',
        ['paragraph', 'section', 'statements', 'complexity', 'lines'],
        s.paragraphs.map((p) => [
          p.name,
          orDash(p.section),
          String(p.statements),
          String(p.complexity),
          lines(p),
        ]),
      ),
      s.neverPerformed.length > 0 ? h('p', {}, `Never performed: ${s.neverPerformed.join(', ')}`) : null,
      s.unreachable.length > 0 ? h('p', {}, `Unreachable: ${s.unreachable.join(', ')}`) : null,
    ),
    section(
      'Calls and copybooks',
      tableOr(
        'No CALL statement.',
        'Programs called',
        ['program', 'kind', 'line'],
        s.calls.map((c) => [c.target, c.kind, String(c.line)]),
      ),
      tableOr(
        'No COPY statement.',
        'Copybooks copied',
        ['copybook', 'library', 'line', 'found'],
        s.copies.map((c) => [c.name, orDash(c.library), String(c.line), c.resolved ? 'yes' : 'no']),
      ),
    ),
    section(
      'Files',
      tableOr(
        'No file is selected.',
        'Files the program reads or writes',
        ['file', 'assigned to', 'organization', 'status field', 'line'],
        s.files.map((f) => [
          f.name,
          f.assignTo.join(', '),
          orDash(f.organization),
          orDash(f.fileStatus),
          String(f.line),
        ]),
      ),
      s.records.length === 0
        ? null
        : table(
            'Records of the files',
            ['record', 'file', 'line'],
            s.records.map((r) => [r.name, r.file, String(r.line)]),
          ),
    ),
  ];
  if (s.sql.length > 0 || s.cics.length > 0) {
    nodes.push(
      section(
        'SQL and CICS',
        s.sql.length === 0
          ? null
          : table(
              'Embedded SQL',
              ['statement', 'cursor', 'host variables', 'paragraph', 'lines'],
              s.sql.map((q) => [
                q.kind,
                orDash(q.cursor),
                q.hostVariables.join(', '),
                orDash(q.paragraph),
                lines(q),
              ]),
            ),
        s.cics.length === 0
          ? null
          : table(
              'CICS commands',
              ['command', 'lines'],
              s.cics.map((c) => [c.command, lines(c)]),
            ),
      ),
    );
  }
  return nodes;
}

function jclView(s: JclStructure): Node[] {
  return [
    section(
      s.kind === 'job' ? 'Job' : 'Procedure',
      h(
        'p',
        {},
        s.kind === 'job' ? `JOB ${s.job ?? '(unnamed)'}` : `PROC ${s.proc ?? '(unnamed)'}`,
        ` · programs run: ${s.programs.join(', ') || 'none'}`,
        s.unresolvedProcs.length > 0 ? ` · procedures not found: ${s.unresolvedProcs.join(', ')}` : '',
      ),
    ),
    section(
      'Steps',
      tableOr(
        'No step.',
        'Job steps',
        ['step', 'program', 'procedure', 'DD statements', 'line'],
        s.steps.map((x) => [x.name, orDash(x.program), orDash(x.proc), String(x.dds.length), String(x.line)]),
      ),
      tableOr(
        'No DD statement.',
        'DD statements',
        ['step', 'DD', 'data set', 'disposition', 'other', 'line'],
        s.steps.flatMap((x) =>
          x.dds.map((d) => [
            x.name,
            orDash(d.name),
            orDash(d.dsn),
            orDash(d.disp),
            [
              d.sysout ? `SYSOUT=${d.sysout}` : '',
              d.dummy ? 'DUMMY' : '',
              d.instreamLines === undefined ? '' : `${d.instreamLines} in-stream lines`,
            ]
              .filter((t) => t !== '')
              .join(', ') || '—',
            String(d.line),
          ]),
        ),
      ),
      s.datasets.length === 0
        ? null
        : h(
            'div',
            {},
            h('h3', {}, 'Data sets'),
            h(
              'ul',
              { class: 'columns' },
              s.datasets.map((d) => h('li', {}, d)),
            ),
          ),
    ),
  ];
}

function layoutView(file: CodeFile): HTMLElement {
  const out = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Laying out the record…'));
  void get<Layout>(`/api/code/copybooks/${encodeURIComponent(file.id)}/layout`).then(
    (layout) =>
      fill(
        out,
        scroll(
          table(
            `Record layout of ${layout.name}: ${layout.recordLength} bytes`,
            [
              'level',
              'name',
              'offset',
              'start',
              'end',
              'length',
              'type',
              'usage',
              'picture',
              'occurs',
              'redefines',
              'conditions',
            ],
            layout.fields.map((f) => [
              String(f.level).padStart(2, '0'),
              h('span', { class: `depth-${Math.min(f.path.length, 6)}` }, f.name),
              String(f.offset),
              String(f.start),
              String(f.end),
              String(f.length),
              f.type,
              f.usage,
              orDash(f.picture),
              f.occurs
                ? `${f.occurs.min === f.occurs.max ? f.occurs.max : `${f.occurs.min} to ${f.occurs.max}`}${f.occurs.dependingOn ? ` depending on ${f.occurs.dependingOn}` : ''}`
                : '—',
              orDash(f.redefines),
              f.conditions.map((c) => c.name).join(', ') || '—',
            ]),
          ),
        ),
        layout.notes.length === 0
          ? null
          : h(
              'ul',
              {},
              layout.notes.map((n) => h('li', {}, n)),
            ),
      ),
    (error) => out.replaceChildren(problemBox(error)),
  );
  return section(
    'Record layout',
    h('p', { class: 'muted' }, 'Offsets are 0-based; start and end 1-based bytes.'),
    out,
  );
}

function linksView(file: CodeFile, ctx: ScreenContext, reload: () => Promise<void>): Node[] {
  const editor = can(ctx.me, 'editor');
  const out = h('div', { 'aria-live': 'polite' });
  const linkTo = (kbEntryId: string, linkType: string, note?: string) =>
    api('POST', '/api/code/links', {
      codeFileId: file.id,
      kbEntryId,
      linkType,
      ...(note ? { note } : {}),
    });
  const linked = section(
    'KB entries',
    tableOr(
      'No KB entry is linked to this file.',
      'KB entries linked to this file',
      ['KB entry', 'link', 'status', 'lines', 'note', ...(editor ? [''] : [])],
      file.links.map((l) => [
        entryLink(l.kbEntryId),
        l.linkType,
        l.status,
        `${l.lineStart}–${l.lineEnd}`,
        orDash(l.note),
        ...(editor
          ? [
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: (e: Event) =>
                    void act(e.currentTarget as HTMLButtonElement, out, async () => {
                      await api('DELETE', `/api/code/links/${encodeURIComponent(l.id)}`);
                      ctx.notify('Link removed');
                      await reload();
                    }),
                },
                'Unlink',
              ),
            ]
          : []),
      ]),
    ),
    out,
  );
  if (editor) {
    const picker = entryPicker();
    const type = choice('linkType', LINK_TYPES);
    const note = h('input', { type: 'text', name: 'note', maxlength: 2000 });
    const button = h('button', { type: 'submit' }, 'Link entry');
    const form = h(
      'form',
      { class: 'card', 'aria-label': 'Link a KB entry' },
      picker.el,
      h('div', { class: 'filters tools' }, field('Link type', type), field('Note', note), button),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(button, out, async () => {
        const kbEntryId = picker.chosen();
        if (!kbEntryId) throw new Error('Find and choose the KB entry to link.');
        await linkTo(kbEntryId, type.value, note.value.trim());
        ctx.notify('KB entry linked');
        await reload();
      });
    });
    linked.append(form);
  }
  const suggestions = h(
    'div',
    { 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Looking for related entries…'),
  );
  void get<{ suggestions: Suggestion[] }>('/api/code/links/suggestions', {
    codeFileId: file.id,
    limit: 10,
  }).then(
    ({ suggestions: found }) => {
      const known = new Set(file.links.map((l) => l.kbEntryId));
      const fresh = found.filter((x) => !known.has(x.kbEntryId));
      suggestions.replaceChildren(
        tableOr(
          'No KB entry shares an error code, program or data set name with this file.',
          'KB entries that share names with this file',
          ['KB entry', 'as', 'confidence', 'evidence', ...(editor ? [''] : [])],
          fresh.map((x) => [
            h('a', { href: `#/entry/${encodeURIComponent(x.kbEntryId)}` }, x.title),
            x.linkType,
            `${Math.round(x.confidence * 100)}%`,
            x.evidence.join('; '),
            ...(editor
              ? [
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary',
                      onclick: (e: Event) =>
                        void act(e.currentTarget as HTMLButtonElement, out, async () => {
                          await linkTo(x.kbEntryId, x.linkType);
                          ctx.notify('KB entry linked');
                          await reload();
                        }),
                    },
                    'Link',
                  ),
                ]
              : []),
          ]),
        ),
      );
    },
    (error) => suggestions.replaceChildren(problemBox(error)),
  );
  return [linked, section('Suggested KB entries', suggestions)];
}
