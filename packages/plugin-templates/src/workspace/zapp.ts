/**
 * ZAPP files (`zapp.yaml` / `zapp.json`, IBM Z Open Editor and IBM Developer for z/OS): the document's
 * `propertyGroups` become the model's property groups; its other keys (name, description, version, author,
 * profiles, …) are kept in `metadata.zapp` and written back unchanged.
 *
 * A property group (ZAPP schema `propertyGroupItem`): name (required), language, compilerOptions,
 * libraries[] of { name, type: local | mvs, locations[] }. Keys outside those (for example the older
 * group-level `type` / `syslib` of the VS Code settings format) are kept in the group's `raw`.
 */
import type { WorkspaceIssue, WorkspaceLibrary, WorkspacePropertyGroup } from './types.js';
import { stringifyYamlSubset } from './yaml.js';

const GROUP_KEYS = new Set(['name', 'language', 'compilerOptions', 'libraries']);
const LIBRARY_KEYS = new Set(['name', 'type', 'locations']);

export interface ZappContent {
  propertyGroups: WorkspacePropertyGroup[];
  /** The document's other keys. */
  rest: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Interprets a parsed ZAPP document. Structural problems are appended to `errors` (the caller refuses). */
export function interpretZapp(doc: unknown, file: string, errors: WorkspaceIssue[]): ZappContent {
  const fail = (where: string, message: string) =>
    errors.push({ path: file, message: `${where}: ${message}` });
  if (!isRecord(doc)) {
    fail('document', 'a ZAPP file holds a mapping (name, propertyGroups, …)');
    return { propertyGroups: [], rest: {} };
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (k !== 'propertyGroups' && k !== '__proto__') rest[k] = v;
  if (rest.name !== undefined && typeof rest.name !== 'string') fail('name', 'must be a string');
  const groups: WorkspacePropertyGroup[] = [];
  const raw = doc.propertyGroups;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) fail('propertyGroups', 'must be a sequence');
  for (const [gi, g] of (Array.isArray(raw) ? raw : []).entries()) {
    const group = interpretGroup(g, `propertyGroups[${gi}]`, fail);
    if (group) groups.push(group);
  }
  return { propertyGroups: groups, rest };
}

type Fail = (where: string, message: string) => void;

function interpretGroup(g: unknown, at: string, fail: Fail): WorkspacePropertyGroup | undefined {
  if (!isRecord(g)) {
    fail(at, 'must be a mapping');
    return undefined;
  }
  if (typeof g.name !== 'string' || g.name.trim() === '') {
    fail(`${at}.name`, 'a non-empty string is required');
    return undefined;
  }
  const group: WorkspacePropertyGroup = { name: g.name, libraries: [] };
  if (g.language !== undefined && g.language !== null) {
    if (typeof g.language !== 'string') fail(`${at}.language`, 'must be a string');
    else group.language = g.language;
  }
  if (g.compilerOptions !== undefined && g.compilerOptions !== null) {
    if (typeof g.compilerOptions !== 'string') {
      fail(`${at}.compilerOptions`, 'must be a string (options separated by commas)');
    } else group.compilerOptions = g.compilerOptions;
  }
  if (g.libraries !== undefined && g.libraries !== null && !Array.isArray(g.libraries)) {
    fail(`${at}.libraries`, 'must be a sequence');
  }
  for (const [li, lib] of (Array.isArray(g.libraries) ? g.libraries : []).entries()) {
    const library = interpretLibrary(lib, `${at}.libraries[${li}]`, fail);
    if (library) group.libraries.push(library);
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(g)) if (!GROUP_KEYS.has(k) && k !== '__proto__') extra[k] = v;
  if (Object.keys(extra).length > 0) group.raw = extra;
  return group;
}

function interpretLibrary(lib: unknown, at: string, fail: Fail): WorkspaceLibrary | undefined {
  if (!isRecord(lib)) {
    fail(at, 'must be a mapping');
    return undefined;
  }
  if (typeof lib.name !== 'string' || lib.name === '') {
    fail(`${at}.name`, 'a non-empty string is required');
    return undefined;
  }
  if (lib.type !== 'local' && lib.type !== 'mvs') {
    fail(`${at}.type`, `must be 'local' or 'mvs' (found ${JSON.stringify(lib.type) ?? 'nothing'})`);
    return undefined;
  }
  const unknown = Object.keys(lib).filter((k) => !LIBRARY_KEYS.has(k));
  if (unknown.length > 0) {
    fail(at, `unknown key(s) ${unknown.join(', ')}`);
    return undefined;
  }
  const locations = lib.locations ?? [];
  if (!Array.isArray(locations) || !locations.every((l) => typeof l === 'string')) {
    fail(`${at}.locations`, 'must be a sequence of strings');
    return undefined;
  }
  return { name: lib.name, type: lib.type, locations: [...locations] };
}

/**
 * The ZAPP document written for `groups`, keeping the other keys `rest` in their order; `name`, when
 * given, replaces rest.name (or comes first when rest has none).
 */
export function formatZapp(
  name: string | undefined,
  groups: WorkspacePropertyGroup[],
  rest: Record<string, unknown>,
): string {
  const doc: Record<string, unknown> = {};
  if (name !== undefined) doc.name = name;
  for (const [k, v] of Object.entries(rest)) {
    if (k === 'propertyGroups' || k === '__proto__' || (k === 'name' && name !== undefined)) continue;
    doc[k] = v;
  }
  if (groups.length > 0) {
    doc.propertyGroups = groups.map((g) => {
      const out: Record<string, unknown> = { name: g.name };
      if (g.language !== undefined) out.language = g.language;
      if (g.compilerOptions !== undefined) out.compilerOptions = g.compilerOptions;
      if (g.libraries.length > 0) {
        out.libraries = g.libraries.map((l) => ({ name: l.name, type: l.type, locations: [...l.locations] }));
      }
      for (const [k, v] of Object.entries(g.raw ?? {}))
        if (!GROUP_KEYS.has(k) && k !== '__proto__') out[k] = v;
      return out;
    });
  }
  return stringifyYamlSubset(doc);
}
