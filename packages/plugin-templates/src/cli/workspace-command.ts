import { resolve } from 'node:path';
import { formatTable, type PluginCommand, type PluginCommandContext } from '@mainframe-kb/storage-core';
import type { TemplatesApi } from '../api/templates-api.js';
import type { templatesPlugin } from '../templates-plugin.js';

const USAGE =
  'kb workspace import <folder> [--name N] | export <name> <folder> [--with-members] | list | show <name>';

async function apiOf(ctx: PluginCommandContext): Promise<TemplatesApi> {
  return (await ctx.storage()).plugin<typeof templatesPlugin>('templates');
}

function positional(ctx: PluginCommandContext, index: number, what: string): string {
  const value = ctx.positionals[index];
  if (value === undefined) throw ctx.usageError(`kb workspace ${ctx.positionals[0]} needs ${what}`);
  return value;
}

const ACTIONS: Readonly<Record<string, (ctx: PluginCommandContext) => Promise<number>>> = {
  async import(ctx) {
    const folder = resolve(ctx.cwd, positional(ctx, 1, 'a project folder'));
    const name = ctx.values.name;
    const ws = await (await apiOf(ctx)).importWorkspace(folder, typeof name === 'string' ? { name } : {});
    const issues = (ws.metadata.issues ?? []) as { path: string; message: string }[];
    ctx.out.emit(ws, () =>
      [
        `Imported workspace ${ws.name}: ${ws.members.length} members${ws.idzProjectPath ? `, IDz project ${ws.idzProjectPath}` : ''}.`,
        ...issues.map((i) => `  ${i.path}: ${i.message}`),
      ].join('\n'),
    );
    return 0;
  },
  async export(ctx) {
    const name = positional(ctx, 1, 'a workspace name');
    const folder = resolve(ctx.cwd, positional(ctx, 2, 'a folder to write'));
    const result = await (await apiOf(ctx)).exportWorkspace(name, folder, {
      withMembers: ctx.values['with-members'] === true,
    });
    ctx.out.emit(
      result,
      () =>
        `Wrote ${result.files.length} files into ${result.folder} (${result.membersWritten} member files).`,
    );
    return 0;
  },
  async list(ctx) {
    const list = await (await apiOf(ctx)).workspaces();
    ctx.out.emit({ workspaces: list }, () =>
      list.length === 0
        ? 'No workspaces (kb workspace import <folder>).'
        : formatTable(
            ['NAME', 'MEMBERS', 'IDZ PROJECT', 'FOLDER', 'UPDATED'],
            list.map((w) => [
              w.name,
              String(w.members.length),
              w.idzProjectPath ?? '-',
              w.localPath ?? '-',
              w.updatedAt,
            ]),
          ),
    );
    return 0;
  },
  async show(ctx) {
    const ws = await (await apiOf(ctx)).workspace(positional(ctx, 1, 'a workspace name'));
    ctx.out.emit(ws, () =>
      [
        `${ws.name}  ${ws.members.length} members  IDz project ${ws.idzProjectPath ?? '-'}  from ${ws.localPath ?? '-'}`,
        formatTable(
          ['MEMBER', 'TYPE', 'PATH', 'DATA SET'],
          ws.members.map((m) => [m.name, m.type, m.path, m.dataset ?? '-']),
        ),
      ].join('\n'),
    );
    return 0;
  },
};

/** `kb workspace import|export|list|show`: IDz / Eclipse z/OS project workspaces. */
export const workspaceCommand: PluginCommand = {
  name: 'workspace',
  summary: 'import and export IDz / Eclipse z/OS project workspaces (MVP4, @mainframe-kb/plugin-templates)',
  usage: USAGE,
  details: [
    'import <folder>    reads .project, zapp.yaml (property groups), an MVS subproject and the member folders',
    '                   (COBOL/, COPYBOOK/, JCL/ …); member files are hashed, not stored',
    'export <name> <f>  writes the project files back; --with-members copies the members from the folder the',
    '                   workspace was imported from, each only when its bytes still match the recorded hash',
  ],
  options: { name: { type: 'string' }, 'with-members': { type: 'boolean' } },
  positionals: { min: 1, max: 3 },
  async run(ctx) {
    const action = ctx.positionals[0] ?? '';
    const run = ACTIONS[action];
    if (!run) throw ctx.usageError(`unknown action '${action}': ${Object.keys(ACTIONS).join(', ')}`);
    return run(ctx);
  },
};
