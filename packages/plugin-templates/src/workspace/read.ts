/** readWorkspace: an IDz / Eclipse z/OS project folder → WorkspaceModel (formats: see ./index.ts). */
import { createHash } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { lstat, open, opendir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '@mainframe-kb/storage-core';
import { parseEclipseProject } from './eclipse-project.js';
import { memberNameOf, memberTypeOf } from './members.js';
import { parseSubproject, type SubprojectDefinition, subprojectHlq } from './subproject.js';
import type {
  ReadWorkspaceOptions,
  WorkspaceIssue,
  WorkspaceMember,
  WorkspaceMemberType,
  WorkspaceModel,
} from './types.js';
import { XmlSyntaxError } from './xml.js';
import { parseYamlSubset, YamlSyntaxError } from './yaml.js';
import { interpretZapp } from './zapp.js';

export const DEFAULT_MAX_MEMBERS = 20_000;
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Folders nested deeper than this are refused. */
export const MAX_FOLDER_DEPTH = 32;
/** Files hashed at once. */
const HASH_CONCURRENCY = 16;
/** In a member folder, files with these extensions are documentation or tooling, not members. */
const NOT_SOURCE_EXTENSIONS = new Set([
  'md',
  'markdown',
  'json',
  'yaml',
  'yml',
  'xml',
  'html',
  'htm',
  'png',
  'jpg',
  'gif',
  'pdf',
  'zip',
  'jar',
  'class',
  'log',
  'bak',
  'tmp',
  'swp',
  'hbpsd',
]);

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function refuse(file: string, message: string): never {
  throw new ValidationError(`${file}: ${message}`, [{ path: file, message }]);
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function positiveInteger(value: number | undefined, fallback: number, label: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`${label} must be a positive integer`, [
      { path: label, message: 'must be a positive integer' },
    ]);
  }
  return value;
}

/** Reads a small project file (UTF-8, at most maxBytes), refusing symlinks that leave the folder. */
async function readProjectFile(root: string, rel: string, maxBytes: number): Promise<string | undefined> {
  const abs = path.join(root, rel);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(abs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let target = abs;
  if (info.isSymbolicLink()) {
    target = await resolveLinkInside(root, rel);
    info = await stat(target);
  }
  if (!info.isFile()) refuse(rel, 'is not a regular file');
  const bytes = await readCapped(target, rel, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse(rel, 'is not valid UTF-8');
  }
}

/** The real path of the symlink `rel`; refuses one that points (or resolves) outside the folder. */
async function resolveLinkInside(root: string, rel: string): Promise<string> {
  const abs = path.join(root, rel);
  const lexical = path.resolve(path.dirname(abs), await readlink(abs));
  if (!isInside(root, lexical)) refuse(rel, 'is a symbolic link that points outside the workspace folder');
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    return refuse(rel, 'is a symbolic link whose target does not exist');
  }
  if (!isInside(root, real)) refuse(rel, 'is a symbolic link that resolves outside the workspace folder');
  return real;
}

/** Reads a whole file, refusing more than maxBytes (checked while reading: the size may change). */
async function readCapped(abs: string, rel: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(abs, constants.O_RDONLY | O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) refuse(rel, 'is not a regular file');
    if (info.size > maxBytes) refuse(rel, `is ${info.size} bytes; the limit is ${maxBytes}`);
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) refuse(rel, `is more than ${maxBytes} bytes`);
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Size and SHA-256 of a file, streamed through one reused buffer. */
async function hashFile(
  abs: string,
  rel: string,
  maxBytes: number,
  buffer: Buffer,
): Promise<{ size: number; sha256: string }> {
  const handle = await open(abs, constants.O_RDONLY | O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) refuse(rel, 'is not a regular file');
    if (info.size > maxBytes) refuse(rel, `is ${info.size} bytes; the limit is ${maxBytes}`);
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > maxBytes) refuse(rel, `is more than ${maxBytes} bytes`);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

interface Candidate {
  rel: string;
  /** The file to read (the real path when `rel` is a symlink inside the folder). */
  abs: string;
  type: WorkspaceMemberType;
}

