/** writeWorkspace: WorkspaceModel → an IDz / Eclipse z/OS project folder (formats: see ./index.ts). */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '@mainframe-kb/storage-core';
import { formatEclipseProject } from './eclipse-project.js';
import { datasetNameProblem, isValidMemberName, relativePathProblem } from './members.js';
import { formatSubproject } from './subproject.js';
import {
  WORKSPACE_MEMBER_TYPES,
  type WorkspaceIssue,
  type WorkspaceModel,
  type WriteWorkspaceOptions,
  type WriteWorkspaceResult,
} from './types.js';
import { formatZapp } from './zapp.js';

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const HBPSD_FILE = /^[A-Za-z0-9_@#$-][A-Za-z0-9_.@#$-]{0,99}\.hbpsd$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface SubprojectPlan {
  file: string;
  name: string;
  folders: string[];
}

/** Every problem of `model` that would make the written folder wrong or unsafe. */
function checkModel(model: WorkspaceModel, subproject: SubprojectPlan | undefined): WorkspaceIssue[] {
  const issues: WorkspaceIssue[] = [];
  const add = (p: string, message: string) => issues.push({ path: p, message });
  if (typeof model.name !== 'string' || model.name.trim() === '') add('name', 'the project name is required');
  else if (model.name !== model.name.trim()) add('name', 'the project name has leading or trailing blanks');
  if (
    !Array.isArray(model.natures) ||
    !model.natures.every((n) => typeof n === 'string' && n.trim() !== '')
  ) {
    add('natures', 'must be non-empty strings');
  }
  if (
    !Array.isArray(model.builders) ||
    !model.builders.every((b) => typeof b === 'string' && b.trim() !== '')
  ) {
    add('builders', 'must be non-empty strings');
  }
  model.propertyGroups.forEach((g, gi) => {
    if (typeof g.name !== 'string' || g.name.trim() === '')
      add(`propertyGroups.${gi}.name`, 'a name is required');
    g.libraries.forEach((l, li) => {
      const at = `propertyGroups.${gi}.libraries.${li}`;
      if (typeof l.name !== 'string' || l.name === '') add(`${at}.name`, 'a name is required');
      if (l.type !== 'local' && l.type !== 'mvs') add(`${at}.type`, "must be 'local' or 'mvs'");
      if (!Array.isArray(l.locations) || !l.locations.every((x) => typeof x === 'string')) {
        add(`${at}.locations`, 'must be strings');
      }
    });
  });
  const reserved = new Set(['.project', 'zapp.yaml', 'zapp.json']);
  if (subproject) reserved.add(subproject.file.toLowerCase());
  const paths = new Map<string, string>();
  const datasetFiles = new Map<string, string>();
  model.members.forEach((m, k) => {
    const at = `members.${k}`;
    const pathProblem = relativePathProblem(m.path);
    if (pathProblem) add(`${at}.path`, pathProblem);
    else {
      if (m.path.split('/').some((s) => s.startsWith('.'))) {
        add(`${at}.path`, `path '${m.path}' has a segment starting with '.', which a workspace read skips`);
      }
      if (reserved.has(m.path.toLowerCase())) add(`${at}.path`, `path '${m.path}' is a project file`);
      const key = m.path.toLowerCase();
      const other = paths.get(key);
      if (other !== undefined)
        add(`${at}.path`, `path '${m.path}' is also used by '${other}' (paths compare without case)`);
      else paths.set(key, m.path);
    }
    if (!WORKSPACE_MEMBER_TYPES.includes(m.type))
      add(`${at}.type`, `unknown member type '${String(m.type)}'`);
    if (m.type !== 'other' && !isValidMemberName(m.name))
      add(`${at}.name`, `'${m.name}' is not a z/OS member name`);
    if (!Number.isSafeInteger(m.size) || m.size < 0) add(`${at}.size`, 'must be a byte count');
    if (typeof m.sha256 !== 'string' || !SHA256_HEX.test(m.sha256))
      add(`${at}.sha256`, 'must be 64 lower-case hex digits');
    if (m.dataset !== undefined) {
      const dsProblem = datasetNameProblem(m.dataset);
      if (dsProblem) add(`${at}.dataset`, dsProblem);
      if (!pathProblem) {
        // A subproject definition matches members by file name: two mapped files must not share one.
        const fileName = m.path.slice(m.path.lastIndexOf('/') + 1).toLowerCase();
        const other = datasetFiles.get(fileName);
        if (other !== undefined) {
          add(
            `${at}.dataset`,
            `'${m.path}' and '${other}' share a file name: a subproject definition cannot tell them apart`,
          );
        } else datasetFiles.set(fileName, m.path);
      }
    }
  });
  return issues;
}

