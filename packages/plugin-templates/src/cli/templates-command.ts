import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { formatTable, type PluginCommand, type PluginCommandContext } from '@mainframe-kb/storage-core';
import type { TemplatesApi } from '../api/templates-api.js';
import type { TemplateLanguage } from '../schema/templates-database.js';
import type { templatesPlugin } from '../templates-plugin.js';
import type { Template } from '../types.js';

const USAGE =
  'kb templates add --file F --name N --language cobol|jcl|text --category C --description D [--params P.json] | list [--text q] [--language l] [--category c] [--error-code e] [--entry id] [--all] | show <name> [--at n] | render <name> [--set K=V]… [--values V.json] [--at n] [--no-wrap] [--out F] | versions <name> | diff <name> <from> <to> | update <name> [--file F] [--params P.json] [--note N] | rollback <name> <version> | outcome <name> --worked|--failed [--at n] | retire <name> | export <folder> [--all] | import <folder>';

function stringOption(ctx: PluginCommandContext, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

function versionOption(ctx: PluginCommandContext, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw ctx.usageError(`a version is a whole number from 1, not '${raw}'`);
  return Number(raw);
}

async function apiOf(ctx: PluginCommandContext): Promise<TemplatesApi> {
  return (await ctx.storage()).plugin<typeof templatesPlugin>('templates');
}

function positional(ctx: PluginCommandContext, index: number, what: string): string {
  const value = ctx.positionals[index];
  if (value === undefined) throw ctx.usageError(`kb templates ${ctx.positionals[0]} needs ${what}`);
  return value;
}

async function readJson(ctx: PluginCommandContext, file: string | undefined): Promise<unknown> {
  if (file === undefined) return undefined;
  const text = await fs.readFile(resolve(ctx.cwd, file), 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw ctx.usageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

async function readText(ctx: PluginCommandContext, file: string | undefined): Promise<string | undefined> {
  return file === undefined ? undefined : fs.readFile(resolve(ctx.cwd, file), 'utf8');
}

function listText(templates: readonly Template[]): string {
  if (templates.length === 0) return 'No templates.';
  return formatTable(
    ['NAME', 'LANGUAGE', 'CATEGORY', 'VERSION', 'USED', 'SUCCESS', 'STATUS', 'DESCRIPTION'],
    templates.map((t) => [
      t.name,
      t.language,
      t.category,
      String(t.currentVersion),
      String(t.usageCount),
      `${Math.round(t.successRate * 100)}% (${t.successCount}/${t.successCount + t.failureCount})`,
      t.status,
      t.description.slice(0, 60),
    ]),
  );
}

const ACTIONS: Readonly<Record<string, (ctx: PluginCommandContext) => Promise<number>>> = {
  async add(ctx) {
    const content = await readText(ctx, stringOption(ctx, 'file'));
    if (content === undefined) throw ctx.usageError('kb templates add needs --file with the template text');
    const api = await apiOf(ctx);
    const id = await api.storeTemplate({
      name: stringOption(ctx, 'name') ?? '',
      description: stringOption(ctx, 'description') ?? '',
      language: (stringOption(ctx, 'language') ?? '') as TemplateLanguage,
      category: stringOption(ctx, 'category') ?? '',
      content,
      parameters: ((await readJson(ctx, stringOption(ctx, 'params'))) as unknown[] | undefined) ?? [],
      errorCodes: ctx.values['error-code'] === undefined ? [] : [stringOption(ctx, 'error-code')!],
      ...(stringOption(ctx, 'entry') ? { kbEntryIds: [stringOption(ctx, 'entry')!] } : {}),
    });
    const template = await api.getTemplate(id);
    ctx.out.emit(template, () => `Added template ${template.name} (version 1, id ${template.id}).`);
    return 0;
  },

  async list(ctx) {
    const api = await apiOf(ctx);
    const templates = await api.getTemplates({
      ...(stringOption(ctx, 'text') ? { text: stringOption(ctx, 'text')! } : {}),
      ...(stringOption(ctx, 'language')
        ? { language: stringOption(ctx, 'language') as TemplateLanguage }
        : {}),
      ...(stringOption(ctx, 'category') ? { category: stringOption(ctx, 'category')! } : {}),
      ...(stringOption(ctx, 'error-code') ? { errorCode: stringOption(ctx, 'error-code')! } : {}),
      ...(stringOption(ctx, 'entry') ? { kbEntryId: stringOption(ctx, 'entry')! } : {}),
      ...(ctx.values.all === true ? { status: 'all' as const } : {}),
    });
    ctx.out.emit({ templates }, () => listText(templates));
    return 0;
  },

  async show(ctx) {
    const api = await apiOf(ctx);
    const name = positional(ctx, 1, 'a template name');
    const template = await api.getTemplate(name);
    const version = await api.version(name, versionOption(ctx, stringOption(ctx, 'at')));
    ctx.out.emit({ ...template, version }, () =>
      [
        `${template.name}  ${template.language} · ${template.category} · ${template.status} · version ${version.version} of ${template.currentVersion}`,
        template.description,
        `parameters: ${version.parameters.map((p) => (p as { name?: string }).name ?? '?').join(', ') || 'none'}`,
        `used ${template.usageCount} times; worked ${template.successCount}, failed ${template.failureCount}`,
        '',
        version.content,
      ].join('\n'),
    );
    return 0;
  },

  async render(ctx) {
    const api = await apiOf(ctx);
    const name = positional(ctx, 1, 'a template name');
    const values: Record<string, unknown> = {
      ...((await readJson(ctx, stringOption(ctx, 'values'))) as object | undefined),
    };
    const sets = ctx.values.set;
    for (const pair of Array.isArray(sets) ? sets : sets === undefined ? [] : [sets]) {
      const text = String(pair);
      const eq = text.indexOf('=');
      if (eq <= 0) throw ctx.usageError(`--set takes NAME=VALUE, not '${text}'`);
      values[text.slice(0, eq)] = text.slice(eq + 1);
    }
    const result = await api.render(name, values, {
      ...(stringOption(ctx, 'at') ? { version: versionOption(ctx, stringOption(ctx, 'at'))! } : {}),
      wrap: ctx.values['no-wrap'] !== true,
    });
    const out = stringOption(ctx, 'out');
    if (out !== undefined && result.problems.length === 0)
      await fs.writeFile(resolve(ctx.cwd, out), result.text);
    ctx.out.emit(result, () =>
      result.problems.length > 0
        ? [
            'The output breaks its language rules:',
            ...result.problems.map(
              (p) => `  line ${p.line}${p.column ? `, column ${p.column}` : ''}: ${p.rule}: ${p.message}`,
            ),
          ].join('\n')
        : out !== undefined
          ? `Rendered ${name} version ${result.version} into ${out}${result.wrapped.length > 0 ? ` (wrapped lines ${result.wrapped.join(', ')})` : ''}.`
          : result.text.replace(/\n$/, ''),
    );
    return result.problems.length > 0 ? 5 : 0;
  },

  async versions(ctx) {
    const versions = await (await apiOf(ctx)).versions(positional(ctx, 1, 'a template name'));
    ctx.out.emit({ versions }, () =>
      formatTable(
        ['VERSION', 'AUTHOR', 'CREATED', 'HASH', 'NOTE'],
        versions.map((v) => [
          String(v.version),
          v.author,
          v.createdAt,
          v.contentHash.slice(0, 12),
          v.changeNote,
        ]),
      ),
    );
    return 0;
  },

  async diff(ctx) {
    const name = positional(ctx, 1, 'a template name');
    const from = versionOption(ctx, positional(ctx, 2, 'two versions'))!;
    const to = versionOption(ctx, positional(ctx, 3, 'two versions'))!;
    const diff = await (await apiOf(ctx)).diff(name, from, to);
    ctx.out.emit({ diff }, () => diff.replace(/\n$/, '') || `Versions ${from} and ${to} have the same text.`);
    return 0;
  },

  async update(ctx) {
    const api = await apiOf(ctx);
    const name = positional(ctx, 1, 'a template name');
    const content = await readText(ctx, stringOption(ctx, 'file'));
    const parameters = (await readJson(ctx, stringOption(ctx, 'params'))) as unknown[] | undefined;
    const template = await api.updateTemplate(name, {
      ...(content === undefined ? {} : { content }),
      ...(parameters === undefined ? {} : { parameters }),
      ...(stringOption(ctx, 'description') ? { description: stringOption(ctx, 'description')! } : {}),
      ...(stringOption(ctx, 'note') ? { changeNote: stringOption(ctx, 'note')! } : {}),
    });
    ctx.out.emit(template, () => `${template.name} is at version ${template.currentVersion}.`);
    return 0;
  },

  async rollback(ctx) {
    const name = positional(ctx, 1, 'a template name');
    const version = versionOption(ctx, positional(ctx, 2, 'the version to go back to'))!;
    const created = await (await apiOf(ctx)).rollback(name, version);
    ctx.out.emit(created, () => `${name}: version ${created.version} holds the text of version ${version}.`);
    return 0;
  },

  async outcome(ctx) {
    if ((ctx.values.worked === true) === (ctx.values.failed === true))
      throw ctx.usageError('kb templates outcome needs --worked or --failed');
    const template = await (await apiOf(ctx)).recordOutcome(positional(ctx, 1, 'a template name'), {
      worked: ctx.values.worked === true,
      ...(stringOption(ctx, 'at') ? { version: versionOption(ctx, stringOption(ctx, 'at'))! } : {}),
      ...(stringOption(ctx, 'note') ? { note: stringOption(ctx, 'note')! } : {}),
    });
    ctx.out.emit(
      template,
      () =>
        `${template.name}: worked ${template.successCount}, failed ${template.failureCount}; success rate ${Math.round(template.successRate * 100)}%.`,
    );
    return 0;
  },

  async export(ctx) {
    const folder = resolve(ctx.cwd, positional(ctx, 1, 'a folder to write the library into'));
    const result = await (await apiOf(ctx)).exportLibrary(folder, {
      includeRetired: ctx.values.all === true,
    });
    ctx.out.emit(
      result,
      () => `Wrote ${result.templates} templates into ${result.folder} (manifest.json and templates/).`,
    );
    return 0;
  },

  async import(ctx) {
    const folder = resolve(ctx.cwd, positional(ctx, 1, 'a library folder'));
    const result = await (await apiOf(ctx)).importLibrary(folder);
    ctx.out.emit(
      result,
      () =>
        `Imported ${folder}: ${result.added} added, ${result.updated} new versions, ${result.unchanged} unchanged.`,
    );
    return 0;
  },

  async retire(ctx) {
    const template = await (await apiOf(ctx)).retire(positional(ctx, 1, 'a template name'));
    ctx.out.emit(
      template,
      () => `${template.name} is retired: kept with its versions, no longer listed or rendered by default.`,
    );
    return 0;
  },
};

/** `kb templates add|list|show|render|versions|diff|update|rollback|outcome|retire`. */
export const templatesCommand: PluginCommand = {
  name: 'templates',
  summary:
    'versioned COBOL and JCL fix templates: add, render with checked columns, versions, outcomes (MVP4)',
  usage: USAGE,
  details: [
    'render <name>   fills the template with --set NAME=VALUE (or --values file.json); every bad or missing',
    '                parameter is named; the output is checked for COBOL / JCL columns and wrapped where the',
    '                language allows; lines that cannot fit are listed and the command exits 5',
    'update          a changed text or parameter list makes a new version; rollback makes a new version with',
    '                an old text; a template used in a recorded outcome can be retired, never deleted',
    'outcome         records whether a rendered fix worked: the success rate ranks `list`',
    '--at n          the version to show, render or record an outcome for (default: the current one)',
    'export <folder>  a library folder: manifest.json and one file per template (--all: retired ones too);',
    '                 import checks every file against its sha256 and adds, versions or keeps each template',
  ],
  options: {
    file: { type: 'string' },
    name: { type: 'string' },
    language: { type: 'string' },
    category: { type: 'string' },
    description: { type: 'string' },
    params: { type: 'string' },
    values: { type: 'string' },
    set: { type: 'string', multiple: true },
    at: { type: 'string' },
    'no-wrap': { type: 'boolean' },
    out: { type: 'string' },
    text: { type: 'string' },
    'error-code': { type: 'string' },
    entry: { type: 'string' },
    all: { type: 'boolean' },
    note: { type: 'string' },
    worked: { type: 'boolean' },
    failed: { type: 'boolean' },
  },
  positionals: { min: 1, max: 4 },
  async run(ctx) {
    const action = ctx.positionals[0] ?? '';
    const run = ACTIONS[action];
    if (!run) throw ctx.usageError(`unknown action '${action}': ${Object.keys(ACTIONS).join(', ')}`);
    return run(ctx);
  },
};