/** Walks the folder (dot-entries skipped) and returns the member files, sorted by path. */
async function findMembers(root: string, maxMembers: number, issues: WorkspaceIssue[]): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  const maxEntries = maxMembers * 4 + 10_000;
  let entries = 0;
  const pending: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (pending.length > 0) {
    const { rel: dirRel, depth } = pending.pop() as { rel: string; depth: number };
    if (depth > MAX_FOLDER_DEPTH) refuse(dirRel, `folders are nested deeper than ${MAX_FOLDER_DEPTH} levels`);
    const dir = await opendir(path.join(root, dirRel));
    for await (const entry of dir as AsyncIterable<Dirent>) {
      if (entry.name.startsWith('.')) continue; // .project, .git, .settings, .vscode, …
      entries++;
      if (entries > maxEntries) {
        refuse(
          dirRel || '.',
          `the folder holds more than ${maxEntries} files and folders (maxMembers ${maxMembers})`,
        );
      }
      const rel = dirRel === '' ? entry.name : `${dirRel}/${entry.name}`;
      let abs = path.join(root, rel);
      if (entry.isSymbolicLink()) {
        abs = await resolveLinkInside(root, rel);
        const info = await stat(abs);
        if (info.isDirectory()) {
          issues.push({ path: rel, message: 'symbolic link to a folder inside the workspace: not followed' });
          continue;
        }
        if (!info.isFile()) {
          issues.push({ path: rel, message: 'not a regular file: ignored' });
          continue;
        }
      } else if (entry.isDirectory()) {
        pending.push({ rel, depth: depth + 1 });
        continue;
      } else if (!entry.isFile()) {
        issues.push({ path: rel, message: 'not a regular file: ignored' });
        continue;
      }
      const type = memberTypeOf(rel);
      if (type === undefined) continue;
      const dot = entry.name.lastIndexOf('.');
      if (dot > 0 && NOT_SOURCE_EXTENSIONS.has(entry.name.slice(dot + 1).toLowerCase())) continue;
      if (candidates.length >= maxMembers) {
        refuse(rel, `the folder holds more than ${maxMembers} members (maxMembers)`);
      }
      candidates.push({ rel, abs, type });
    }
  }
  return candidates.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

function syntaxRefusal(file: string, error: unknown): never {
  if (error instanceof XmlSyntaxError) {
    const message = `malformed XML at line ${error.line}, column ${error.column}: ${error.reason}`;
    throw new ValidationError(`${file}: ${message}`, [{ path: file, message }]);
  }
  if (error instanceof YamlSyntaxError) {
    const message = `unsupported or malformed YAML at line ${error.line}: ${error.reason}`;
    throw new ValidationError(`${file}: ${message}`, [{ path: file, message }]);
  }
  if (error instanceof ValidationError) throw error;
  return refuse(file, error instanceof Error ? error.message : String(error));
}

/** Refuses `__proto__` keys and nesting beyond 64 levels in a parsed ZAPP document. */
function checkPlainData(value: unknown, file: string, depth = 0): void {
  if (depth > 64) refuse(file, 'nested deeper than 64 levels');
  if (Array.isArray(value)) for (const v of value) checkPlainData(v, file, depth + 1);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__') refuse(file, "the key '__proto__' is not accepted");
      checkPlainData(v, file, depth + 1);
    }
  }
}

/**
 * Reads an IDz / Eclipse z/OS project folder. Throws ValidationError when `.project` is missing or
 * malformed, a ZAPP or subproject file is malformed, a symlink leaves the folder, or a limit is passed.
 * Members are hashed, not stored. Problems that do not stop the import are listed in `issues`.
 */
