import { createReadStream, promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { formatTable, type PluginCommand, type PluginCommandContext } from '@mainframe-kb/storage-core';
import type { CodeStructure } from '../analysis/structure-types.js';
import type { CodeApi } from '../api/code-api.js';
import type { codePlugin } from '../code-plugin.js';
import { formatCobrixLayout } from '../copybook/cobrix-layout.js';
import type { Copybook } from '../copybook/model.js';
import { parseCopybook } from '../copybook/parse-copybook.js';
import { extractRecordLayouts } from '../copybook/program.js';
import { decodeRecordStream } from '../decode/decode-records.js';
import type { CodeAnalysis, CodeLink, LinkType } from '../types.js';

const USAGE =
  'kb code scan <folder|git repo> [--ref R] [--name N] [--local] | search <name…> [--kind k] [--limit n] | show <path|id> [--repository r] | layout <copybook|file> [--record NAME] | decode <data file> --copybook <name|file> [--record NAME] [--encoding cp037|ascii] [--format F|V] [--limit n] [--offset n] | links [--entry id] [--file path|id] [--status s] [--suggest] [--add --entry id --file f [--lines a-b] [--type t]] [--remove id] | repos';

function stringOption(ctx: PluginCommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

function numberOption(ctx: PluginCommandContext, name: string): number | undefined {
  const raw = stringOption(ctx, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw ctx.usageError(`--${name} takes a whole number, not '${raw}'`);
  return value;
}

/** The plugin's API on the run's store (the definition imported as a type: it lists this command). */
async function apiOf(ctx: PluginCommandContext): Promise<CodeApi> {
  const storage = await ctx.storage();
  return storage.plugin<typeof codePlugin>('code');
}

function positional(ctx: PluginCommandContext, index: number, what: string): string {
  const value = ctx.positionals[index];
  if (value === undefined) throw ctx.usageError(`kb code ${ctx.positionals[0]} needs ${what}`);
  return value;
}

async function scan(ctx: PluginCommandContext): Promise<number> {
  const path = resolve(ctx.cwd, positional(ctx, 1, 'a folder or a git repository'));
  const api = await apiOf(ctx);
  let bar: ReturnType<typeof ctx.out.progress> | undefined;
  const ref = stringOption(ctx, 'ref');
  const name = stringOption(ctx, 'name');
  const result = await api.scan({
    path,
    ...(ref === undefined ? {} : { ref }),
    ...(name === undefined ? {} : { name }),
    ...(ctx.values.local === true ? { type: 'local' as const } : {}),
    onProgress: (p) => {
      if (p.phase !== 'analysing') return;
      bar ??= ctx.out.progress('Scanning', p.total);
      bar.update(p.done);
    },
  });
  bar?.finish();
  ctx.out.emit(result, () =>
    [
      `${result.repository} (${result.type}${result.commit ? ` @ ${result.commit.slice(0, 12)}` : ''}): ${result.seen} files looked at in ${(result.durationMs / 1000).toFixed(1)} s`,
      `added ${result.added}, changed ${result.changed}, unchanged ${result.unchanged}, removed ${result.removed}, skipped ${result.skipped}, with errors ${result.failed}`,
      `links: ${result.links.reanchored} moved with their lines, ${result.links.stale} marked stale`,
      ...result.errors
        .slice(0, 20)
        .map((e) => `  ${e.path}${e.line ? `:${e.line}` : ''}: ${e.code} ${e.message}`),
      ...(result.errors.length > 20 ? [`  … ${result.errors.length - 20} more (--json lists all)`] : []),
    ].join('\n'),
  );
  return 0;
}

async function search(ctx: PluginCommandContext): Promise<number> {
  const query = ctx.positionals.slice(1).join(' ');
  if (query.trim() === '') throw ctx.usageError('kb code search needs a name');
  const api = await apiOf(ctx);
  const kind = stringOption(ctx, 'kind');
  const limit = numberOption(ctx, 'limit');
  const hits = await api.searchCode(query, {
    ...(kind === undefined ? {} : { kinds: kind.split(',') }),
    ...(limit === undefined ? {} : { limit }),
  });
  ctx.out.emit({ hits }, () =>
    hits.length === 0
      ? `Nothing in the scanned code is named ${query}.`
      : formatTable(
          ['KIND', 'NAME', 'FILE', 'LINE', 'DETAIL'],
          hits.map((h) => [h.kind, h.name, `${h.repository}:${h.path}`, String(h.line), h.detail ?? '']),
        ),
  );
  return 0;
}

function structureText(a: CodeAnalysis): string[] {
  const s: CodeStructure = a.structure;
  switch (s.language) {
    case 'cobol':
      return [
        `program ${s.programId ?? '?'} (${s.format} format), complexity ${a.complexity ?? '-'}`,
        `paragraphs (${s.paragraphs.length}):`,
        ...s.paragraphs.map(
          (p) => `  ${p.name.padEnd(30)} ${String(p.start).padStart(6)}-${p.end}  complexity ${p.complexity}`,
        ),
        `never performed: ${s.neverPerformed.join(', ') || 'none'}; unreachable: ${s.unreachable.join(', ') || 'none'}`,
        `calls: ${s.calls.map((c) => c.target).join(', ') || 'none'}`,
        `copies: ${s.copies.map((c) => `${c.name}${c.resolved ? '' : ' (not found)'}`).join(', ') || 'none'}`,
        `files: ${s.files.map((f) => `${f.name} → ${f.assignTo.join(' ')}${f.fileStatus ? ` status ${f.fileStatus}` : ''}`).join('; ') || 'none'}`,
        `EXEC SQL blocks: ${s.sql.length}; EXEC CICS: ${s.cics.length}`,
        `handles: ${
          s.conditions
            .filter((c) => c.value !== null)
            .map((c) => `${c.kind} ${c.value}@${c.line}`)
            .join(', ') || 'nothing recognised'
        }`,
      ];
    case 'copybook':
      return [
        `copybook, record length ${s.recordLength} bytes, ${s.fields.length} fields (kb code layout shows them)`,
      ];
    case 'jcl':
      return [
        `${s.kind} ${s.job ?? s.proc ?? ''}`,
        ...s.steps.map(
          (st) =>
            `  ${st.name.padEnd(20)} ${st.program ? `PGM=${st.program}` : `PROC=${st.proc ?? '?'}`}  ${st.dds
              .map(
                (d) =>
                  `${d.name ?? '+'}${d.dsn ? `=${d.dsn}` : d.sysout ? '=SYSOUT' : d.dummy ? '=DUMMY' : ''}`,
              )
              .join(' ')}`,
        ),
        `unresolved PROCs: ${s.unresolvedProcs.join(', ') || 'none'}`,
      ];
    default:
      return [];
  }
}

async function show(ctx: PluginCommandContext): Promise<number> {
  const api = await apiOf(ctx);
  const file = await api.getFile(positional(ctx, 1, 'a path or an id'), stringOption(ctx, 'repository'));
  const links = await api.links({ codeFileId: file.id });
  ctx.out.emit({ ...file, links }, () =>
    [
      `${file.repository}:${file.path}  ${file.language}  ${file.lines} lines  ${file.sizeBytes} bytes  id ${file.id}`,
      ...structureText(file),
      ...file.issues.map((i) => `${i.severity}: ${i.line ? `line ${i.line}: ` : ''}${i.code} ${i.message}`),
      `KB links: ${links.length === 0 ? 'none' : ''}`,
      ...links.map(linkLine),
    ].join('\n'),
  );
  return 0;
}

/** A copybook from a file on disk (a copybook, or a program with `--record`), else one stored by name. */
async function copybookOf(ctx: PluginCommandContext, spec: string): Promise<Copybook> {
  const record = stringOption(ctx, 'record');
  const path = resolve(ctx.cwd, spec);
  const text = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) {
    if (record !== undefined) throw ctx.usageError('--record picks a record of a program file on disk');
    return (await apiOf(ctx)).copybook(spec);
  }
  if (/\b(IDENTIFICATION|ID)\s+DIVISION\b/i.test(text)) {
    const layouts = extractRecordLayouts(text, { file: path });
    const chosen =
      record === undefined ? layouts[0] : layouts.find((l) => l.name.toUpperCase() === record.toUpperCase());
    if (!chosen) {
      throw ctx.usageError(
        `${spec} has no record ${record ?? ''}; it has ${layouts.map((l) => l.name).join(', ') || 'none'} (--record NAME)`,
      );
    }
    return chosen.copybook;
  }
  return parseCopybook(text, { file: path });
}

async function layout(ctx: PluginCommandContext): Promise<number> {
  const copybook = await copybookOf(ctx, positional(ctx, 1, 'a copybook name or file'));
  ctx.out.emit(
    {
      recordLength: copybook.recordLength,
      fields: copybook.fields.map((f) => ({
        level: f.level,
        name: f.name,
        start: f.start,
        end: f.end,
        length: f.length,
        type: f.dataType,
        usage: f.usage,
        picture: f.picture ?? null,
        occurs: f.occurs ?? null,
        redefines: f.redefines ?? null,
        conditions: f.conditions.map((c) => c.name),
      })),
    },
    () => formatCobrixLayout(copybook),
  );
  return 0;
}

async function decode(ctx: PluginCommandContext): Promise<number> {
  const data = resolve(ctx.cwd, positional(ctx, 1, 'a data file'));
  const spec = stringOption(ctx, 'copybook');
  if (spec === undefined) throw ctx.usageError('kb code decode needs --copybook <name|file>');
  const encoding = stringOption(ctx, 'encoding') ?? 'cp037';
  if (encoding !== 'cp037' && encoding !== 'ascii') throw ctx.usageError('--encoding is cp037 or ascii');
  const format = (stringOption(ctx, 'format') ?? 'F').toUpperCase();
  if (format !== 'F' && format !== 'V') throw ctx.usageError('--format is F (fixed) or V (RDW variable)');
  const limit = numberOption(ctx, 'limit') ?? 100;
  const offset = numberOption(ctx, 'offset') ?? 0;
  const copybook = await copybookOf(ctx, spec);
  // Streamed: a data set of gigabytes is read only as far as the records asked for.
  const stat = await fs.stat(data).catch(() => undefined);
  if (!stat?.isFile()) throw ctx.usageError(`${data} is not a file`);
  const records: unknown[] = [];
  let index = 0;
  const input = createReadStream(data);
  try {
    for await (const record of decodeRecordStream(input, copybook, { encoding, recordFormat: format })) {
      if (index++ < offset) continue;
      records.push(record);
      if (records.length >= limit) break;
    }
  } finally {
    input.destroy();
  }
  const json = JSON.stringify(records, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  ctx.out.emit({ records: JSON.parse(json) }, () =>
    JSON.parse(json)
      .map((r: unknown) => JSON.stringify(r))
      .join('\n'),
  );
  return 0;
}

function linkLine(l: CodeLink): string {
  return `  ${l.id}  ${l.status.padEnd(9)} ${l.linkType.padEnd(8)} entry ${l.kbEntryId}  ${l.repository ?? '-'}:${l.path}:${l.lineStart}-${l.lineEnd}${l.note ? `  (${l.note})` : ''}`;
}

async function links(ctx: PluginCommandContext): Promise<number> {
  const api = await apiOf(ctx);
  const entry = stringOption(ctx, 'entry');
  const file = stringOption(ctx, 'file');
  const removeId = stringOption(ctx, 'remove');
  if (removeId !== undefined) {
    const removed = await api.unlink(removeId);
    ctx.out.emit({ removed }, () => (removed ? `Removed link ${removeId}.` : `No link ${removeId}.`));
    return removed ? 0 : 4;
  }
  if (ctx.values.add === true) {
    if (!entry || !file) throw ctx.usageError('kb code links --add needs --entry and --file');
    const range = stringOption(ctx, 'lines');
    const match = range === undefined ? undefined : /^(\d+)(?:-(\d+))?$/.exec(range);
    if (range !== undefined && !match) throw ctx.usageError('--lines is N or A-B');
    const target = await api.getFile(file, stringOption(ctx, 'repository'));
    const link = await api.link(target.id, entry, (stringOption(ctx, 'type') ?? 'related') as LinkType, {
      ...(match ? { lineStart: Number(match[1]), lineEnd: Number(match[2] ?? match[1]) } : {}),
    });
    ctx.out.emit(
      link,
      () => `Linked ${link.path}:${link.lineStart}-${link.lineEnd} to ${link.kbEntryId} (${link.id}).`,
    );
    return 0;
  }
  if (ctx.values.suggest === true) {
    const codeFileId =
      file === undefined ? undefined : (await api.getFile(file, stringOption(ctx, 'repository'))).id;
    const suggestions = await api.suggestLinks(codeFileId, { limit: numberOption(ctx, 'limit') ?? 20 });
    ctx.out.emit({ suggestions }, () =>
      suggestions.length === 0
        ? 'No KB entry shares an error code or a name with this code.'
        : formatTable(
            ['CONFIDENCE', 'FILE', 'LINE', 'ENTRY', 'TITLE', 'EVIDENCE'],
            suggestions.map((s) => [
              s.confidence.toFixed(2),
              s.path,
              String(s.lineStart),
              s.kbEntryId,
              s.title.slice(0, 50),
              s.evidence.join('; '),
            ]),
          ),
    );
    return 0;
  }
  const status = stringOption(ctx, 'status');
  const list = await api.links({
    ...(entry === undefined ? {} : { kbEntryId: entry }),
    ...(file === undefined
      ? {}
      : { codeFileId: (await api.getFile(file, stringOption(ctx, 'repository'))).id }),
    ...(status === undefined ? {} : { status: status as CodeLink['status'] }),
  });
  ctx.out.emit({ links: list }, () => (list.length === 0 ? 'No links.' : list.map(linkLine).join('\n')));
  return 0;
}

async function repos(ctx: PluginCommandContext): Promise<number> {
  const list = await (await apiOf(ctx)).repositories();
  ctx.out.emit({ repositories: list }, () =>
    list.length === 0
      ? 'No repositories scanned yet (kb code scan <folder>).'
      : formatTable(
          ['NAME', 'TYPE', 'FILES', 'LAST SCAN', 'COMMIT', 'PATH'],
          list.map((r) => [
            r.name,
            r.type,
            String(r.fileCount),
            r.lastScan ?? '-',
            r.lastCommit?.slice(0, 12) ?? '-',
            r.path,
          ]),
        ),
  );
  return 0;
}

const ACTIONS: Readonly<Record<string, (ctx: PluginCommandContext) => Promise<number>>> = {
  scan,
  search,
  show,
  layout,
  decode,
  links,
  repos,
};

/** `kb code scan|search|show|layout|decode|links|repos`. */
export const codeCommand: PluginCommand = {
  name: 'code',
  summary:
    'scan, search and link COBOL, JCL and copybooks; lay out and decode records (MVP3, @mainframe-kb/plugin-code)',
  usage: USAGE,
  details: [
    'scan <path>        analyse a folder, or a git repository at HEAD (--ref R); unchanged files are skipped',
    '                   (git: only what the diff since the last scan names), removed ones removed; --local',
    '                   scans the files on disk of a git work tree; --name N names the repository',
    'search <name…>     programs, paragraphs, copybook fields, data sets, steps … (--kind program,field)',
    'show <path|id>     what the analyser found in a file, and its KB links',
    'layout <copybook>  every field: level, name, start, end, length (a stored copybook by name, or a file;',
    '                   a program file with --record NAME lays out one of its records)',
    'decode <data>      records of a data file decoded with --copybook (EBCDIC cp037 unless --encoding ascii;',
    '                   --format V for RDW variable records); --limit/--offset select records',
    'links              KB links (--entry, --file, --status active|stale|suggested); --add links lines of a',
    '                   file (--lines A-B, --type fixes|handles|raises|example|related); --remove <id>;',
    '                   --suggest lists KB entries that share error codes or names with the code',
    'repos              the scanned repositories',
  ],
  options: {
    ref: { type: 'string' },
    name: { type: 'string' },
    local: { type: 'boolean' },
    kind: { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
    repository: { type: 'string' },
    record: { type: 'string' },
    copybook: { type: 'string' },
    encoding: { type: 'string' },
    format: { type: 'string' },
    entry: { type: 'string' },
    file: { type: 'string' },
    status: { type: 'string' },
    lines: { type: 'string' },
    type: { type: 'string' },
    remove: { type: 'string' },
    add: { type: 'boolean' },
    suggest: { type: 'boolean' },
  },
  positionals: { min: 1, max: 32 },
  async run(ctx) {
    const action = ctx.positionals[0] ?? '';
    const run = ACTIONS[action];
    if (!run) throw ctx.usageError(`unknown action '${action}': ${Object.keys(ACTIONS).join(', ')}`);
    return run(ctx);
  },
};