/** Plans the `.hbpsd`: when the model read one, or when members map to data sets. */
function planSubproject(model: WorkspaceModel): SubprojectPlan | undefined {
  const meta = isRecord(model.metadata.subproject) ? model.metadata.subproject : undefined;
  if (!meta && !model.members.some((m) => m.dataset !== undefined)) return undefined;
  const safeName = model.name.replace(/[^A-Za-z0-9_.@#$-]/g, '_').replace(/^[.]+/, '') || 'subproject';
  const file = typeof meta?.file === 'string' ? meta.file : `${safeName}.hbpsd`;
  if (!HBPSD_FILE.test(file)) {
    throw new ValidationError(`metadata.subproject.file '${file}' is not a plain *.hbpsd file name`, [
      { path: 'metadata.subproject.file', message: 'must be a plain file name ending in .hbpsd' },
    ]);
  }
  const folders = Array.isArray(meta?.folders)
    ? meta.folders.filter((f): f is string => typeof f === 'string')
    : [];
  for (const f of folders) {
    const problem = datasetNameProblem(f);
    if (problem)
      throw new ValidationError(problem, [{ path: 'metadata.subproject.folders', message: problem }]);
  }
  return { file, name: typeof meta?.name === 'string' && meta.name !== '' ? meta.name : model.name, folders };
}

/**
 * Writes `model` as a project folder: `.project`, `zapp.yaml` (property groups and the ZAPP keys kept in
 * metadata.zapp), a `*.hbpsd` subproject definition when members map to data sets, and each member's file
 * when `options.contents` returns its bytes (which must match the member's size and SHA-256).
 * Refuses a folder that is not empty unless `overwrite`, paths that leave the folder, and symlinks.
 */
export async function writeWorkspace(
  model: WorkspaceModel,
  folder: string,
  options: WriteWorkspaceOptions = {},
): Promise<WriteWorkspaceResult> {
  const subproject = planSubproject(model);
  const problems = checkModel(model, subproject);
  if (problems.length > 0) {
    throw new ValidationError(`the workspace model cannot be written: ${problems[0]?.message}`, problems);
  }

  // The target folder: created when missing, refused when not empty (unless overwrite).
  try {
    const info = await lstat(folder);
    if (!info.isDirectory() && !info.isSymbolicLink()) {
      throw new ValidationError(`'${folder}' is not a folder`, [
        { path: folder, message: 'is not a folder' },
      ]);
    }
    if ((await readdir(folder)).length > 0 && !options.overwrite) {
      throw new ValidationError(`'${folder}' is not empty (pass overwrite: true to write into it)`, [
        { path: folder, message: 'is not empty' },
      ]);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(folder, { recursive: true });
  }
  const root = await realpath(folder);
  const written: string[] = [];

  const writeFile = async (rel: string, data: string | Buffer) => {
    const abs = path.join(root, rel);
    const dir = path.dirname(abs);
    await mkdir(dir, { recursive: true });
    if (!isInside(root, await realpath(dir))) {
      throw new ValidationError(`'${rel}': its folder resolves outside '${folder}'`, [
        { path: rel, message: 'its folder is a symbolic link leaving the workspace folder' },
      ]);
    }
    let flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    if (options.overwrite) {
      flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | O_NOFOLLOW;
      const existing = await lstat(abs).catch(() => undefined);
      if (existing && !existing.isFile()) {
        throw new ValidationError(`'${rel}' exists and is not a regular file`, [
          { path: rel, message: 'exists and is not a regular file (symbolic links are not written through)' },
        ]);
      }
    }
    const handle = await open(abs, flags, 0o644);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    written.push(rel);
  };

  // .project
  let projectText: string;
  const buildArguments = isRecord(model.metadata.buildArguments) ? model.metadata.buildArguments : {};
  try {
    projectText = formatEclipseProject({
      name: model.name,
      comment: model.description ?? '',
      projects: Array.isArray(model.metadata.projects)
        ? model.metadata.projects.filter((p): p is string => typeof p === 'string')
        : [],
      builders: model.builders.map((name) => {
        const args = buildArguments[name];
        const strings: Record<string, string> = {};
        if (isRecord(args))
          for (const [k, v] of Object.entries(args)) if (typeof v === 'string') strings[k] = v;
        return { name, arguments: strings };
      }),
      natures: model.natures,
    });
  } catch (error) {
    const message = (error as Error).message;
    throw new ValidationError(`.project: ${message}`, [{ path: '.project', message }]);
  }
  await writeFile('.project', projectText);

  // *.hbpsd — carries the data sets, and the high-level qualifier when its first data set starts with it.
  let hlqCarried = false;
  if (subproject) {
    const text = formatSubproject(subproject.name, subproject.folders, model.idzProjectPath, model.members);
    const firstFolder = /<FOLDER-NAME>([^<]*)<\/FOLDER-NAME>/.exec(text)?.[1];
    hlqCarried = firstFolder !== undefined && firstFolder.split('.')[0] === model.idzProjectPath;
    await writeFile(subproject.file, text);
  }

  // zapp.yaml — when there are property groups, ZAPP keys to keep, or an idzProjectPath to carry.
  const zappRest = isRecord(model.metadata.zapp) ? model.metadata.zapp : undefined;
  const carryPath = model.idzProjectPath !== null && !hlqCarried;
  if (model.propertyGroups.length > 0 || zappRest !== undefined || carryPath) {
    const name = carryPath
      ? (model.idzProjectPath as string)
      : typeof zappRest?.name === 'string'
        ? zappRest.name
        : zappRest === undefined
          ? model.name
          : undefined;
    let text: string;
    try {
      text = formatZapp(name, model.propertyGroups, zappRest ?? {});
    } catch (error) {
      const message = (error as Error).message;
      throw new ValidationError(`zapp.yaml: ${message}`, [{ path: 'zapp.yaml', message }]);
    }
    await writeFile('zapp.yaml', text);
  }

  // Member files, when their bytes are given.
  if (options.contents) {
    for (const member of model.members) {
      const bytes = await options.contents(member);
      if (bytes === undefined) continue;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (bytes.length !== member.size || sha256 !== member.sha256) {
        const message = `the bytes given (${bytes.length} bytes, sha256 ${sha256.slice(0, 12)}…) do not match the member (${member.size} bytes, ${member.sha256.slice(0, 12)}…)`;
        throw new ValidationError(`${member.path}: ${message}`, [{ path: member.path, message }]);
      }
      await writeFile(member.path, bytes);
    }
  }
  return { files: written };
}