export async function readWorkspace(
  folder: string,
  options: ReadWorkspaceOptions = {},
): Promise<WorkspaceModel> {
  const maxMembers = positiveInteger(options.maxMembers, DEFAULT_MAX_MEMBERS, 'maxMembers');
  const maxFileBytes = positiveInteger(options.maxFileBytes, DEFAULT_MAX_FILE_BYTES, 'maxFileBytes');
  let root: string;
  try {
    root = await realpath(folder);
  } catch {
    return refuse(folder, 'the workspace folder does not exist');
  }
  if (!(await stat(root)).isDirectory()) refuse(folder, 'is not a folder');
  const issues: WorkspaceIssue[] = [];

  // .project — required: it names the project.
  const projectText = await readProjectFile(root, '.project', maxFileBytes);
  if (projectText === undefined) {
    refuse('.project', 'is missing: an Eclipse / IDz project folder names its project in .project');
  }
  let project: ReturnType<typeof parseEclipseProject>;
  try {
    project = parseEclipseProject(projectText, issues);
  } catch (error) {
    return syntaxRefusal('.project', error);
  }

  // zapp.yaml, else zapp.json.
  let zapp: ReturnType<typeof interpretZapp> | undefined;
  const yamlText = await readProjectFile(root, 'zapp.yaml', maxFileBytes);
  const jsonText = await readProjectFile(root, 'zapp.json', maxFileBytes);
  const zappFile = yamlText !== undefined ? 'zapp.yaml' : 'zapp.json';
  const zappText = yamlText ?? jsonText;
  if (yamlText !== undefined && jsonText !== undefined) {
    issues.push({ path: 'zapp.json', message: 'ignored: zapp.yaml is read when both are present' });
  }
  if (zappText !== undefined) {
    let doc: unknown;
    try {
      doc = yamlText !== undefined ? parseYamlSubset(zappText) : JSON.parse(zappText);
    } catch (error) {
      if (error instanceof SyntaxError) refuse(zappFile, `malformed JSON: ${error.message}`);
      return syntaxRefusal(zappFile, error);
    }
    checkPlainData(doc, zappFile);
    const errors: WorkspaceIssue[] = [];
    zapp = interpretZapp(doc, zappFile, errors);
    if (errors.length > 0) {
      throw new ValidationError(`${zappFile}: ${errors.map((e) => e.message).join('; ')}`, errors);
    }
  }

  // An IDz subproject definition (*.hbpsd) at the root, if any.
  let subproject: { file: string; def: SubprojectDefinition } | undefined;
  const rootDir = await opendir(root);
  const hbpsdFiles: string[] = [];
  for await (const entry of rootDir as AsyncIterable<Dirent>) {
    if (/\.hbpsd$/i.test(entry.name) && !entry.name.startsWith('.')) hbpsdFiles.push(entry.name);
  }
  hbpsdFiles.sort();
  for (const file of hbpsdFiles.slice(1)) {
    issues.push({
      path: file,
      message: `ignored: only one subproject definition is read (${hbpsdFiles[0]})`,
    });
  }
  const firstHbpsd = hbpsdFiles[0];
  if (firstHbpsd !== undefined) {
    const text = (await readProjectFile(root, firstHbpsd, maxFileBytes)) as string;
    try {
      subproject = { file: firstHbpsd, def: parseSubproject(text, firstHbpsd, issues) };
    } catch (error) {
      return syntaxRefusal(firstHbpsd, error);
    }
  }

  // Members: size and hash only.
  const candidates = await findMembers(root, maxMembers, issues);
  const members: WorkspaceMember[] = new Array(candidates.length);
  let next = 0;
  const worker = async () => {
    const buffer = Buffer.alloc(64 * 1024);
    while (next < candidates.length) {
      const k = next++;
      const c = candidates[k] as Candidate;
      const { size, sha256 } = await hashFile(c.abs, c.rel, maxFileBytes, buffer);
      const fileName = c.rel.slice(c.rel.lastIndexOf('/') + 1);
      const { name, problem } = memberNameOf(fileName);
      if (problem) issues.push({ path: c.rel, message: `${problem}; kept as type 'other'` });
      members[k] = { name, type: problem ? 'other' : c.type, path: c.rel, size, sha256 };
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, candidates.length) }, worker));

  // Data sets named by the subproject definition, matched by file name.
  if (subproject) {
    const byFileName = new Map<string, WorkspaceMember[]>();
    for (const m of members) {
      const key = m.path.slice(m.path.lastIndexOf('/') + 1).toLowerCase();
      byFileName.set(key, [...(byFileName.get(key) ?? []), m]);
    }
    for (const f of subproject.def.files) {
      const matches = byFileName.get(f.fileName.toLowerCase()) ?? [];
      if (matches.length === 0) {
        issues.push({
          path: subproject.file,
          message: `FILE '${f.fileName}' (${f.dataset}) is not in the folder`,
        });
      } else if (matches.length > 1) {
        issues.push({
          path: subproject.file,
          message: `FILE '${f.fileName}' matches ${matches.map((m) => m.path).join(', ')}: no data set assigned`,
        });
      } else {
        const m = matches[0] as WorkspaceMember;
        if (m.dataset !== undefined && m.dataset !== f.dataset) {
          issues.push({
            path: m.path,
            message: `mapped to both ${m.dataset} and ${f.dataset}; ${m.dataset} kept`,
          });
        } else m.dataset = f.dataset;
      }
    }
  }

  // The same member name twice for one type: z/OS would keep only one of them in a data set.
  const seen = new Map<string, string>();
  for (const m of members) {
    if (m.type === 'other') continue;
    const key = `${m.type}:${m.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ path: m.path, message: `member name ${m.name} (${m.type}) is also used by ${first}` });
    } else seen.set(key, m.path);
  }
  issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.message < b.message ? -1 : 1));

  const metadata: Record<string, unknown> = {};
  if (project.projects.length > 0) metadata.projects = project.projects;
  const buildArguments: Record<string, Record<string, string>> = {};
  for (const b of project.builders)
    if (Object.keys(b.arguments).length > 0) buildArguments[b.name] = b.arguments;
  if (Object.keys(buildArguments).length > 0) metadata.buildArguments = buildArguments;
  if (zapp) metadata.zapp = zapp.rest;
  if (subproject) {
    metadata.subproject = {
      name: subproject.def.name,
      file: subproject.file,
      folders: subproject.def.folders,
    };
  }

  const zappName = typeof zapp?.rest.name === 'string' && zapp.rest.name !== '' ? zapp.rest.name : null;
  const model: WorkspaceModel = {
    name: project.name,
    natures: project.natures,
    builders: project.builders.map((b) => b.name),
    idzProjectPath: (subproject ? subprojectHlq(subproject.def) : null) ?? zappName,
    propertyGroups: zapp?.propertyGroups ?? [],
    members,
    metadata,
    issues,
  };
  if (project.comment !== '') model.description = project.comment;
  return model;
}
